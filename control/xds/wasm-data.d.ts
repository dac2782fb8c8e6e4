// wrangler.toml bundles build/*.wasm as raw bytes ([[rules]] type = "Data"): the Worker serves
// them to Envoy, it never instantiates them.
declare module "*.wasm" {
  const bytes: ArrayBuffer;
  export default bytes;
}
