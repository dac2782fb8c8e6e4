// The filters as compiled modules, for explain: Workers cannot compile wasm from bytes at run
// time, so wrangler bundles `*.wasm` imports as WebAssembly.Module (xds/wasm-modules.ts imports
// the byte copies, `*.wasm.bin`, to serve them to Envoy).
import authz from "../../build/authz.wasm";
import router from "../../build/router.wasm";

export const FILTER_MODULES = { router, authz };
