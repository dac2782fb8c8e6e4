// The compiled form of the mesh: what `compile` produces and what proxies consume.
// This file is the contract between the compiler (TypeScript), the filters (AssemblyScript
// parsers of `FilterConfig`) and the Envoy translator (xds/). Everything here is plain JSON:
// no functions, no Maps, stable key order (the compiler emits it deterministically), so a
// workload's snapshot hashes the same when nothing that affects it changed.

/** A string matcher, as Istio's StringMatch plus Gateway API's segment-aware path prefix. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  /** RE2-subset regular expression, matched against the whole value (anchored). */
  regex?: string;
  /** Gateway API `PathPrefix`: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`. */
  segmentPrefix?: string;
  /** Compare case-insensitively (Istio `ignoreUriCase`; header names are always lower-case). */
  ignoreCase?: boolean;
}

/** One header or query-parameter condition. */
export interface KeyMatch {
  /** Header names are lower-case; `:authority`, `:method`, `:path` are never used here. */
  name: string;
  /** Absent with `present: true` means "must be present, any value". */
  value?: StringMatch;
  present?: boolean;
  /** The condition holds when the value does NOT match (Istio `withoutHeaders`). */
  invert?: boolean;
}

/** One `match` entry of a rule: every field must hold (AND). A route's matches are OR-ed. */
export interface RouteMatch {
  uri?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: KeyMatch[];
  queryParams?: KeyMatch[];
  /** The destination port the request was sent to (Istio `match.port`). */
  port?: number;
}

export interface HeaderOps {
  set?: [string, string][];
  add?: [string, string][];
  remove?: string[];
}

export interface WeightedCluster {
  /** Envoy cluster name, Istio style: `outbound|9080|v1|reviews.default.svc.cluster.local`. */
  cluster: string;
  /** Relative weight; the router draws uniformly over the sum. */
  weight: number;
  /** Header operations of this destination (Istio `route[].headers`). */
  requestHeaders?: HeaderOps;
  responseHeaders?: HeaderOps;
}

export interface Fault {
  delay?: { fixedDelayMs: number; percent: number };
  abort?: { httpStatus: number; percent: number };
}

export interface Retries {
  attempts: number;
  perTryTimeoutMs?: number;
  retryOn?: string;
}

export interface Rewrite {
  /** Replaces the matched uri prefix (or the whole path when the match was not a prefix). */
  uri?: string;
  /** Replaces the whole path with regex substitution: `{match, substitution}`. */
  uriRegex?: { match: string; substitution: string };
  /** Replaces the whole path, whatever the match (Gateway API ReplaceFullPath). At most one of uri, uriRegex, fullPath. */
  fullPath?: string;
  authority?: string;
}

export interface Redirect {
  /** Replaces the whole path. */
  uri?: string;
  /** Replaces the matched path prefix, keeping the rest (Gateway API ReplacePrefixMatch); not with uri. */
  prefix?: string;
  authority?: string;
  scheme?: string;
  /** The Location's port; left out of it when it is the scheme's well-known port (http 80, https 443). */
  port?: number;
  status: number;
}

/** Where a rule came from, so explain and logs can name it. */
export interface RuleOrigin {
  kind: "VirtualService" | "HTTPRoute" | "default";
  namespace: string;
  name: string;
  /** Index of the rule in `spec.http` / `spec.rules`. */
  rule: number;
}

export interface Route {
  origin: RuleOrigin;
  /** Empty: matches every request. */
  matches: RouteMatch[];
  /** Exactly one of destinations / redirect / directResponse is set. */
  destinations?: WeightedCluster[];
  redirect?: Redirect;
  directResponse?: { status: number; body?: string };
  requestHeaders?: HeaderOps;
  responseHeaders?: HeaderOps;
  rewrite?: Rewrite;
  fault?: Fault;
  timeoutMs?: number;
  retries?: Retries;
}

export interface VirtualHost {
  /** `reviews.default.svc.cluster.local:9080` */
  name: string;
  /** Authorities this host answers: exact names, `*.suffix` wildcards or `*`. With and without `:port`. */
  domains: string[];
  routes: Route[];
}

/** The routing table for one destination port (Istio's per-port RDS route). */
export interface PortRoutes {
  port: number;
  virtualHosts: VirtualHost[];
}

export interface RouterTable {
  ports: PortRoutes[];
  /** Match virtual hosts by the authority without its port (gateways: Envoy's strip_any_host_port). */
  ignoreHostPort?: boolean;
}

export type PeerAuthMode = "STRICT" | "PERMISSIVE" | "DISABLE";

export interface MtlsPolicy {
  mode: PeerAuthMode;
  /** Per-port overrides (`portLevelMtls`), keyed by target port. */
  ports: { port: number; mode: PeerAuthMode }[];
  /** The PeerAuthentication objects that decided this, most specific last (for explain). */
  origin: string[];
}

/** A value list with Istio's `*` prefix/suffix/presence semantics (hosts are case-insensitive). */
export interface AuthzSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface AuthzOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthzCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

/** A rule matches when any `from` matches (or none given), any `to` matches (or none), and every `when` holds. */
export interface AuthzRule {
  from: AuthzSource[];
  to: AuthzOperation[];
  when: AuthzCondition[];
}

export interface AuthzPolicy {
  /** `<namespace>/<name>` of the AuthorizationPolicy. */
  name: string;
  /** No rules: matches nothing (so an ALLOW policy without rules denies everything). */
  rules: AuthzRule[];
  /** CUSTOM only: the extension provider. */
  provider?: string;
}

export interface AuthzTable {
  custom: AuthzPolicy[];
  deny: AuthzPolicy[];
  allow: AuthzPolicy[];
  audit: AuthzPolicy[];
}

export interface JwtRule {
  /** `<namespace>/<name>` of the RequestAuthentication. */
  origin: string;
  /** Absent: a token of any issuer verified by jwksUri's keys. */
  issuer?: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  fromParams?: string[];
  fromCookies?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: { header: string; claim: string }[];
}

export interface AuthzConfig {
  mtls: MtlsPolicy;
  policies: AuthzTable;
  jwt: JwtRule[];
}

/** What both filters fetch from `/mesh/v1/proxy/<ns>/<workload>/filter-config`. */
export interface FilterConfig {
  /** The revision at which this workload's config last changed (also the ETag). */
  version: number;
  workload: string;
  router: RouterTable;
  authz: AuthzConfig;
}

/** An upstream cluster the workload may send to (for Envoy CDS/EDS). */
export interface ClusterSpec {
  name: string;
  /** FQDN of the service, or the ServiceEntry host. */
  host: string;
  port: number;
  subset: string;
  /** Endpoints are the workloads in `namespace` whose labels include all of `labels`
   *  (service selector AND subset labels), or the ServiceEntry's static endpoints. */
  endpoints:
    | { kind: "workloads"; namespace: string; labels: Record<string, string> }
    | { kind: "static"; addresses: { address: string; port: number }[] }
    | { kind: "dns"; address: string; port: number };
  /** DestinationRule traffic policy for this cluster (Istio JSON, port-level settings already merged). */
  trafficPolicy?: Record<string, unknown>;
  /** `<namespace>/<name>` of the DestinationRule that applied, if any. */
  destinationRule?: string;
}

export interface InboundPort {
  port: number;
  /** `inbound|9080||` */
  cluster: string;
  protocol: string;
  /** The Services that select the workload on this port (by hostname): Istio's inbound cluster
   *  metadata (filter_metadata.istio.services), where the stats filter finds the destination service. */
  services: InboundService[];
}

export interface InboundService {
  /** `productpage.default.svc.cluster.local` */
  host: string;
  name: string;
  namespace: string;
}

export interface GatewayListener {
  name: string;
  port: number;
  protocol: string;
  hostnames: string[];
  /** `<namespace>/<name>` of the Gateway object. */
  origin: string;
  /** HTTPS listeners whose certificates resolved: TLS is terminated with these Secrets. Only
   *  their names and versions: the key material reaches the gateway's own proxies in LDS alone. */
  tls?: { certificates: { secret: string; version?: string }[] };
}

/** Everything one workload's proxy gets. Contains nothing about what it cannot see. */
export interface WorkloadSnapshot {
  workload: {
    namespace: string;
    name: string;
    serviceAccount: string;
    labels: Record<string, string>;
    kind: "sidecar" | "gateway";
  };
  router: RouterTable;
  authz: AuthzConfig;
  clusters: ClusterSpec[];
  inbound: InboundPort[];
  /** Gateways only: the listeners the proxy opens. */
  listeners?: GatewayListener[];
}

export interface Snapshot {
  revision: number;
  /** Keyed by `<namespace>/<workload>`, sorted. */
  workloads: Record<string, WorkloadSnapshot>;
}
