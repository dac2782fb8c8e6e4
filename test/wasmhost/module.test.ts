// The built filters are modules Envoy will load: only ABI 0.2.1 + WASI imports Envoy provides,
// the ABI exports it looks for, and small.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { describe, it } from "node:test";
import { ENVOY_PROXY_IMPORTS, ENVOY_WASI_IMPORTS, unsupportedImports } from "../../control/wasmhost/index.ts";
import { FILTERS, filterModule, wasmPath } from "./support.ts";

const FASTEDGE_ONLY = ["proxy_get_secret", "proxy_get_effective_at_secret", "proxy_dictionary_get", "proxy_kv_store_open", "proxy_kv_store_get"];

describe("built filter modules", () => {
  for (const name of FILTERS) {
    it(`${name}.wasm imports only what Envoy provides for ABI 0.2.1`, () => {
      const mod = filterModule(name);
      assert.deepEqual(unsupportedImports(mod), []);
      const imports = WebAssembly.Module.imports(mod);
      for (const imp of imports) {
        assert.equal(imp.kind, "function", `${imp.module}.${imp.name}`);
        const allowed = imp.module === "env" ? ENVOY_PROXY_IMPORTS : ENVOY_WASI_IMPORTS;
        assert.ok(allowed.includes(imp.name), `${imp.module}.${imp.name} is not provided by Envoy`);
        assert.ok(!FASTEDGE_ONLY.includes(imp.name), `FastEdge-only import ${imp.name}`);
        assert.notEqual(imp.name, "proxy_clear_route_cache", "ABI 0.1.0 only: use the clear_route_cache foreign function");
      }
      assert.ok(imports.some((i) => i.name === "proxy_log"), "logs go through proxy_log");
    });

    it(`${name}.wasm exports the ABI entry points`, () => {
      const exports = WebAssembly.Module.exports(filterModule(name)).map((e) => e.name);
      for (const e of ["proxy_abi_version_0_2_1", "malloc", "memory", "_start", "proxy_on_context_create", "proxy_on_configure", "proxy_on_request_headers"]) {
        assert.ok(exports.includes(e), `missing export ${e}`);
      }
    });

    it(`${name}.wasm is at most 64 KB`, () => {
      assert.ok(statSync(wasmPath(name)).size <= 64 * 1024, `${statSync(wasmPath(name)).size} bytes`);
    });
  }

  it("router and authz talk to the control plane; the no-op filter does not", () => {
    const names = (n: (typeof FILTERS)[number]) => WebAssembly.Module.imports(filterModule(n)).map((i) => i.name);
    assert.ok(names("router").includes("proxy_http_call"));
    assert.ok(names("authz").includes("proxy_http_call"));
    assert.ok(!names("noop").includes("proxy_http_call"));
  });
});
