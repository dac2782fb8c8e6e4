// Istio path templates in AuthorizationPolicy paths/notPaths ({*}, {**}), issue 18 item 1: the
// authz filter enforces them (a DENY on "/admin/{**}" used to compare the template literally and
// let "/admin/x" through), and the API accepts exactly the templates the filter accepts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthzConfig, AuthzRule } from "../../control/mesh/snapshot.ts";
import type { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { specErrorsOf } from "../mesh/schema-support.ts";
import { hostWithConfig, minimalConfig, send } from "./support.ts";

async function authz(policies: Partial<AuthzConfig["policies"]>): Promise<ProxyWasmHost> {
  const base = minimalConfig(1);
  return hostWithConfig("authz", { ...base, authz: { ...base.authz, policies: { custom: [], deny: [], allow: [], audit: [], ...policies } } });
}

const rule = (to: AuthzRule["to"]): AuthzRule => ({ from: [], to, when: [] });

function allowed(host: ProxyWasmHost, path: string): boolean {
  const o = send(host, { authority: "svc.shop:8080", path, method: "GET", port: 8080 });
  o.stream.done();
  assert.deepEqual(host.violations, []);
  return o.action === "continue";
}

describe("authz: path templates", () => {
  it("DENY /admin/{**}: everything below /admin/ is denied, at any depth", async () => {
    const host = await authz({ deny: [{ name: "ns/deny-admin", rules: [rule([{ paths: ["/admin/{**}"] }])] }] });
    for (const p of ["/admin/x", "/admin/x/y/z", "/admin/", "/admin/a=b", "/admin/x?q=1"]) assert.ok(!allowed(host, p), p);
    for (const p of ["/admin", "/administrator/x", "/x/admin/y", "/", "/adm"]) assert.ok(allowed(host, p), p);
  });

  it("{*} is exactly one non-empty segment; literals may follow {**}", async () => {
    const host = await authz({
      deny: [{ name: "ns/d", rules: [rule([{ paths: ["/api/{*}/secret", "/files/{**}/raw.txt", "/v1/{*}/"] }])] }],
    });
    for (const p of ["/api/x/secret", "/api/a.b~c/secret", "/files//raw.txt", "/files/a/b/raw.txt", "/v1/x/"]) assert.ok(!allowed(host, p), p);
    for (const p of ["/api//secret", "/api/x/y/secret", "/api/x/secret/z", "/api/x/secrets", "/files/raw.txt", "/files/a/raw.txt.bak", "/v1/x", "/v1/x/y"]) assert.ok(allowed(host, p), p);
  });

  it("notPaths templates: ALLOW anything but /internal/{**}", async () => {
    const host = await authz({ allow: [{ name: "ns/a", rules: [rule([{ notPaths: ["/internal/{**}"] }])] }] });
    assert.ok(allowed(host, "/public/x"));
    assert.ok(!allowed(host, "/internal/x/y"));
  });

  it("a template the filter cannot enforce rejects the whole config (the API refuses it first)", async () => {
    const host = await authz({ deny: [{ name: "ns/d", rules: [rule([{ paths: ["/a/{**}/{*}"] }])] }] });
    assert.match(host.logs.map((l) => l.message).join("\n"), /paths\[0\]: invalid path template "\/a\/\{\*\*\}\/\{\*\}": \{\*\*\} must be the last operator/);
  });
});

describe("the API accepts exactly the path templates the filter enforces", () => {
  const errorsOf = specErrorsOf({ group: "security.istio.io", namespace: "foo" });
  const TRICKY = [
    "/admin/{**}", "/api/{*}/secret", "/{**}", "/{*}", "/a/{*}/{*}/b", "/files/{**}/raw.txt", "/v1/{*}/", "/a:b@c/{*}", "/a=b/{**}",
    "/a/{**}/{**}", "/a/{**}/{*}", "/a/{x}/{*}", "/a/{*}x/b", "/a/x{**}", "/a//{*}", "//a/{*}", "a/{*}", "/a/{*}//", "/a/*/{*}",
    "/a b/{*}", "/a/{*}/é", "/a/{*}?q", "/a/{*}#f", "{**}", "/{{*}}",
  ];
  for (const path of TRICKY)
    for (const field of ["paths", "notPaths"] as const)
      it(`${field}: ${path}`, async () => {
        const apiErrors = errorsOf("AuthorizationPolicy", { action: "DENY", rules: [{ to: [{ operation: { [field]: [path] } }] }] });
        const host = await authz({ deny: [{ name: "ns/d", rules: [rule([{ [field]: [path] }])] }] });
        const rejected = host.logs.some((l) => / rejected: /.test(l.message));
        assert.equal(apiErrors.length === 0, !rejected, `API: ${JSON.stringify(apiErrors)}; filter: ${host.logs.map((l) => l.message).join(" | ")}`);
        if (apiErrors.length) assert.equal(apiErrors[0].field, `spec.rules[0].to[0].operation.${field}[0]`);
      });
});
