// Mistakes users make in the Bookinfo objects, each with the field path the API must name.
// Shared by the API test (422 Status causes) and anything else that wants realistic bad input.
const vs = (spec: object, apiVersion = "networking.istio.io/v1") => ({ apiVersion, kind: "VirtualService", metadata: { name: "reviews" }, spec });
const dr = (spec: object) => ({ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "reviews" }, spec });
const route = (subset: string, extra: object = {}) => ({ destination: { host: "reviews", subset }, ...extra });

export interface InvalidCase {
  name: string;
  object: { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
  field: string;
  /** A fragment the message must contain: what was expected. */
  says: RegExp;
}

export const INVALID_CASES: InvalidCase[] = [
  {
    name: "weight one level too deep",
    object: vs({ hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1", weight: 50 } }] }] }),
    field: "spec.http[0].route[0].destination.weight",
    says: /unknown field; did you mean spec\.http\[0\]\.route\[0\]\.weight\?/,
  },
  {
    name: "negative weight",
    object: vs({ hosts: ["reviews"], http: [{ route: [route("v1", { weight: 50 }), route("v3", { weight: -50 })] }] }),
    field: "spec.http[0].route[1].weight",
    says: /negative|>=\s*0|non-negative/i,
  },
  {
    name: "all weights zero",
    object: vs({ hosts: ["reviews"], http: [{ route: [route("v1", { weight: 0 }), route("v3", { weight: 0 })] }] }),
    field: "spec.http[0].route",
    says: /zero|weight/i,
  },
  {
    name: "regex that does not compile",
    object: vs({ hosts: ["reviews"], http: [{ match: [{ uri: { regex: "/api/(v1" } }], route: [route("v1")] }] }),
    field: "spec.http[0].match[0].uri.regex",
    says: /regex|regular expression/i,
  },
  {
    name: "ServiceEntry without hosts",
    object: {
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: "googleapis" },
      spec: { ports: [{ number: 443, name: "https", protocol: "HTTPS" }], resolution: "DNS", location: "MESH_EXTERNAL" },
    },
    field: "spec.hosts",
    says: /Required value/,
  },
  {
    name: "port number as a string",
    object: vs({ hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", port: { number: "9080" } } }] }] }),
    field: "spec.http[0].route[0].destination.port.number",
    says: /expected/i,
  },
  {
    name: "fault percentage over 100",
    object: vs({ hosts: ["ratings"], http: [{ fault: { abort: { httpStatus: 500, percentage: { value: 150 } } }, route: [route("v1")] }] }),
    field: "spec.http[0].fault.abort.percentage.value",
    says: /100/,
  },
  {
    name: "v1alpha3-era appendHeaders",
    object: vs({ hosts: ["reviews"], http: [{ appendHeaders: { "x-a": "b" }, route: [route("v1")] }] }, "networking.istio.io/v1alpha3"),
    field: "spec.http[0].appendHeaders",
    says: /headers\.request/,
  },
  {
    name: "duplicate subset name",
    object: dr({ host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v1", labels: { version: "v2" } }] }),
    field: "spec.subsets[1].name",
    says: /unique|duplicate/i,
  },
  { name: "DestinationRule without host", object: dr({ subsets: [{ name: "v1", labels: { version: "v1" } }] }), field: "spec.host", says: /required|host/i },
  {
    name: "unknown load balancer",
    object: dr({ host: "reviews", trafficPolicy: { loadBalancer: { simple: "FASTEST" } } }),
    field: "spec.trafficPolicy.loadBalancer.simple",
    says: /ROUND_ROBIN/,
  },
  {
    name: "PeerAuthentication mode typo",
    object: { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default" }, spec: { mtls: { mode: "STRICTLY" } } },
    field: "spec.mtls.mode",
    says: /STRICT/,
  },
  {
    name: "AuthorizationPolicy principal (singular)",
    object: {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "allow-productpage" },
      spec: { rules: [{ from: [{ source: { principal: ["cluster.local/ns/default/sa/bookinfo-productpage"] } }] }] },
    },
    field: "spec.rules[0].from[0].source.principal",
    says: /principals/,
  },
  {
    name: "HTTPRoute path without leading slash",
    object: {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "bookinfo" },
      spec: { parentRefs: [{ name: "bookinfo-gateway" }], rules: [{ matches: [{ path: { type: "PathPrefix", value: "static" } }], backendRefs: [{ name: "productpage", port: 9080 }] }] },
    },
    field: "spec.rules[0].matches[0].path.value",
    says: /\//,
  },
  {
    name: "HTTPRoute negative weight",
    object: {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "reviews" },
      spec: { parentRefs: [{ name: "bookinfo-gateway" }], rules: [{ backendRefs: [{ name: "reviews-v1", port: 9080, weight: -1 }] }] },
    },
    field: "spec.rules[0].backendRefs[0].weight",
    says: /0/,
  },
  {
    name: "Service port out of range",
    object: { apiVersion: "v1", kind: "Service", metadata: { name: "reviews" }, spec: { ports: [{ port: 70000, name: "http" }], selector: { app: "reviews" } } },
    field: "spec.ports[0].port",
    says: /65535/,
  },
  {
    name: "Deployment template labels do not match its selector",
    object: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "reviews-v1" },
      spec: {
        selector: { matchLabels: { app: "reviews", version: "v1" } },
        template: { metadata: { labels: { app: "reviews", version: "v2" } }, spec: { containers: [{ name: "reviews", image: "docker.io/istio/examples-bookinfo-reviews-v1:1.20.3" }] } },
      },
    },
    field: "spec.template.metadata.labels",
    says: /selector/,
  },
  {
    name: "name with capitals and underscore",
    object: vs({ hosts: ["reviews"], http: [{ route: [route("v1")] }] }),
    field: "metadata.name",
    says: /RFC 1123/,
  },
];
INVALID_CASES[INVALID_CASES.length - 1].object.metadata.name = "Reviews_V1";
