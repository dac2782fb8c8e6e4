// Builds what the Worker bundles besides its TypeScript: the proxy-wasm filters (filters/build.mjs)
// and the dashboard (control/ui/build.mjs). wrangler.toml's [build] runs it before every
// `wrangler dev` and `wrangler deploy`; `npm run build` runs it by hand.
//
// A part is rebuilt only when its inputs changed since its last build (a SHA-256 over the inputs'
// paths and bytes, kept in build/<part>.inputs.sha256) or an output is missing: `wrangler dev` runs
// this twice on every start (once for the entry point, once when its file watcher is ready) and
// every end-to-end test file starts it, so a build that is up to date must cost next to nothing
// (the filters alone take ~13 s to compile).
// Usage: node build.mjs   (npm run build)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("./", import.meta.url).pathname;
const filterTargets = Object.keys(JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8")).targets);

const parts = [
  {
    name: "filters",
    script: "filters/build.mjs",
    // package-lock.json pins the AssemblyScript compiler and the SDK, which shape the bytes too.
    inputs: ["filters", "asconfig.json", "package-lock.json"],
    outputs: filterTargets.flatMap((t) => [`build/${t}.wasm`, `build/${t}.wasm.bin`]),
  },
  {
    name: "ui",
    script: "control/ui/build.mjs",
    inputs: ["control/ui/app", "control/ui/build.mjs", "package-lock.json"],
    outputs: ["build/assets/_headers", "build/assets/ui/app.js", "build/assets/ui/index.html", "build/assets/ui/app.css"],
  },
];

/** Every file under `path` (a file or a folder), relative to the project root, sorted. */
function filesUnder(path) {
  if (!statSync(join(root, path)).isDirectory()) return [path];
  return readdirSync(join(root, path), { recursive: true, encoding: "utf8" })
    .map((f) => join(path, f))
    .filter((f) => statSync(join(root, f)).isFile())
    .sort();
}

function inputsHash(inputs) {
  const hash = createHash("sha256");
  for (const file of inputs.flatMap(filesUnder)) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update("\0");
  return hash.digest("hex");
}

for (const part of parts) {
  const stampPath = join(root, "build", `${part.name}.inputs.sha256`);
  const hash = inputsHash(part.inputs);
  const fresh = existsSync(stampPath) && readFileSync(stampPath, "utf8") === hash && part.outputs.every((o) => existsSync(join(root, o)));
  if (fresh) {
    console.log(`${part.name}: up to date`);
    continue;
  }
  const { status } = spawnSync(process.execPath, [part.script], { cwd: root, stdio: "inherit" });
  if (status !== 0) process.exit(status ?? 1);
  writeFileSync(stampPath, hash);
}
