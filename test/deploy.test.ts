// What `wrangler deploy` would upload, built offline with --dry-run (no account needed): the
// bundle carries the proxy-wasm filters (wrangler.toml's [build] runs build.mjs first), fits
// Workers' size limits, and the Worker's module-level start-up work stays far below Workers'
// start-up limit, measured by `wrangler check startup` running the bundle in workerd.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { after, test } from "node:test";
import { PROJECT_ROOT } from "../local/wrangler-dev.ts";

const MiB = 1024 * 1024;
// developers.cloudflare.com/workers/platform/limits now gives 64 MiB uncompressed on every plan;
// it used to be 3 MB after compression on the Free plan (10 MB on Paid), which pinned wranglers
// and older accounts may still apply. Both are asserted, so the Worker deploys under either.
const FREE_PLAN_GZIP_LIMIT = 3 * MiB;
const UNCOMPRESSED_LIMIT = 64 * MiB;
// Workers refuses a Worker whose global scope takes more than 1 s to parse and run (400 ms before
// October 2025). Every cold isolate pays the start-up work, so it should stay a small part of that:
// the bar is half the limit, since a shared machine measured 86-238 ms for the same bundle.
const STARTUP_BUDGET_MS = 500;
const STARTUP_RUNS = 3;

const run = promisify(execFile);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const wrangler = (...args: string[]) => run("npx", ["wrangler", ...args], { cwd: PROJECT_ROOT, env, maxBuffer: 16 * MiB });

const dir = mkdtempSync(join(tmpdir(), "edge-mesh-deploy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("wrangler deploy --dry-run: the bundle carries the filters and fits Workers' size limits", { timeout: 180_000 }, async (t) => {
  const outdir = join(dir, "dist");
  const { stdout } = await wrangler("deploy", "--dry-run", "--outdir", outdir);
  // Source maps are not uploaded (no upload_source_maps) and README.md is wrangler's note.
  const modules = readdirSync(outdir).filter((f) => !f.endsWith(".map") && f !== "README.md");
  assert.ok(modules.includes("worker.js"), `no worker.js in ${modules.join(", ")}`);
  for (const filter of ["router", "authz"])
    for (const ext of [".wasm", ".wasm.bin"])
      assert.ok(modules.some((m) => m.endsWith(`-${filter}${ext}`)), `the bundle lacks ${filter}${ext}: ${modules.join(", ")}`);

  let raw = 0;
  let gzip = 0;
  for (const m of modules) {
    const bytes = readFileSync(join(outdir, m));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  t.diagnostic(`bundle: ${modules.length} modules, ${kib(raw)} uncompressed, ${kib(gzip)} gzip (limits: ${kib(UNCOMPRESSED_LIMIT)}, ${kib(FREE_PLAN_GZIP_LIMIT)} gzip)`);
  const reported = /Total Upload: .*/.exec(stdout)?.[0];
  if (reported) t.diagnostic(`wrangler: ${reported}`);
  assert.ok(gzip <= FREE_PLAN_GZIP_LIMIT, `gzip ${kib(gzip)} exceeds ${kib(FREE_PLAN_GZIP_LIMIT)}`);
  assert.ok(raw <= UNCOMPRESSED_LIMIT, `uncompressed ${kib(raw)} exceeds ${kib(UNCOMPRESSED_LIMIT)}`);
});

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

test("the Worker's start-up (module evaluation in workerd) is small", { timeout: 240_000 }, async (t) => {
  const bundle = join(dir, "worker.bundle");
  await wrangler("deploy", "--dry-run", "--outfile", bundle);
  // The profile samples the isolate's thread at wall-clock intervals, so time the machine spends on
  // other processes lands in whatever function was running: the least of three runs is the
  // figure closest to the Worker's own work.
  const runs: { busyMs: number; spanMs: number; top: string }[] = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const profilePath = join(dir, `startup-${i}.cpuprofile`);
    await wrangler("check", "startup", "--worker", bundle, "--outfile", profilePath);
    runs.push(startupWork(JSON.parse(readFileSync(profilePath, "utf8")) as CpuProfile));
  }
  const best = runs.reduce((a, b) => (b.busyMs < a.busyMs ? b : a));
  t.diagnostic(
    `start-up: ${best.busyMs.toFixed(1)} ms of work in ${best.spanMs.toFixed(1)} ms profiled (runs: ${runs.map((r) => r.busyMs.toFixed(1)).join(", ")} ms; budget ${STARTUP_BUDGET_MS} ms; Workers' limit 1000 ms); top: ${best.top}`,
  );
  assert.ok(best.busyMs < STARTUP_BUDGET_MS, `start-up work ${best.busyMs.toFixed(1)} ms exceeds ${STARTUP_BUDGET_MS} ms`);
});

/** The profile's start-up work: everything sampled but (idle), i.e. loading the bundle, running its global scope, and GC. */
function startupWork(profile: CpuProfile): { busyMs: number; spanMs: number; top: string } {
  const nameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName || "(anonymous)"]));
  const byFunction = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = nameOf.get(id)!;
    if (name !== "(idle)") byFunction.set(name, (byFunction.get(name) ?? 0) + profile.timeDeltas[i] / 1000);
  });
  const busyMs = [...byFunction.values()].reduce((sum, ms) => sum + ms, 0);
  const top = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
    .join(", ");
  return { busyMs, spanMs: (profile.endTime - profile.startTime) / 1000, top };
}
