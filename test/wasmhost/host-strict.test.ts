// Host strictness with hand-built guests: ABI misuse is surfaced (violation + Envoy's error code),
// traps kill the VM like Envoy, modules Envoy would refuse are refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AbiViolationError, encodePairs, ProxyWasmHost, WasmLoadError } from "../../control/wasmhost/index.ts";
import { type FuncSpec, type ImportSpec, type ModuleSpec, type Op, buildModule } from "./wasm-builder.ts";
import { compileBytes, GET } from "./support.ts";

const env = (name: string, params: number): ImportSpec => ({ module: "env", name, params, results: 1 });

/** A guest with the ABI export, a constant malloc (4096) and the given callbacks. */
function guest(imports: ImportSpec[], funcs: FuncSpec[], data: ModuleSpec["data"] = []): WebAssembly.Module {
  return compileBytes(
    buildModule({
      imports,
      data,
      funcs: [
        { export: "proxy_abi_version_0_2_1", params: 0, results: 0, body: [] },
        { export: "malloc", params: 1, results: 1, body: [["i32.const", 4096]] },
        ...funcs,
      ],
    }),
  );
}

/** proxy_on_request_headers returning the result of one import call. */
function onRequestHeaders(body: Op[]): FuncSpec {
  return { export: "proxy_on_request_headers", params: 3, results: 1, body };
}

const call = (name: string, ...args: number[]): Op[] => [...args.map((a): Op => ["i32.const", a]), ["call", name]];

describe("wasmhost strictness", () => {
  it("an unknown map type is a violation: AbiViolationError in strict mode, BadArgument to the guest", async () => {
    const mod = guest([env("proxy_get_header_map_value", 5)], [onRequestHeaders(call("proxy_get_header_map_value", 99, 0, 0, 16, 20))]);
    const strict = await ProxyWasmHost.load(mod);
    assert.throws(() => strict.newStream().requestHeaders(GET), (e: unknown) => e instanceof AbiViolationError && /unknown map type 99/.test(e.message));
    assert.deepEqual(strict.violations.map((v) => [v.call, v.code]), [["proxy_get_header_map_value", 2]]);

    const lenient = await ProxyWasmHost.load(mod, { strict: false });
    const s = lenient.newStream();
    assert.equal(s.requestHeaders(GET).code, 2, "the guest saw BadArgument");
    assert.ok(s.trace.some((e) => e.kind === "violation" && e.code === 2));
  });

  it("out-of-bounds pointers return InvalidMemoryAccess", async () => {
    const mod = guest(
      [env("proxy_log", 3), env("proxy_get_header_map_value", 5)],
      [
        onRequestHeaders(call("proxy_log", 2, 65530, 100)),
        { export: "proxy_on_response_headers", params: 3, results: 1, body: call("proxy_get_header_map_value", 2, 0, 7, 70000, 16) },
      ],
      [{ offset: 0, bytes: ":status" }],
    );
    const host = await ProxyWasmHost.load(mod, { strict: false });
    const s = host.newStream();
    assert.equal(s.requestHeaders(GET).code, 6);
    // (the guest returns the import's result as its action, so each check gets a fresh stream)
    assert.equal(host.newStream().responseHeaders({ ":status": "200" }).code, 6, "a bad out-parameter is caught before malloc");
    assert.deepEqual(host.violations.map((v) => v.code), [6, 6]);
    assert.match(host.violations[0].message, /out of bounds: ptr=65530 len=100/);
  });

  it("a trap kills the VM: 503 wasm_fail_stream for this and every later stream (or skip with fail_open)", async () => {
    const mod = guest([], [onRequestHeaders([["unreachable"]])]);
    for (const failOpen of [false, true]) {
      const host = await ProxyWasmHost.load(mod, { failOpen });
      const first = host.newStream().requestHeaders(GET);
      const second = host.newStream().requestHeaders(GET);
      assert.equal(host.failure?.during, "proxy_on_request_headers");
      assert.match(host.failure?.message ?? "", /RuntimeError: unreachable/);
      for (const r of [first, second]) {
        if (failOpen) assert.deepEqual(r, { action: "continue", code: undefined, skipped: true });
        else {
          assert.equal(r.failed, true);
          assert.deepEqual([r.localReply?.status, r.localReply?.details], [503, "wasm_fail_stream"]);
        }
      }
    }
  });

  it("WASI proc_exit (AssemblyScript's default abort) is fatal like a trap", async () => {
    const mod = guest([{ module: "wasi_snapshot_preview1", name: "proc_exit", params: 1, results: 0 }], [onRequestHeaders([["i32.const", 255], ["call", "proc_exit"], ["i32.const", 0]])]);
    const host = await ProxyWasmHost.load(mod);
    assert.equal(host.newStream().requestHeaders(GET).localReply?.details, "wasm_fail_stream");
    assert.match(host.failure?.message ?? "", /proc_exit\(255\)/);
  });

  it("refuses modules Envoy would refuse", async () => {
    const noAbi = compileBytes(buildModule({ funcs: [{ export: "malloc", params: 1, results: 1, body: [["i32.const", 0]] }] }));
    await assert.rejects(ProxyWasmHost.load(noAbi), (e: unknown) => e instanceof WasmLoadError && /proxy_abi_version_0_2_1/.test(e.message));
    for (const name of ["proxy_get_secret", "proxy_clear_route_cache", "proxy_kv_store_open"]) {
      const mod = guest([env(name, 2)], []);
      await assert.rejects(ProxyWasmHost.load(mod), (e: unknown) => e instanceof WasmLoadError && e.message.includes(`env.${name}`));
    }
    const noMalloc = compileBytes(buildModule({ funcs: [{ export: "proxy_abi_version_0_2_1", params: 0, results: 0, body: [] }] }));
    await assert.rejects(ProxyWasmHost.load(noMalloc), /neither malloc nor proxy_on_memory_allocate/);
  });

  it("malformed header pairs and bad local replies are violations", async () => {
    const mod = guest(
      [env("proxy_send_local_response", 8)],
      [
        onRequestHeaders(call("proxy_send_local_response", 403, 0, 0, 0, 0, 64, 4, -1)),
        { export: "proxy_on_response_headers", params: 3, results: 1, body: call("proxy_send_local_response", 403, 128, 11, 0, 0, 0, 0, -1) },
      ],
      [
        { offset: 64, bytes: Uint8Array.of(5, 0, 0, 0) }, // claims 5 pairs, has none
        { offset: 128, bytes: "access deny" },
      ],
    );
    const host = await ProxyWasmHost.load(mod, { strict: false });
    const s = host.newStream();
    assert.equal(s.requestHeaders(GET).code, 2);
    assert.match(host.violations[0].message, /malformed header pairs: count 5/);
    assert.equal(s.responseHeaders({ ":status": "200" }).code, 2);
    assert.match(host.violations[1].message, /whitespace/);
  });

  it("dotted property names are flagged (Envoy wants NUL-separated paths)", async () => {
    const mod = guest(
      [env("proxy_get_property", 4)],
      [
        onRequestHeaders(call("proxy_get_property", 0, 12, 32, 36)),
        { export: "proxy_on_response_headers", params: 3, results: 1, body: call("proxy_get_property", 64, 12, 32, 36) },
      ],
      [
        { offset: 0, bytes: "request.path" },
        { offset: 64, bytes: "request\0path" },
      ],
    );
    const host = await ProxyWasmHost.load(mod, { strict: false });
    const s = host.newStream();
    assert.equal(s.requestHeaders(GET).code, 1);
    assert.match(host.violations[0].message, /uses dots/);
    const t = host.newStream({ properties: { request: { path: "/given" } } });
    assert.equal(t.responseHeaders({ ":status": "200" }).code, 0);
    assert.deepEqual(t.trace.filter((e) => e.kind === "property-get").slice(-1), [{ kind: "property-get", path: ["request", "path"], found: true }]);
  });

  it("stream maps from the root context are violations", async () => {
    const mod = guest(
      [env("proxy_get_header_map_value", 5), env("proxy_set_tick_period_milliseconds", 1)],
      [
        { export: "proxy_on_vm_start", params: 2, results: 1, body: [...call("proxy_set_tick_period_milliseconds", 10), ["drop"], ["i32.const", 1]] },
        { export: "proxy_on_tick", params: 1, results: 0, body: [...call("proxy_get_header_map_value", 0, 0, 5, 16, 20), ["drop"]] },
      ],
      [{ offset: 0, bytes: ":path" }],
    );
    const host = await ProxyWasmHost.load(mod);
    await assert.rejects(host.tick(10), /needs a stream context; context 1 is the root/);
  });

  it("http_call pauses a stream until the answer continues it through the effective context", async () => {
    const pairs = encodePairs([[":method", "GET"], [":path", "/check"], [":authority", "authz"]]);
    const mod = guest(
      [env("proxy_http_call", 10), env("proxy_set_effective_context", 1), env("proxy_continue_stream", 1)],
      [
        onRequestHeaders([...call("proxy_http_call", 128, 3, 256, pairs.length, 0, 0, 0, 0, 500, 64), ["drop"], ["i32.const", 1]]),
        {
          export: "proxy_on_http_call_response",
          params: 5,
          results: 0,
          body: [...call("proxy_set_effective_context", 2), ["drop"], ...call("proxy_continue_stream", 0), ["drop"]],
        },
      ],
      [
        { offset: 128, bytes: "ext" },
        { offset: 256, bytes: pairs },
      ],
    );
    const host = await ProxyWasmHost.load(mod, { onHttpCall: () => ({ status: 200, body: "ok" }) });
    const s = host.newStream();
    assert.equal(s.requestHeaders(GET).action, "pause");
    assert.equal(s.paused, true);
    assert.throws(() => s.requestBody("x"), /while paused/);
    assert.equal(host.httpCalls[0].cluster, "ext");
    assert.equal(host.httpCalls[0].contextId, s.id);
    await host.settle();
    assert.equal(s.paused, false);
    assert.ok(s.trace.some((e) => e.kind === "continue" && e.stream === "request"));
    assert.equal(s.responseHeaders({ ":status": "200" }).action, "continue");
  });

  it("http_call without :path is a violation", async () => {
    const pairs = encodePairs([[":method", "GET"], [":authority", "authz"]]);
    const mod = guest([env("proxy_http_call", 10)], [onRequestHeaders(call("proxy_http_call", 128, 3, 256, pairs.length, 0, 0, 0, 0, 500, 64))], [
      { offset: 128, bytes: "ext" },
      { offset: 256, bytes: pairs },
    ]);
    const host = await ProxyWasmHost.load(mod, { onHttpCall: () => ({ status: 200 }), strict: false });
    assert.equal(host.newStream().requestHeaders(GET).code, 2);
    assert.match(host.violations[0].message, /without :path/);
    assert.equal(host.httpCalls.length, 0);
  });
});
