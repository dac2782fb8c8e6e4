// Router: a client may never choose the upstream cluster (decisions: test/filters/).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { minimalConfig } from "../filters/support.ts";
import { CONTROL_CLUSTER, filterModule, GET, pluginConfig } from "./support.ts";

const CLUSTER = "outbound|80||default.example";

async function configuredRouter() {
  const host = await ProxyWasmHost.load(filterModule("router"), {
    pluginConfig: pluginConfig(),
    clusters: [CONTROL_CLUSTER],
    onHttpCall: () => ({ status: 200, headers: { etag: '"v1"' }, body: JSON.stringify(minimalConfig(1, CLUSTER)) }),
  });
  await host.settle();
  return host;
}

describe("router filter", () => {
  it("replaces every client-sent x-mesh-cluster with the routed cluster in one replace (which clears Envoy's route cache)", async () => {
    const host = await configuredRouter();
    const s = host.newStream();
    const r = s.requestHeaders([...Object.entries(GET), ["X-Mesh-Cluster", "outbound|9080|v2|reviews"], ["x-mesh-cluster", "second"], ["x-other", "1"]]);
    assert.deepEqual(r, { action: "continue", code: 0 });
    assert.deepEqual(s.request.getAll("x-mesh-cluster"), [CLUSTER]);
    assert.equal(s.request.get("x-other"), "1");
    assert.equal(s.request.get(":path"), "/reviews/1");
    const edits = s.trace.filter((e) => e.kind === "header" || e.kind === "foreign-function");
    assert.deepEqual(edits, [{ kind: "header", map: "request-headers", op: "replace", name: "x-mesh-cluster", value: CLUSTER }]);
    s.done();
    assert.deepEqual(host.violations, []);
  });

  it("a routed request gets only x-mesh-cluster added", async () => {
    const host = await configuredRouter();
    const s = host.newStream();
    s.requestHeaders(GET);
    assert.deepEqual(s.request.toObject(), { ...GET, "x-mesh-cluster": CLUSTER });
  });

  it("strips the header even when it answers 503 for lack of config", async () => {
    const host = await ProxyWasmHost.load(filterModule("router"), { pluginConfig: pluginConfig() });
    const s = host.newStream();
    const r = s.requestHeaders({ ...GET, "x-mesh-cluster": "evil" });
    assert.equal(r.localReply?.status, 503);
    assert.equal(s.request.get("x-mesh-cluster"), undefined);
    // The local reply went through the filter's own response callback, as in Envoy.
    assert.ok(s.trace.some((e) => e.kind === "callback" && e.name === "proxy_on_response_headers"));
    assert.equal(s.response.get(":status"), "503");
  });

});
