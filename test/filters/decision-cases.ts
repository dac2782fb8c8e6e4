// Expected per-request decisions for every golden compile case (test/golden/compile/<case>),
// as a plain table so other consumers (the explain endpoint) can reuse it. Each entry names the
// compiled workload whose FilterConfig the filter runs with, the filter (router: outbound on the
// calling workload; authz: inbound on the called one), the request and the outcome:
//   cluster       the request continues with x-mesh-cluster: <cluster>
//   localReply    the filter answered itself with this status (and body, when given)
//   allowed       authz let the request through
//   delayMs       the stream pauses this long (host time) before continuing (fault delay)
//   distribution  over `samples` requests (default 2000) each cluster's share, within ±0.05
// Expectations are written from the Istio/Gateway API YAML in input.yaml, not from the compiler.

export type JwtClaim = string | string[] | { [claim: string]: JwtClaim };

export interface DecisionRequest {
  authority: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** destination.port; absent: the filter falls back to the :authority port, else 80. */
  port?: number;
  /** connection.mtls (default: true when a peer principal is given). */
  mtls?: boolean;
  peer?: { principal?: string; address?: string };
  /** Claims of a JWT that Envoy's jwt_authn verified (dynamic metadata payload). */
  jwt?: { [claim: string]: JwtClaim };
}

export interface DecisionExpect {
  cluster?: string;
  localReply?: { status: number; body?: string };
  allowed?: true;
  delayMs?: number;
  distribution?: Record<string, number>;
}

export interface DecisionCase {
  case: string;
  workload: string;
  filter: "router" | "authz";
  /** What the entry checks, for test names and explain output. */
  name: string;
  request: DecisionRequest;
  expect: DecisionExpect;
  samples?: number;
}

const PP = "default/productpage-v1";
const svc = (name: string, subset = "", port = 9080) => `outbound|${port}|${subset}|${name}.default.svc.cluster.local`;
const get = (authority: string, path = "/", extra: Partial<DecisionRequest> = {}): DecisionRequest => ({ authority, path, method: "GET", port: 9080, ...extra });
const route = (c: string, name: string, request: DecisionRequest, expect: DecisionExpect, workload = PP): DecisionCase => ({ case: c, workload, filter: "router", name, request, expect });
const authz = (c: string, workload: string, name: string, request: DecisionRequest, expect: DecisionExpect): DecisionCase => ({ case: c, workload, filter: "authz", name, request, expect });
const JASON = { "end-user": "jason" };
const SA = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
const FROM_PRODUCTPAGE = { principal: SA("default", "bookinfo-productpage"), address: "10.1.0.7:43210" };
const FROM_RATINGS = { principal: SA("default", "bookinfo-ratings"), address: "10.1.0.9:43211" };
const FROM_OTHER_NS = { principal: SA("shop", "cart"), address: "10.9.0.1:5000" };
const PLAINTEXT = { address: "10.1.0.7:43210" };
const DENIED = { localReply: { status: 403, body: "RBAC: access denied" } };
const NR = { localReply: { status: 404 } };
const JWT_ISS = "testing@secure.istio.io";

/** Subsets of one service, each getting all of the traffic (plain VirtualService subset routes). */
function allTo(c: string, subsets: Record<string, string>): DecisionCase[] {
  return Object.entries(subsets).map(([service, subset]) => route(c, `${service} -> ${subset || "service"}`, get(`${service}:9080`, "/x"), { cluster: svc(service, subset) }));
}

export const DECISION_CASES: DecisionCase[] = [
  // --- plain routing -----------------------------------------------------------------------
  ...allTo("all-v1", { productpage: "v1", reviews: "v1", ratings: "v1", details: "v1" }),
  route("all-v1", "short name without port, port from destination.port", get("reviews", "/reviews/0"), { cluster: svc("reviews", "v1") }),
  route("all-v1", "FQDN authority, upper case", get("Reviews.Default.Svc.Cluster.Local:9080", "/"), { cluster: svc("reviews", "v1") }),
  route("all-v1", "port taken from :authority when destination.port is absent", { authority: "ratings:9080", path: "/" }, { cluster: svc("ratings", "v1") }),
  route("all-v1", "unknown host -> 404 route_not_found", get("nowhere.example:9080"), NR),
  route("all-v1", "known host on a port without a table -> 404", get("reviews:7777", "/", { port: 7777 }), NR),
  route("bookinfo-no-routing", "no VirtualService: the service cluster", get("reviews:9080"), { cluster: svc("reviews") }),
  ...allTo("destination-rule-all-mtls", { productpage: "v1", reviews: "v1", ratings: "v1", details: "v1" }),
  route("destination-rule-reviews-random", "DestinationRule only: the service cluster", get("reviews:9080"), { cluster: svc("reviews") }),
  route("details-v2", "details -> v2", get("details:9080", "/details/0"), { cluster: svc("details", "v2") }),
  route("egress-google-apis", "ServiceEntry host on port 80 -> its 443 cluster", get("www.googleapis.com", "/storage/v1", { port: 80 }), {
    cluster: "outbound|443||www.googleapis.com",
  }),
  route("egress-google-apis", "other external host -> 404", get("example.com", "/", { port: 80 }), NR),
  ...allTo("ratings-db", { reviews: "v3", ratings: "v2" }),
  ...allTo("ratings-mysql", { reviews: "v3", ratings: "v2-mysql" }),
  ...allTo("ratings-mysql-vm", { reviews: "v3", ratings: "v2-mysql-vm" }),
  route("reviews-v3", "reviews -> v3", get("reviews:9080"), { cluster: svc("reviews", "v3") }),

  // --- weighted routing --------------------------------------------------------------------
  route("reviews-50-v3", "50/50 v1/v3", get("reviews:9080", "/reviews/1"), { distribution: { [svc("reviews", "v1")]: 0.5, [svc("reviews", "v3")]: 0.5 } }),
  route("reviews-80-20", "80/20 v1/v2", get("reviews:9080", "/reviews/1"), { distribution: { [svc("reviews", "v1")]: 0.8, [svc("reviews", "v2")]: 0.2 } }),
  route("reviews-90-10", "90/10 v1/v2", get("reviews:9080", "/reviews/1"), { distribution: { [svc("reviews", "v1")]: 0.9, [svc("reviews", "v2")]: 0.1 } }),
  route("reviews-v2-v3", "50/50 v2/v3", get("reviews:9080", "/reviews/1"), { distribution: { [svc("reviews", "v2")]: 0.5, [svc("reviews", "v3")]: 0.5 } }),

  // --- header matches ----------------------------------------------------------------------
  route("reviews-test-v2", "end-user: jason -> v2", get("reviews:9080", "/reviews/1", { headers: JASON }), { cluster: svc("reviews", "v2") }),
  route("reviews-test-v2", "other users -> v1", get("reviews:9080", "/reviews/1", { headers: { "end-user": "mary" } }), { cluster: svc("reviews", "v1") }),
  route("reviews-test-v2", "no end-user -> v1", get("reviews:9080", "/reviews/1"), { cluster: svc("reviews", "v1") }),
  route("reviews-test-v2", "exact match is case-sensitive", get("reviews:9080", "/", { headers: { "end-user": "Jason" } }), { cluster: svc("reviews", "v1") }),
  route("reviews-jason-v2-v3", "jason -> v2", get("reviews:9080", "/", { headers: JASON }), { cluster: svc("reviews", "v2") }),
  route("reviews-jason-v2-v3", "others -> v3", get("reviews:9080", "/", { headers: { "end-user": "bob" } }), { cluster: svc("reviews", "v3") }),

  // --- faults ------------------------------------------------------------------------------
  route("ratings-test-delay", "jason: 7 s delay, then ratings v1", get("ratings:9080", "/ratings/0", { headers: JASON }), { cluster: svc("ratings", "v1"), delayMs: 7000 }),
  route("ratings-test-delay", "others: no delay", get("ratings:9080", "/ratings/0"), { cluster: svc("ratings", "v1") }),
  route("ratings-test-abort", "jason: abort 500", get("ratings:9080", "/ratings/0", { headers: JASON }), { localReply: { status: 500, body: "fault filter abort" } }),
  route("ratings-test-abort", "others: ratings v1", get("ratings:9080", "/ratings/0", { headers: { "end-user": "kim" } }), { cluster: svc("ratings", "v1") }),
  route("fault-injection-details-v1", "details: abort 555 for everyone", get("details:9080", "/details/0"), { localReply: { status: 555, body: "fault filter abort" } }),
  route("fault-injection-details-v1", "reviews unaffected", get("reviews:9080", "/reviews/0"), { cluster: svc("reviews") }),

  // --- ingress gateways --------------------------------------------------------------------
  ...gatewayApi("gateway-api-ingress"),
  route("istio-ingress-gateway", "/productpage -> productpage", get("bookinfo.example.com", "/productpage", { port: 8080 }), { cluster: svc("productpage") }, "istio-system/istio-ingressgateway"),
  route("istio-ingress-gateway", "/static prefix", get("bookinfo.example.com", "/static/css/app.css", { port: 8080 }), { cluster: svc("productpage") }, "istio-system/istio-ingressgateway"),
  route("istio-ingress-gateway", "Istio prefix is not segment-aware: /staticx matches /static", get("x", "/staticx", { port: 8080 }), { cluster: svc("productpage") }, "istio-system/istio-ingressgateway"),
  route("istio-ingress-gateway", "/api/v1/products/0", get("x", "/api/v1/products/0", { port: 8080 }), { cluster: svc("productpage") }, "istio-system/istio-ingressgateway"),
  route("istio-ingress-gateway", "/login with a query string", get("x", "/login?next=/", { port: 8080 }), { cluster: svc("productpage") }, "istio-system/istio-ingressgateway"),
  route("istio-ingress-gateway", "/other -> 404", get("x", "/other", { port: 8080 }), NR, "istio-system/istio-ingressgateway"),
  ...httpsListeners("gateway-https-reference-grants"),

  // --- Gateway API mesh (GAMMA) routes -------------------------------------------------------
  route("gateway-api-route-all-v1", "reviews -> reviews-v1 service", get("reviews:9080"), { cluster: svc("reviews-v1") }),
  route("gateway-api-route-all-v1", "details -> details-v1 service", get("details:9080", "/details/1"), { cluster: svc("details-v1") }),
  route("gateway-api-route-reviews-v1", "reviews -> reviews-v1", get("reviews:9080"), { cluster: svc("reviews-v1") }),
  route("gateway-api-route-reviews-v3", "reviews -> reviews-v3", get("reviews:9080"), { cluster: svc("reviews-v3") }),
  route("gateway-api-route-reviews-50-v3", "50/50 reviews-v1/reviews-v3", get("reviews:9080", "/reviews/2"), {
    distribution: { [svc("reviews-v1")]: 0.5, [svc("reviews-v3")]: 0.5 },
  }),
  route("gateway-api-route-reviews-90-10", "90/10 reviews-v1/reviews-v2", get("reviews:9080", "/reviews/2"), {
    distribution: { [svc("reviews-v1")]: 0.9, [svc("reviews-v2")]: 0.1 },
  }),

  // --- PeerAuthentication ------------------------------------------------------------------
  authz("security-strict-mesh-wide", "default/reviews-v1", "STRICT refuses plaintext", get("reviews:9080", "/", { peer: PLAINTEXT, mtls: false }), { localReply: { status: 403 } }),
  authz("security-strict-mesh-wide", "default/reviews-v1", "STRICT accepts mTLS", get("reviews:9080", "/", { peer: FROM_PRODUCTPAGE }), { allowed: true }),
  authz("security-port-level-disable", "default/ratings-v1", "port 9080 DISABLE lets plaintext in", get("ratings:9080", "/", { peer: PLAINTEXT, mtls: false }), { allowed: true }),
  authz("security-port-level-disable", "default/ratings-v1", "other ports stay STRICT", get("ratings:9090", "/", { port: 9090, peer: PLAINTEXT, mtls: false }), { localReply: { status: 403 } }),
  authz("security-port-level-disable", "default/ratings-v1", "mTLS on 9080 is fine too", get("ratings:9080", "/", { peer: FROM_PRODUCTPAGE }), { allowed: true }),
  authz("security-port-level-disable", "default/reviews-v1", "other workloads stay PERMISSIVE", get("reviews:9080", "/", { peer: PLAINTEXT, mtls: false }), { allowed: true }),
  authz("security-namespace-permissive-workload-strict", "default/reviews-v1", "workload STRICT beats namespace PERMISSIVE", get("reviews:9080", "/", { peer: PLAINTEXT, mtls: false }), {
    localReply: { status: 403 },
  }),
  authz("security-namespace-permissive-workload-strict", "default/productpage-v1", "namespace PERMISSIVE beats mesh STRICT", get("productpage:9080", "/", { peer: PLAINTEXT, mtls: false }), {
    allowed: true,
  }),

  // --- AuthorizationPolicy -----------------------------------------------------------------
  authz("security-allow-deny", "default/reviews-v1", "ALLOW: productpage GET", get("reviews:9080", "/reviews/1", { peer: FROM_PRODUCTPAGE }), { allowed: true }),
  authz("security-allow-deny", "default/reviews-v1", "ALLOW needs GET", get("reviews:9080", "/reviews/1", { method: "POST", peer: FROM_PRODUCTPAGE }), DENIED),
  authz("security-allow-deny", "default/reviews-v1", "ALLOW needs the productpage principal", get("reviews:9080", "/reviews/1", { peer: FROM_RATINGS }), DENIED),
  authz("security-allow-deny", "default/reviews-v1", "DENY beats ALLOW (/admin*)", get("reviews:9080", "/admin/x", { peer: FROM_PRODUCTPAGE }), DENIED),
  authz("security-allow-deny", "default/reviews-v1", "paths ignore the query string", get("reviews:9080", "/reviews/1?admin=/admin", { peer: FROM_PRODUCTPAGE }), { allowed: true }),
  authz("security-allow-deny", "default/reviews-v1", "DENY notNamespaces: plaintext has no namespace", get("reviews:9080", "/reviews/1", { peer: PLAINTEXT, mtls: false }), DENIED),
  authz("security-allow-deny", "default/productpage-v1", "rules: [{}] allows everything", get("productpage:9080", "/productpage", { method: "DELETE", peer: FROM_RATINGS }), { allowed: true }),
  authz("security-allow-deny", "default/productpage-v1", "DENY notNamespaces: another namespace", get("productpage:9080", "/productpage", { peer: FROM_OTHER_NS }), DENIED),
  authz("security-allow-deny", "default/productpage-v1", "DENY /admin* even where everything is allowed", get("productpage:9080", "/admin", { peer: FROM_RATINGS }), DENIED),
  authz("security-allow-deny", "default/details-v1", "allow-nothing (spec: {}) denies", get("details:9080", "/details/0", { peer: FROM_PRODUCTPAGE }), DENIED),
  authz("security-allow-deny", "default/ratings-v1", "allow-nothing denies ratings too", get("ratings:9080", "/ratings/0", { peer: FROM_PRODUCTPAGE }), DENIED),

  // --- one mesh, clients in three namespaces (multi-namespace-views) ---------------------------
  ...multiNamespace("multi-namespace-views"),

  // --- RequestAuthentication + requestPrincipals / claims ------------------------------------
  authz("security-jwt", PP, "JWT principal with groups [group1] is allowed", get("productpage:9080", "/productpage", { jwt: { iss: JWT_ISS, sub: JWT_ISS, groups: ["group1", "group2"] } }), {
    allowed: true,
  }),
  authz("security-jwt", PP, "a string claim works like a one-element list", get("productpage:9080", "/productpage", { jwt: { iss: JWT_ISS, sub: JWT_ISS, groups: "group1" } }), {
    allowed: true,
  }),
  authz("security-jwt", PP, "wrong group -> denied", get("productpage:9080", "/productpage", { jwt: { iss: JWT_ISS, sub: JWT_ISS, groups: ["group2"] } }), DENIED),
  authz("security-jwt", PP, "other subject -> denied", get("productpage:9080", "/productpage", { jwt: { iss: JWT_ISS, sub: "mallory", groups: ["group1"] } }), DENIED),
  authz("security-jwt", PP, "no token -> denied", get("productpage:9080", "/productpage"), DENIED),
  authz("security-jwt", "default/reviews-v1", "the policy selects productpage only", get("reviews:9080", "/"), { allowed: true }),
];

/** Clients in web, batch and shop see the shop services their own way (the case's input.yaml). */
function multiNamespace(c: string): DecisionCase[] {
  const shop = (name: string, subset = "") => `outbound|8080|${subset}|${name}.shop.svc.cluster.local`;
  const at = (authority: string, path = "/", extra: Partial<DecisionRequest> = {}) => get(authority, path, { port: 8080, ...extra });
  const fromWeb = { principal: SA("web", "default"), address: "10.2.0.4:40000" };
  const fromBatch = { principal: SA("batch", "default"), address: "10.3.0.4:40000" };
  return [
    route(c, "web tier=edge: sourceNamespace + sourceLabels -> pricing v2", at("pricing.shop:8080"), { cluster: shop("pricing", "v2") }, "web/frontend"),
    route(c, "web without tier=edge: 75/25 pricing v1/v2", at("pricing.shop:8080"), { distribution: { [shop("pricing", "v1")]: 0.75, [shop("pricing", "v2")]: 0.25 } }, "web/admin"),
    route(c, "shop: no sourceNamespace match, short name resolves -> 75/25", at("pricing:8080"), { distribution: { [shop("pricing", "v1")]: 0.75, [shop("pricing", "v2")]: 0.25 } }, "shop/cart-v1"),
    route(c, "a short name from another namespace is no host -> 404", at("pricing:8080"), NR, "web/frontend"),
    route(c, "batch's Sidecar lets it reach cart", at("cart.shop.svc.cluster.local"), { cluster: shop("cart") }, "batch/reports"),
    route(c, "batch's Sidecar hides pricing -> 404", at("pricing.shop:8080"), NR, "batch/reports"),
    route(c, "internal's VirtualService (exportTo .) applies in shop", at("internal:8080"), { cluster: shop("internal") }, "shop/cart-v1"),
    route(c, "web reaches internal without that VirtualService", at("internal.shop:8080"), { cluster: shop("internal") }, "web/admin"),
    route(c, "web's consumer HTTPRoute for search", at("search.shop:8080", "/beta/q"), { cluster: shop("search") }, "web/admin"),
    authz(c, "shop/cart-v1", "DENY by version=v1: DELETE", at("cart:8080", "/", { method: "DELETE", peer: fromWeb }), DENIED),
    authz(c, "shop/cart-v1", "ALLOW from namespace web (app=cart,version=v1)", at("cart:8080", "/", { method: "POST", peer: fromWeb }), { allowed: true }),
    authz(c, "shop/cart-v1", "ALLOW GET for app=cart", at("cart:8080", "/", { peer: fromBatch }), { allowed: true }),
    authz(c, "shop/cart-v1", "neither ALLOW matches: POST from batch", at("cart:8080", "/", { method: "POST", peer: fromBatch }), DENIED),
    authz(c, "shop/cart-v2", "v2 has no from-web policy: POST from web", at("cart:8080", "/", { method: "POST", peer: fromWeb }), DENIED),
    authz(c, "shop/cart-v2", "port 8080 DISABLE lets plaintext in", at("cart:8080", "/", { peer: PLAINTEXT, mtls: false }), { allowed: true }),
    authz(c, "shop/cart-v2", "other ports stay STRICT", at("cart:9090", "/", { port: 9090, peer: PLAINTEXT, mtls: false }), { localReply: { status: 403 } }),
    authz(c, "shop/pricing-v2", "namespace PERMISSIVE, no ALLOW policy: plaintext allowed", at("pricing:8080", "/", { method: "POST", peer: PLAINTEXT, mtls: false }), { allowed: true }),
  ];
}

/** The Bookinfo Gateway API ingress (HTTPRoute on the generated gateway, port 80). */
function gatewayApi(c: string): DecisionCase[] {
  const gw = "default/bookinfo-gateway-istio";
  const pp = { cluster: svc("productpage") };
  const at = (path: string) => get("bookinfo.example.com", path, { port: 80 });
  return [
    route(c, "/productpage -> productpage", at("/productpage"), pp, gw),
    route(c, "/static/x: PathPrefix /static", at("/static/x"), pp, gw),
    route(c, "/static itself", at("/static"), pp, gw),
    route(c, "/staticx: PathPrefix is segment-aware -> 404", at("/staticx"), NR, gw),
    route(c, "/login", at("/login"), pp, gw),
    route(c, "/api/v1/products/1", at("/api/v1/products/1"), pp, gw),
    route(c, "/productpage/extra: Exact does not match -> 404", at("/productpage/extra"), NR, gw),
  ];
}

/** HTTPS listeners on 443 (TLS ends at the gateway; routing sees the decrypted request) and ReferenceGrants. */
function httpsListeners(c: string): DecisionCase[] {
  const edge = "web/edge-istio";
  const istio = "web/istio-ingressgateway";
  const inWeb = (name: string) => `outbound|9080||${name}.web.svc.cluster.local`;
  const inShop = (name: string) => `outbound|9080||${name}.shop.svc.cluster.local`;
  const at = (host: string, path: string) => get(host, path, { port: 443 });
  return [
    route(c, "bookinfo.example.com (own-namespace Secret) /productpage", at("bookinfo.example.com", "/productpage"), { cluster: inWeb("productpage") }, edge),
    route(c, "other.example.com (Secret granted from certs) /productpage", at("other.example.com", "/productpage"), { cluster: inWeb("productpage") }, edge),
    route(c, "/ratings: a backendRef to shop that a ReferenceGrant permits", at("bookinfo.example.com", "/ratings/1"), { cluster: inShop("ratings") }, edge),
    route(c, "/reviews: a backendRef to shop with no grant -> 500", at("bookinfo.example.com", "/reviews/1"), { localReply: { status: 500 } }, edge),
    route(c, "a host no listener serves -> 404", at("nobody.example.com", "/productpage"), NR, edge),
    route(c, "Istio Gateway SIMPLE credentialName: bookinfo.example.com -> productpage", at("bookinfo.example.com", "/anything"), { cluster: inWeb("productpage") }, istio),
  ];
}
