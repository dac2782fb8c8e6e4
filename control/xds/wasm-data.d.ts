// wrangler.toml bundles build/*.wasm.bin as raw bytes ([[rules]] type = "Data"): the Worker serves
// them to Envoy.
declare module "*.wasm.bin" {
  const bytes: ArrayBuffer;
  export default bytes;
}
