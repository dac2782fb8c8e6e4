// From the attributes of a logged stream to its metric ids without building the label set each
// time: the few inputs that vary per stream (peer, principals, cluster and its service metadata, :authority, status,
// flags, gRPC status, mTLS) are read into one reused object and compared, by value, with the
// inputs of the label sets seen recently; only a new combination builds the encoded label set
// (about 1.5 KB of string) and, for a set never seen, defines its four metrics.
import { proxy_define_metric } from "../lib/abi";
import { noteAllocation } from "../lib/gc";
import { OUT_U32, utf8 } from "../lib/mem";
import { orUnknown, responseFlags, serviceHost, serviceName } from "./labels";
import { Node } from "./peer";

const COUNTER: u32 = 0;
const HISTOGRAM: u32 = 2;
/** Recent input combinations remembered (a sidecar talks to a handful of peers and statuses). */
const RECENT = 16;
/** Label sets remembered with their metric ids (about 1.5 KB each). Peer metadata comes from a
 * header a client can forge, so a flood of made-up peers must not grow the VM without bound: past
 * this the table starts over. The host keeps the metrics: defining a name again returns the same
 * metric (Envoy's scope finds the stat by name), so no count is lost, only the lookups redone. */
const MAX_SERIES = 1024;

const REQUESTS_TOTAL = utf8("istio_requests_total");
const DURATION_MS = utf8("istio_request_duration_milliseconds");
const REQUEST_BYTES = utf8("istio_request_bytes");
const RESPONSE_BYTES = utf8("istio_response_bytes");

/** The four metric ids of one label set. */
export class Series {
  requests: u32 = 0;
  duration: u32 = 0;
  requestBytes: u32 = 0;
  responseBytes: u32 = 0;
}

/** What varies between the streams one filter logs. */
export class Inputs {
  peer: Node | null = null;
  sourcePrincipal: string = "";
  destinationPrincipal: string = "";
  cluster: string = "";
  /** From the cluster's metadata (filter_metadata.istio.services[0]); "" when it has none. */
  serviceHost: string = "";
  serviceName: string = "";
  authority: string = "";
  code: i64 = 0;
  flags: i64 = 0;
  /** -1 for plain HTTP, else the gRPC status. */
  grpcStatus: i64 = -1;
  mtls: bool = false;

  copyFrom(o: Inputs): void {
    this.peer = o.peer;
    this.sourcePrincipal = o.sourcePrincipal;
    this.destinationPrincipal = o.destinationPrincipal;
    this.cluster = o.cluster;
    this.serviceHost = o.serviceHost;
    this.serviceName = o.serviceName;
    this.authority = o.authority;
    this.code = o.code;
    this.flags = o.flags;
    this.grpcStatus = o.grpcStatus;
    this.mtls = o.mtls;
  }

  equals(o: Inputs): bool {
    return (
      changetype<usize>(this.peer) == changetype<usize>(o.peer) &&
      this.code == o.code &&
      this.flags == o.flags &&
      this.grpcStatus == o.grpcStatus &&
      this.mtls == o.mtls &&
      this.cluster == o.cluster &&
      this.serviceName == o.serviceName &&
      this.serviceHost == o.serviceHost &&
      this.sourcePrincipal == o.sourcePrincipal &&
      this.destinationPrincipal == o.destinationPrincipal &&
      this.authority == o.authority
    );
  }
}

class Recent {
  inputs: Inputs = new Inputs();
  series: Series | null = null;
}

/** The metric name being defined: the encoded label set, then the metric's name (grown to the
 * longest name once, then reused). */
let nameBuffer = new ArrayBuffer(2048);

function define(type: u32, labels: ArrayBuffer, metric: ArrayBuffer): u32 {
  const n = labels.byteLength + metric.byteLength;
  if (nameBuffer.byteLength < n) nameBuffer = new ArrayBuffer(n);
  const at = changetype<usize>(nameBuffer);
  memory.copy(at, changetype<usize>(labels), labels.byteLength);
  memory.copy(at + <usize>labels.byteLength, changetype<usize>(metric), metric.byteLength);
  if (proxy_define_metric(type, at, n, OUT_U32) != 0) abort("proxy_define_metric failed: " + String.UTF8.decodeUnsafe(at, n));
  return load<u32>(OUT_U32);
}

const NO_PEER = new Node();

/** The pieces of the label set being encoded (reused). */
const PARTS: string[] = [];

/** PARTS as one string, sized once with each part copied once: Array#join (at our shrink level)
 * and `+` both copy the growing prefix for every part, tens of KB of garbage per 1.3 KB label set. */
function joinParts(): string {
  let n = 0;
  for (let i = 0; i < PARTS.length; i++) n += unchecked(PARTS[i]).length;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  let at = changetype<usize>(out);
  for (let i = 0; i < PARTS.length; i++) {
    const part = unchecked(PARTS[i]);
    const bytes = <usize>part.length << 1;
    memory.copy(at, changetype<usize>(part), bytes);
    at += bytes;
  }
  return out;
}

/** One label as stat-tags.ts reads it back: `name=.=value;.;`. */
function put(name: string, value: string): void {
  PARTS.push(name);
  PARTS.push("=.=");
  PARTS.push(value);
  PARTS.push(";.;");
}

export class SeriesTable {
  private byKey: Map<string, Series> = new Map();
  private recent: Recent[] = [];
  private next: i32 = 0;

  constructor(private outbound: bool, private local: Node) {
    for (let i = 0; i < RECENT; i++) this.recent.push(new Recent());
  }

  /** The metric ids for a stream with inputs `x`. */
  lookup(x: Inputs): Series {
    for (let i = 0; i < RECENT; i++) {
      const r = unchecked(this.recent[i]);
      if (r.series !== null && r.inputs.equals(x)) return <Series>r.series;
    }
    const key = this.labels(x);
    // Counted for the collector (gc.ts counts only what the host hands us): a burst of new
    // combinations is then collected as it goes, not after a thousand streams of garbage.
    noteAllocation(<usize>key.length << 2);
    let s: Series;
    if (this.byKey.has(key)) s = this.byKey.get(key);
    else {
      const labels = utf8(key);
      s = new Series();
      s.requests = define(COUNTER, labels, REQUESTS_TOTAL);
      s.duration = define(HISTOGRAM, labels, DURATION_MS);
      s.requestBytes = define(HISTOGRAM, labels, REQUEST_BYTES);
      s.responseBytes = define(HISTOGRAM, labels, RESPONSE_BYTES);
      if (this.byKey.size >= MAX_SERIES) this.byKey.clear();
      this.byKey.set(key, s);
    }
    const slot = unchecked(this.recent[this.next]);
    this.next = (this.next + 1) % RECENT;
    slot.inputs.copyFrom(x);
    slot.series = s;
    return s;
  }

  /** The encoded label set, every standard label in Istio's order (control/stats/stat-tags.ts). */
  private labels(x: Inputs): string {
    const peer = x.peer === null ? NO_PEER : <Node>x.peer;
    const source = this.outbound ? this.local : peer;
    const destination = this.outbound ? peer : this.local;
    const fromMetadata = x.serviceName.length > 0;
    const host = fromMetadata ? x.serviceHost : serviceHost(x.cluster, x.authority, source.namespace);
    const grpc = x.grpcStatus >= 0;
    PARTS.length = 0;
    put("reporter", this.outbound ? "source" : "destination");
    put("source_workload", orUnknown(source.workload));
    put("source_workload_namespace", orUnknown(source.namespace));
    put("source_principal", orUnknown(x.sourcePrincipal));
    put("source_app", orUnknown(source.app));
    put("source_version", orUnknown(source.version));
    put("source_cluster", orUnknown(source.cluster));
    put("destination_workload", orUnknown(destination.workload));
    put("destination_workload_namespace", orUnknown(destination.namespace));
    put("destination_principal", orUnknown(x.destinationPrincipal));
    put("destination_app", orUnknown(destination.app));
    put("destination_version", orUnknown(destination.version));
    put("destination_service", orUnknown(host));
    put("destination_service_name", orUnknown(fromMetadata ? x.serviceName : serviceName(host, destination.namespace)));
    put("destination_service_namespace", orUnknown(destination.namespace));
    put("destination_cluster", orUnknown(destination.cluster));
    put("request_protocol", grpc ? "grpc" : "http");
    put("response_flags", responseFlags(<u64>x.flags));
    // Istio reports the policy where the connection arrives (inbound) only.
    put("connection_security_policy", this.outbound ? "unknown" : x.mtls ? "mutual_tls" : "none");
    put("response_code", x.code.toString());
    put("grpc_response_status", grpc ? x.grpcStatus.toString() : "");
    return joinParts();
  }
}
