// Authz semantics beyond the golden cases, on hand-written AuthzConfigs: every source/operation
// field, `when` keys, CUSTOM and AUDIT.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthzConfig, AuthzPolicy, AuthzRule } from "../../control/mesh/snapshot.ts";
import type { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import type { DecisionRequest } from "./decision-cases.ts";
import { filterConfig, hostWithConfig, minimalConfig, send } from "./support.ts";

async function authz(policies: Partial<AuthzConfig["policies"]>, mtls: AuthzConfig["mtls"] = { mode: "PERMISSIVE", ports: [], origin: [] }): Promise<ProxyWasmHost> {
  const base = minimalConfig(1);
  return hostWithConfig("authz", { ...base, authz: { ...base.authz, mtls, policies: { custom: [], deny: [], allow: [], audit: [], ...policies } } });
}

const allowOnly = (...rules: Partial<AuthzRule>[]): AuthzPolicy[] => [{ name: "ns/p", rules: rules.map((r) => ({ from: [], to: [], when: [], ...r })) }];
const PEER = "spiffe://cluster.local/ns/shop/sa/cart";
const req = (extra: Partial<DecisionRequest> = {}): DecisionRequest => ({ authority: "svc.shop:8080", path: "/p", method: "GET", port: 8080, ...extra });

function allowed(host: ProxyWasmHost, r: DecisionRequest): boolean {
  const o = send(host, r);
  o.stream.done();
  assert.deepEqual(host.violations, []);
  if (o.action === "reply") assert.equal(o.status, 403);
  return o.action === "continue";
}

describe("authz: sources", () => {
  it("principals (prefix/suffix/*), namespaces and their not* forms", async () => {
    const host = await authz({ allow: allowOnly({ from: [{ principals: ["cluster.local/ns/shop/*"], notPrincipals: ["*/sa/blocked"] }] }, { from: [{ namespaces: ["ops"] }] }) });
    assert.ok(allowed(host, req({ peer: { principal: PEER } })));
    assert.ok(!allowed(host, req({ peer: { principal: "spiffe://cluster.local/ns/shop/sa/blocked" } })));
    assert.ok(allowed(host, req({ peer: { principal: "spiffe://cluster.local/ns/ops/sa/x" } })));
    assert.ok(!allowed(host, req({ peer: { principal: "spiffe://cluster.local/ns/web/sa/x" } })));
    assert.ok(!allowed(host, req()), "no principal without mTLS");
  });

  it("ipBlocks (v4, v6, CIDR) against source.address and remoteIpBlocks against x-forwarded-for", async () => {
    const host = await authz({
      allow: allowOnly({ from: [{ ipBlocks: ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"], notIpBlocks: ["10.9.0.0/16"] }] }, { from: [{ remoteIpBlocks: ["203.0.113.0/24"] }] }),
    });
    assert.ok(allowed(host, req({ peer: { address: "10.1.2.3:555" } })));
    assert.ok(!allowed(host, req({ peer: { address: "10.9.2.3:555" } })));
    assert.ok(allowed(host, req({ peer: { address: "[2001:db8::1]:443" } })));
    assert.ok(allowed(host, req({ peer: { address: "192.168.1.7" } })));
    assert.ok(!allowed(host, req({ peer: { address: "192.168.1.8:1" } })));
    assert.ok(allowed(host, req({ peer: { address: "172.16.0.1:1" }, headers: { "x-forwarded-for": "203.0.113.9, 10.0.0.1" } })));
    assert.ok(!allowed(host, req({ peer: { address: "172.16.0.1:1" }, headers: { "x-forwarded-for": "garbage" } })));
  });

  it("requestPrincipals from the jwt_authn payload", async () => {
    const host = await authz({ allow: allowOnly({ from: [{ requestPrincipals: ["https://issuer/*"] }] }) });
    assert.ok(allowed(host, req({ jwt: { iss: "https://issuer", sub: "u1" } })));
    assert.ok(!allowed(host, req({ jwt: { iss: "https://other", sub: "u1" } })));
    assert.ok(!allowed(host, req({ jwt: { iss: "https://issuer" } })), "no sub: no request principal");
  });
});

describe("authz: operations and conditions", () => {
  it("hosts (case-insensitive, with or without port), ports, methods, paths, notPaths", async () => {
    const host = await authz({ allow: allowOnly({ to: [{ hosts: ["SVC.shop"], ports: ["8080"], methods: ["GET", "HEAD"], paths: ["/api/*", "*.css", "/exact"], notPaths: ["/api/admin*"] }] }) });
    assert.ok(allowed(host, req({ path: "/api/x" })));
    assert.ok(allowed(host, req({ path: "/site.css?v=2" })));
    assert.ok(allowed(host, req({ path: "/exact", method: "HEAD" })));
    assert.ok(!allowed(host, req({ path: "/api/admin/x" })));
    assert.ok(!allowed(host, req({ path: "/exactly" })));
    assert.ok(!allowed(host, req({ path: "/api/x", method: "PUT" })));
    assert.ok(!allowed(host, req({ path: "/api/x", port: 9090 })));
    assert.ok(!allowed(host, req({ path: "/api/x", authority: "other" })));
  });

  it("when: headers, source.ip, namespace/principal, request.auth.*, nested claims, destination.port, sni", async () => {
    const host = await authz({
      allow: allowOnly({
        when: [
          { key: "request.headers[X-Tenant]", values: ["acme*"] },
          { key: "source.ip", values: ["10.0.0.0/8"] },
          { key: "source.namespace", notValues: ["banned"] },
          { key: "request.auth.principal", values: ["iss/sub"] },
          { key: "request.auth.audiences", values: ["api"] },
          { key: "request.auth.presenter", values: ["web"] },
          { key: "request.auth.claims[realm][role]", values: ["admin"] },
          { key: "destination.port", values: ["8080"] },
          { key: "connection.sni", notValues: ["evil.example"] },
        ],
      }),
    });
    const jwt = { iss: "iss", sub: "sub", aud: ["web", "api"], azp: "web" };
    const ok = req({ headers: { "x-tenant": "acme-eu" }, peer: { principal: PEER, address: "10.0.0.5:1" }, jwt });
    // nested claims: realm.role (the host serves nested claim objects as a tree)
    const nested = (role: string): DecisionRequest => ({ ...ok, jwt: { ...jwt, realm: { role } } });
    assert.ok(allowed(host, nested("admin")));
    assert.ok(!allowed(host, nested("user")));
    assert.ok(!allowed(host, { ...nested("admin"), headers: { "x-tenant": "other" } }));
    assert.ok(!allowed(host, { ...nested("admin"), jwt: { ...jwt, aud: "web", realm: { role: "admin" } } }));
    assert.ok(!allowed(host, { ...nested("admin"), port: 9090 }));
  });

  it("an unsupported `when` key never matches in ALLOW and always matches in DENY (Istio)", async () => {
    const weird = [{ key: "experimental.envoy.filters.x", values: ["1"] }];
    assert.ok(!allowed(await authz({ allow: allowOnly({ when: weird }) }), req()));
    assert.ok(!allowed(await authz({ deny: allowOnly({ when: weird }) }), req()));
  });
});

describe("authz: actions", () => {
  it("CUSTOM: a matching rule is denied (no ext_authz) and logged; others pass", async () => {
    const host = await authz({ custom: [{ name: "ns/ext", provider: "opa", rules: [{ from: [], to: [{ paths: ["/ext*"] }], when: [] }] }] });
    assert.ok(!allowed(host, req({ path: "/ext/a" })));
    assert.ok(allowed(host, req({ path: "/other" })));
    assert.ok(host.logs.some((l) => l.level === "warn" && /CUSTOM policy ns\/ext rule 0 \(provider opa\)/.test(l.message)));
  });

  it("AUDIT logs `audit <policy>` and does not change the decision", async () => {
    const host = await authz({ audit: [{ name: "ns/audit-admin", rules: [{ from: [], to: [{ paths: ["/admin"] }], when: [] }] }] });
    assert.ok(allowed(host, req({ path: "/admin" })));
    assert.ok(allowed(host, req({ path: "/x" })));
    assert.equal(host.logs.filter((l) => l.message === "audit ns/audit-admin").length, 1);
  });

  it("mTLS STRICT per port override", async () => {
    const host = await authz({}, { mode: "PERMISSIVE", ports: [{ port: 8443, mode: "STRICT" }], origin: [] });
    assert.ok(allowed(host, req({ mtls: false })));
    const o = send(host, req({ port: 8443, mtls: false }));
    assert.deepEqual([o.status, o.stream.localReply?.details], [403, "mtls_required"]);
    assert.ok(allowed(host, req({ port: 8443, peer: { principal: PEER } })));
  });
});

describe("decision lines at debug level (what explain shows)", () => {
  it("authz names the deciding policy and rule; router names the route", async () => {
    const authzHost = await hostWithConfig("authz", filterConfig("security-allow-deny", "default/reviews-v1"), { logLevel: "debug" });
    send(authzHost, req({ authority: "reviews:9080", path: "/admin/x", port: 9080, peer: { principal: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage" } })).stream.done();
    send(authzHost, req({ authority: "reviews:9080", path: "/reviews/1", port: 9080, peer: { principal: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage" } })).stream.done();
    const lines = authzHost.logs.filter((l) => l.level === "debug").map((l) => l.message);
    assert.deepEqual(lines, ["denied by default/deny-admin rule 0 (DENY)", "allowed by default/reviews-viewer rule 0 (ALLOW)"]);

    const routerHost = await hostWithConfig("router", filterConfig("reviews-test-v2", "default/productpage-v1"), { logLevel: "debug" });
    send(routerHost, { authority: "reviews:9080", path: "/", port: 9080, headers: { "end-user": "jason" } }).stream.done();
    assert.ok(routerHost.logs.some((l) => l.message === "route VirtualService default/reviews rule 0 -> outbound|9080|v2|reviews.default.svc.cluster.local"));
    // at the default (info) level no per-request lines are built
    const quiet = await hostWithConfig("authz", filterConfig("security-allow-deny", "default/reviews-v1"));
    send(quiet, req({ path: "/admin" })).stream.done();
    assert.ok(!quiet.logs.some((l) => l.level === "debug"));
  });
});
