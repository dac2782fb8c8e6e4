// Builds every filter target of asconfig.json (build/<name>.wasm, and a byte copy build/<name>.wasm.bin)
// in one process.
// Usage: node filters/build.mjs   (npm run build:filters)
import asc from "assemblyscript/asc";
import { copyFileSync, readFileSync } from "node:fs";

const targets = Object.keys(JSON.parse(readFileSync(new URL("../asconfig.json", import.meta.url), "utf8")).targets);
let failed = false;
for (const target of targets) {
  const t0 = performance.now();
  const { error, stderr } = await asc.main([`filters/${target}/index.ts`, "--target", target]);
  if (error) {
    failed = true;
    console.error(`build/${target}.wasm: FAILED\n${stderr.toString()}`);
  } else {
    // The same bytes under a second name: the Worker bundles `*.wasm` as compiled modules (to run
    // them, for explain) and `*.wasm.bin` as raw bytes (to serve them to Envoy).
    copyFileSync(`build/${target}.wasm`, `build/${target}.wasm.bin`);
    console.log(`build/${target}.wasm (${Math.round(performance.now() - t0)} ms)`);
  }
}
process.exit(failed ? 1 : 0);
