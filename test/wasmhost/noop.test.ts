// The no-op filter through the host: everything passes unchanged.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { hostWithConfig, minimalConfig } from "../filters/support.ts";
import { filterModule, GET } from "./support.ts";

describe("noop filter", () => {
  it("passes request and response headers, bodies and trailers through unchanged", async () => {
    const host = await ProxyWasmHost.load(filterModule("noop"));
    assert.equal(host.failure, undefined);
    const s = host.newStream();
    assert.deepEqual(s.requestHeaders({ ...GET, ":method": "POST", "x-mesh-cluster": "kept" }, false), { action: "continue", code: 0 });
    assert.equal(s.requestBody("hello ", false).action, "continue");
    assert.equal(s.requestBody("world", false).action, "continue");
    assert.equal(s.requestTrailers({ "grpc-status": "0" }).action, "continue");
    assert.equal(s.responseHeaders({ ":status": "200", "content-type": "text/plain" }, false).action, "continue");
    assert.equal(s.responseBody("ok").action, "continue");
    s.done();
    assert.equal(s.request.get("x-mesh-cluster"), "kept");
    assert.equal(s.request.size, 6);
    assert.equal(new TextDecoder().decode(s.forwardedBody("request")), "hello world");
    assert.equal(new TextDecoder().decode(s.forwardedBody("response")), "ok");
    assert.equal(s.localReply, undefined);
    assert.deepEqual(host.violations, []);
    assert.deepEqual(host.logs, []);
    assert.ok(!s.trace.some((e) => e.kind === "header" || e.kind === "local-reply"));
  });

  it("is driven in Envoy's order: context_create lazily, then headers, then log/done/delete", async () => {
    // The router exports every stream hook (the noop only those all filters have, see below).
    const host = await hostWithConfig("router", minimalConfig(1));
    const s = host.newStream();
    assert.equal(s.id, 2, "root is context 1, streams count on from 2");
    assert.equal(s.requestHeaders(GET).action, "continue");
    s.responseHeaders({ ":status": "204" });
    s.done();
    const callbacks = s.trace.flatMap((e) => (e.kind === "callback" ? [e.name] : []));
    // No filter exports a log callback; exported ones run, absent ones are skipped.
    assert.deepEqual(callbacks, ["proxy_on_context_create", "proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_done", "proxy_on_delete"]);
    assert.throws(() => s.done(), /done\(\) called twice/);
    host.close();
    const root = host.root.trace.flatMap((e) => (e.kind === "callback" ? [e.name] : []));
    assert.deepEqual(root.slice(0, 3), ["proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure"], "root: created, started, configured");
    assert.deepEqual(root.slice(-2), ["proxy_on_done", "proxy_on_delete"], "on shutdown done then delete");
    assert.throws(() => s.requestHeaders(GET), /after done/);
  });

  it("skips the hooks a module does not export (the noop has no response or delete work)", async () => {
    const host = await ProxyWasmHost.load(filterModule("noop"));
    const s = host.newStream();
    s.requestHeaders(GET);
    assert.equal(s.responseHeaders({ ":status": "204" }).action, "continue");
    s.done();
    const callbacks = s.trace.flatMap((e) => (e.kind === "callback" ? [e.name] : []));
    assert.deepEqual(callbacks, ["proxy_on_context_create", "proxy_on_request_headers", "proxy_on_done"]);
    assert.deepEqual(host.violations, []);
  });
});
