// The ABI-floor benchmark reference (filters/abi-floor): it makes exactly the host calls its
// plugin configuration lists, and a configuration it cannot use fails proxy_on_configure.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { peerProperties, ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { filterModule, GET } from "./support.ts";

const CALLS = [
  { property: ["destination", "port"], type: "int" },
  { property: ["connection", "mtls"], type: "bool" },
  { property: ["connection", "uri_san_peer_certificate"], type: "string" },
  { header: ":authority" },
  { set: "x-mesh-cluster", value: "outbound|9080||reviews.default.svc.cluster.local" },
];

describe("abi-floor filter", () => {
  it("makes the configured host calls and nothing else, then continues", async () => {
    const host = await ProxyWasmHost.load(filterModule("abi-floor"), { pluginConfig: JSON.stringify({ calls: CALLS }) });
    assert.equal(host.failure, undefined);
    const s = host.newStream({ properties: { destination: { port: 9080 }, ...peerProperties({ principal: "spiffe://cluster.local/ns/default/sa/productpage" }) } });
    assert.equal(s.requestHeaders({ ...GET, "x-mesh-cluster": "client-sent" }).action, "continue");
    s.done();
    const gets = s.trace.flatMap((e) => (e.kind === "property-get" ? [e.path.join(".")] : []));
    assert.deepEqual(gets, ["destination.port", "connection.mtls", "connection.uri_san_peer_certificate"]);
    const sets = s.trace.filter((e) => e.kind === "header");
    assert.deepEqual(sets, [{ kind: "header", map: "request-headers", op: "replace", name: "x-mesh-cluster", value: "outbound|9080||reviews.default.svc.cluster.local" }]);
    assert.deepEqual(s.request.getAll("x-mesh-cluster"), ["outbound|9080||reviews.default.svc.cluster.local"]);
    assert.deepEqual(host.violations, []);
  });

  for (const [name, config, error] of [
    ["no calls array", { call: [] }, "configuration.calls: is required"],
    ["an unknown property type", { calls: [{ property: ["destination", "port"], type: "float" }] }, "configuration.calls[0].type: must be int, bool or string"],
    ["a set without a value", { calls: [{ set: "x-a" }] }, "configuration.calls[0].value: is required"],
    ["a path that is not a list of strings", { calls: [{ property: ["destination", 1], type: "int" }] }, "configuration.calls[0].property[1]: must be a string"],
    ["a call of no known kind", { calls: [{ header: ":path" }, {}] }, "configuration.calls[1]: needs header, set or property"],
  ] as const) {
    it(`fails proxy_on_configure on ${name}, naming the field`, async () => {
      const host = await ProxyWasmHost.load(filterModule("abi-floor"), { pluginConfig: JSON.stringify(config) });
      assert.match(host.failure?.message ?? "", /proxy_on_configure returned false/);
      assert.ok(host.logs.some((l) => l.message === `abi-floor: ${error}`), JSON.stringify(host.logs));
    });
  }
});
