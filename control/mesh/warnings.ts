// Istio's validation warnings: configs istiod's webhook accepts but flags (deprecated fields,
// settings that are probably mistakes), with Istio's own texts (istio/istio
// pkg/config/validation/validation.go and virtualservice.go, WrapWarning / AppendWarningf). The API returns them as
// Kubernetes `Warning: 299 - "..."` headers on create, update, patch and dry runs; kubectl
// prints each as `Warning: <text>`. They run on objects the schema accepted (the errors are the
// schemas' own, in control/mesh/schema/); one table, by kind.
import { isIP } from "./schema/security.ts";
import type { KindSpec, KubeObject } from "./kinds/types.ts";

// Objects here passed their schema: fields have the types it gives them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Spec = Record<string, any>;
type Check = (spec: Spec, obj: KubeObject) => string[];

const KB = 1024;
const WITHOUT_LABELS = "workload selector specified without labels";
/** Istio's protocol.Instance IsTCP and IsHTTP (names compared case-insensitively, as protocol.Parse does). */
const TCP_PROTOCOLS = new Set(["TCP", "HTTPS", "TLS", "MONGO", "REDIS", "MYSQL"]);
const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB"]);

const list = <T = Spec>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const upper = (p: unknown) => (typeof p === "string" ? p.toUpperCase() : "");

/** A WorkloadSelector (`matchLabels`, security and DestinationRule) or networking's (`labels`) that selects every workload. */
const selectsAll = (selector: Spec | undefined, field: "matchLabels" | "labels") => selector !== undefined && Object.keys(selector[field] ?? {}).length === 0;

/** The decoded size of base64 text (proto JSON `bytes`). */
const base64Length = (b64: string) => Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);

/** validateGatewayNames: only the first name without a namespace is looked at, as Istio does. */
function legacyGatewayNames(names: unknown): string[] {
  for (const name of list<string>(names)) {
    if (name.includes("/")) continue;
    if (!name.includes(".")) return [];
    const parts = name.split(".");
    return [`using legacy gatewayName format "${name}"; prefer the <namespace>/<name> format: "${parts[1]}/${parts[0]}"`];
  }
  return [];
}

function virtualService(vs: Spec): string[] {
  const out = legacyGatewayNames(vs.gateways);
  for (const route of list(vs.http)) {
    if (route.mirrorPercent !== undefined || route.mirror_percent !== undefined) out.push('using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
    const abort = route.fault?.abort;
    if (abort && abort.httpStatus === undefined && abort.grpcStatus === undefined && abort.http2Error === undefined)
      out.push("abort configured, but error type not set");
    const body = route.directResponse?.body;
    const size = typeof body?.string === "string" ? new TextEncoder().encode(body.string).length : typeof body?.bytes === "string" ? base64Length(body.bytes) : 0;
    if (size > 100 * KB) out.push("large direct_responses may impact control plane performance");
  }
  for (const route of list(vs.tls))
    for (const match of list(route.match)) {
      for (const sni of list<string>(match.sniHosts))
        if (isIP(sni)) out.push(`using an IP address (${JSON.stringify(sni)}) goes against SNI spec and most clients do not support this`);
      out.push(...legacyGatewayNames(match.gateways));
    }
  for (const route of list(vs.tcp)) for (const match of list(route.match)) out.push(...legacyGatewayNames(match.gateways));
  return out;
}

function trafficPolicyWarnings(policy: Spec | undefined): string[] {
  const out: string[] = [];
  for (const p of [policy, ...list(policy?.portLevelSettings)]) {
    if (p?.outlierDetection?.consecutiveErrors)
      out.push("outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
    if (p?.loadBalancer?.consistentHash?.minimumRingSize)
      out.push("consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
  }
  return out;
}

function destinationRule(dr: Spec): string[] {
  return [
    ...(selectsAll(dr.workloadSelector, "matchLabels") ? [WITHOUT_LABELS] : []),
    ...trafficPolicyWarnings(dr.trafficPolicy),
    ...list(dr.subsets).flatMap((s) => trafficPolicyWarnings(s.trafficPolicy)),
  ];
}

function gateway(gw: Spec): string[] {
  const out: string[] = [];
  for (const server of list(gw.servers)) {
    const tls = server.tls;
    if (tls?.httpsRedirect && !HTTP_PROTOCOLS.has(upper(server.port?.protocol)))
      out.push("tls.httpsRedirect should only be used with http servers");
    const certificates = ["caCrl", "serverCertificate", "privateKey", "caCertificates", "credentialName"].some((f) => tls?.[f]) || list(tls?.tlsCertificates).length > 0 || list(tls?.credentialNames).length > 0;
    if ((tls?.mode === "PASSTHROUGH" || tls?.mode === "AUTO_PASSTHROUGH") && certificates) out.push(`${tls.mode} mode does not use certificates, they will be ignored`);
  }
  return out;
}

/** validateWorkloadEntry: an endpoint on another network may leave its address to the gateway. */
function unaddressed(we: Spec): string[] {
  return !we.address && we.network ? [`address is unset with network ${JSON.stringify(we.network)}`] : [];
}

function serviceEntry(se: Spec): string[] {
  const out: string[] = [];
  const resolution = se.resolution ?? "NONE";
  if (selectsAll(se.workloadSelector, "labels")) out.push(`service entry: ${WITHOUT_LABELS}, will be applied to all services in namespace`);
  if (resolution !== "DYNAMIC_DNS")
    for (const h of list<string>(se.hosts)) if (h.includes("*") && h.length !== 1 && !h.startsWith("*.")) out.push(`partial wildcard ${JSON.stringify(h)} not allowed`);
  if (resolution === "NONE" && se.workloadSelector) out.push("workloadSelector should not be set when resolution mode is NONE");
  if (resolution === "STATIC") for (const we of list(se.endpoints)) out.push(...unaddressed(we));
  if ((resolution === "DNS" || resolution === "DNS_ROUND_ROBIN") && list(se.addresses).length > 0 && list(se.hosts).length > 1 && list(se.ports).some((p) => TCP_PROTOCOLS.has(upper(p.protocol))))
    out.push("service entry can not have more than one host specified simultaneously with address and tcp port");
  return out;
}

function sidecar(sc: Spec, obj: KubeObject): string[] {
  const out = selectsAll(sc.workloadSelector, "labels") ? [`sidecar: ${WITHOUT_LABELS}, will be applied to all services in namespace`] : [];
  for (const egress of list(sc.egress)) {
    const byNamespace = new Map<string, Set<string>>();
    for (const host of list<string>(egress.hosts)) {
      const slash = host.indexOf("/");
      if (slash < 0 || host.startsWith("~")) continue;
      const ns = host.slice(0, slash) === "." ? (obj.metadata.namespace ?? "") : host.slice(0, slash);
      const svc = host.slice(slash + 1);
      const seen = byNamespace.get(ns) ?? byNamespace.set(ns, new Set()).get(ns)!;
      if (svc !== "*" ? seen.has(svc) || seen.has("*") : seen.size > 0) out.push(`duplicated egress host: ${host}`);
      seen.add(svc);
    }
    if (byNamespace.get("*")?.has("*") && byNamespace.size !== 1) out.push("`*/*` host select all resources, no other hosts can be added");
  }
  return out;
}

/** A JWKS member with private material (RSA/EC/OKP `d`, or a symmetric key): Envoy needs only public keys. */
function privateJwksKeys(jwks: string): number[] {
  try {
    const doc = JSON.parse(jwks) as Spec;
    const keys: Spec[] = Array.isArray(doc.keys) ? doc.keys : [doc];
    return keys.flatMap((k, i) => (k && typeof k === "object" && (k.d !== undefined || k.kty === "oct") ? [i] : []));
  } catch {
    return [];
  }
}

const securitySelector = (s: Spec) => (selectsAll(s.selector, "matchLabels") ? [WITHOUT_LABELS] : []);

const WARNINGS: Partial<Record<string, Check>> = {
  "networking.istio.io/VirtualService": virtualService,
  "networking.istio.io/DestinationRule": destinationRule,
  "networking.istio.io/Gateway": gateway,
  "networking.istio.io/ServiceEntry": serviceEntry,
  "networking.istio.io/WorkloadEntry": unaddressed,
  "networking.istio.io/Sidecar": sidecar,
  "security.istio.io/PeerAuthentication": securitySelector,
  "security.istio.io/AuthorizationPolicy": securitySelector,
  "security.istio.io/RequestAuthentication": (ra) => [
    ...securitySelector(ra),
    ...list(ra.jwtRules).flatMap((r) =>
      typeof r.jwks === "string" ? privateJwksKeys(r.jwks).map((i) => `jwks key at index ${i} contains private key material; only public keys are used for verification`) : [],
    ),
  ],
};

/** The warnings istiod would return for an object its schema accepted (none for other kinds). */
export function istioWarnings(spec: KindSpec, obj: KubeObject): string[] {
  const check = WARNINGS[`${spec.group}/${spec.kind}`];
  return check && obj.spec !== null && typeof obj.spec === "object" ? check(obj.spec as Spec, obj) : [];
}
