// Label values derived from attributes, as istio/proxy computes them (extensions/common/context.cc
// and util.cc): the destination service from the cluster name or the :authority (when the
// cluster's metadata names none: index.ts), its short name, and Envoy's response flags as their
// short codes.

/** Envoy's ResponseFlag bits (envoy/stream_info/stream_info.h), in bit order, as short codes. */
const FLAG_CODES: string[] = [
  "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE", "DC", "URX",
  "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF",
];

/** `response.flags` as Istio's parseResponseFlag prints it: codes joined by ",", "-" for none. */
export function responseFlags(bits: u64): string {
  if (bits == 0) return "-";
  let out = "";
  for (let i = 0; i < FLAG_CODES.length; i++) {
    if ((bits & (<u64>1 << <u64>i)) == 0) continue;
    out = out.length == 0 ? FLAG_CODES[i] : out + "," + FLAG_CODES[i];
  }
  return out.length == 0 ? "-" : out;
}

/** Where the service host starts in an Istio cluster name `<dir>|<port>|<subset>|<host>`; -1 for
 * another name or an empty host (inbound|9080||). */
export function clusterHostAt(cluster: string): i32 {
  let bars = 0;
  let last = -1;
  for (let i = 0; i < cluster.length; i++) {
    if (cluster.charCodeAt(i) == 0x7c) {
      bars++;
      last = i;
    }
  }
  return bars == 3 && last + 1 < cluster.length ? last + 1 : -1;
}

/** The destination service host: the cluster's, else the :authority without its port; a short
 * name is qualified in `clientNamespace`, where the client's DNS search path resolved it
 * (`reviews` from default → reviews.default.svc.cluster.local). */
export function serviceHost(cluster: string, authority: string, clientNamespace: string): string {
  const at = clusterHostAt(cluster);
  if (at >= 0) return cluster.substring(at);
  let host = authority;
  const colon = host.lastIndexOf(":");
  if (colon > 0 && host.indexOf("]") < colon) host = host.substring(0, colon);
  if (host.length == 0) return "";
  if (host.indexOf(".") < 0 && clientNamespace.length > 0) return host + "." + clientNamespace + ".svc.cluster.local";
  return host;
}

/** istio/proxy extractServiceName: the first label when the second is the destination
 * namespace (or the host is already short), else the whole host. */
export function serviceName(host: string, destinationNamespace: string): string {
  let dot = -1;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c == 0x2e || c == 0x3a) {
      dot = i;
      break;
    }
  }
  if (dot < 0) return host;
  if (host.charCodeAt(dot) == 0x3a) return host.substring(0, dot);
  let end = host.length;
  for (let i = dot + 1; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c == 0x2e || c == 0x3a) {
      end = i;
      break;
    }
  }
  return host.substring(dot + 1, end) == destinationNamespace ? host.substring(0, dot) : host;
}

/** An empty value is reported as "unknown", as Istio does. */
export function orUnknown(v: string): string {
  return v.length == 0 ? "unknown" : v;
}
