// The control plane at mesh scale, through the path users take: the real Worker under
// `wrangler dev`, stock `kubectl apply -f` of a generated mesh (mesh-generator.ts
// scaleMeshObjects: per service a Service, a Deployment, a DestinationRule with two subsets and a
// VirtualService with three rules, in 10 namespaces), then single writes over HTTP as kubectl
// sends them. It counts time and bytes: what each compile wrote to Durable Object storage and
// to KV (/mesh/v1/served), and the size of wrangler's local state on disk.
//
// Sizes: BENCH_SCALE_SERVICES (default "100,1000"; add 5000 for the largest run, ~15 min).
// BENCH_SCALE_LOAD_SECONDS (default 60) for the concurrent writers + pollers phase. Each apply is
// also timed against floor/worker.ts, a Worker that stores nothing: what kubectl and wrangler dev
// alone cost, printed beside it.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";
import { isolateHeap } from "./isolate-heap.ts";
import type { BenchEntry } from "./harness.ts";
import { scaleMeshObjects, scaleVirtualService } from "./mesh-generator.ts";

const POINTER_TTL_SECONDS = 1;
const KV_GRACE_SECONDS = 61;
const VARS = { MESH_POINTER_TTL_SECONDS: String(POINTER_TTL_SECONDS), MESH_KV_GRACE_SECONDS: String(KV_GRACE_SECONDS) };
const JSON_MERGE = { "content-type": "application/merge-patch+json" };
const LOAD_SECONDS = Number(process.env.BENCH_SCALE_LOAD_SECONDS ?? 60);
/** A Worker that answers kubectl from a Map: what the same apply costs with no server work. */
const FLOOR_WORKER = new URL("./floor/wrangler.toml", import.meta.url).pathname;

interface Served {
  revision: number;
  compiledRevision: number;
  publishedRevision: number;
  parts: number;
  partBytes: number;
  views: number;
  workloads: number;
  lastCompile: { revision: number; compileMs: number; storage: { rows: number; bytes: number }; kv: { rows: number; bytes: number } } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const median = (xs: number[]) => quantile(xs, 0.5);
const range = (xs: number[], digits = 1) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
/** A poll that has not answered in this long has been dropped: an error naming the phase, not a hang. */
const POLL_TIMEOUT_MS = 120_000;
const benchStart = performance.now();
/** Where a long run is, on stderr: a stalled phase names itself. */
const phase = (what: string) => console.error(`  [scale +${((performance.now() - benchStart) / 1000).toFixed(0)} s] ${what}`);

/** What wrangler dev keeps on disk; a file the Worker deletes meanwhile (a KV sweep) counts nothing. */
function diskBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? diskBytes(path) : (statSync(path, { throwIfNoEntry: false })?.size ?? 0);
  }
  return total;
}

function yamlFile(dir: string, name: string, objects: KubeObject[]): string {
  const file = join(dir, name);
  writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
  return file;
}

/** Compiles and publishes what is pending (the analyze endpoint waits for it), then the served stats. */
async function settle(w: TestWorker): Promise<Served> {
  const r = await w.request("/mesh/v1/analyze");
  if (r.status !== 200) throw new Error(`analyze: ${r.status} ${r.body}`);
  return (await w.request("/mesh/v1/served")).json() as Served;
}

async function kubectlApply(w: TestWorker, file: string, serverSide: boolean): Promise<number> {
  const t0 = performance.now();
  const r = await w.kubectl(["apply", ...(serverSide ? ["--server-side"] : []), "-f", file], { timeoutMs: 20 * 60_000 });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr.slice(0, 500)}`);
  return (performance.now() - t0) / 1000;
}

const vsPath = (ns: string, name: string) => `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/${name}`;

/** One VirtualService write as kubectl patch sends it; its latency in ms. */
async function patchWeight(w: TestWorker, service: number, weight: number): Promise<number> {
  const ns = `ns-${service % 10}`;
  const app = `svc-${service}`;
  const t0 = performance.now();
  const r = await w.request(vsPath(ns, app), { method: "PATCH", headers: JSON_MERGE, body: JSON.stringify({ spec: scaleVirtualService(ns, app, weight).spec }) });
  if (r.status !== 200) throw new Error(`patch: ${r.status} ${r.body}`);
  return performance.now() - t0;
}

async function writeLatencies(w: TestWorker, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await patchWeight(w, 0, i % 2 ? 80 : 70));
  return out;
}

/** Bytes one compile wrote (Durable Object storage + KV) after `change`, median of `times`. */
async function bytesPerChange(w: TestWorker, times: number, change: (i: number) => Promise<void>): Promise<{ storage: number; kv: number }> {
  const storage: number[] = [];
  const kv: number[] = [];
  for (let i = 0; i < times; i++) {
    await settle(w);
    await change(i);
    const s = await settle(w);
    storage.push(s.lastCompile!.storage.bytes);
    kv.push(s.lastCompile!.kv.bytes);
  }
  return { storage: median(storage), kv: median(kv) };
}

function get(agent: Agent, w: TestWorker, path: string, etag?: string): Promise<{ status: number; etag?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${w.token}` };
    if (etag) headers["if-none-match"] = etag;
    const req = request(`${w.url}${path}`, { agent, ca: w.ca, headers, timeout: POLL_TIMEOUT_MS }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, etag: res.headers.etag as string | undefined, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer in ${POLL_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Write acknowledged → the new config served to an affected workload's filters (50 pollers on
 * filter-config) and to its Envoy (REST xDS clusters poll). Seconds, per trial: the slowest poller.
 */
async function propagation(w: TestWorker, trials: number): Promise<{ filter: number[]; xds: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const workload = "ns-1/svc-1-v1";
  const filter: number[] = [];
  const xds: number[] = [];
  try {
    for (let t = 0; t < trials; t++) {
      await settle(w);
      const start = await get(agent, w, `/mesh/v1/proxy/${workload}/filter-config`);
      const held = start.etag!;
      const node = { id: `sidecar~10.0.0.1~svc-1-v1-x.ns-1~ns-1.svc.cluster.local`, cluster: "svc-1.ns-1", metadata: { NAMESPACE: "ns-1", WORKLOAD_NAME: "svc-1-v1", SERVICE_ACCOUNT: "default" } };
      const xdsBody = (version: string) => JSON.stringify({ node, version_info: version, type_url: "type.googleapis.com/envoy.config.cluster.v3.Cluster" });
      const firstXds = await w.request("/v3/discovery:clusters", { method: "POST", headers: { "content-type": "application/json" }, body: xdsBody("") });
      const xdsVersion = firstXds.json().version_info as string;
      const weight = 50 + t;
      await patchWeight(w, 0, weight);
      const acked = performance.now();
      const deadline = acked + 30_000;
      const seen = await Promise.all(
        Array.from({ length: 50 }, async () => {
          for (;;) {
            const r = await get(agent, w, `/mesh/v1/proxy/${workload}/filter-config`, held).catch(() => ({ status: 0, body: "" }));
            if (r.status === 200 && r.body.includes(`"weight":${weight}`)) return (performance.now() - acked) / 1000;
            if (r.status >= 500) throw new Error(`poll: ${r.status}`);
            if (performance.now() > deadline) return Infinity;
            await sleep(20);
          }
        }),
      );
      let xdsSeen = Infinity;
      while (performance.now() < deadline) {
        const r = await w.request("/v3/discovery:clusters", { method: "POST", headers: { "content-type": "application/json" }, body: xdsBody(xdsVersion) });
        if (r.status === 200) {
          xdsSeen = (performance.now() - acked) / 1000;
          break;
        }
        await sleep(20);
      }
      filter.push(Math.max(...seen));
      xds.push(xdsSeen);
    }
  } finally {
    agent.destroy();
  }
  return { filter, xds };
}

/** 10 kubectl writers, each applying its own VirtualService in a loop, and 200 pollers, for LOAD_SECONDS. */
async function underLoad(w: TestWorker, dir: string, workloads: string[]): Promise<{ polls: number; pollP50: number; pollP99: number; status5xx: number; resets: number; writes: number; lost: string[]; writeP50: number }> {
  const until = performance.now() + LOAD_SECONDS * 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: 200 });
  const pollMs: number[] = [];
  let status5xx = 0;
  let resets = 0;
  const writeMs: number[] = [];
  const last = new Map<number, number>();
  const writers = Array.from({ length: 10 }, async (_, k) => {
    const service = 100 + k;
    for (let i = 0; performance.now() < until; i++) {
      const weight = (i * 7 + k) % 101;
      const file = yamlFile(dir, `writer-${k}.yaml`, [scaleVirtualService(`ns-${service % 10}`, `svc-${service}`, weight)]);
      const t0 = performance.now();
      const r = await w.kubectl(["apply", "-f", file]);
      if (r.code !== 0) throw new Error(`writer ${k}: ${r.stderr}`);
      writeMs.push(performance.now() - t0);
      last.set(service, weight);
    }
  });
  const pollers = Array.from({ length: 200 }, async (_, p) => {
    const workload = workloads[p % workloads.length];
    let etag: string | undefined;
    while (performance.now() < until) {
      const t0 = performance.now();
      const r = await get(agent, w, `/mesh/v1/proxy/${workload}/filter-config`, etag).catch(() => undefined);
      // wrangler dev's local proxy resets a few of 200 keep-alive connections: counted, not hidden.
      if (!r) {
        resets++;
        continue;
      }
      pollMs.push(performance.now() - t0);
      if (r.status >= 500) status5xx++;
      if (r.status === 200) etag = r.etag;
      await sleep(50);
    }
  });
  await Promise.all([...writers, ...pollers]);
  agent.destroy();
  const lost: string[] = [];
  for (const [service, weight] of last) {
    const vs = (await w.request(vsPath(`ns-${service % 10}`, `svc-${service}`))).json();
    const got = vs.spec.http[2].route[0].weight;
    if (got !== weight) lost.push(`svc-${service}: last write ${weight}, stored ${got}`);
  }
  return { polls: pollMs.length, pollP50: median(pollMs), pollP99: quantile(pollMs, 0.99), status5xx, resets, writes: writeMs.length, lost, writeP50: median(writeMs) };
}

/** What one compile wrote, Durable Object storage and KV side by side. */
function bytesEntry(name: string, bytes: { storage: number; kv: number }, target: string, more = ""): BenchEntry {
  return { name, value: bytes.storage + bytes.kv, unit: "bytes", target, ok: true, detail: `storage ${bytes.storage} + KV ${bytes.kv}${more}` };
}

/** The targets: 1,000 services in a minute, 5,000 in five. */
/** The same `kubectl apply` against the floor Worker (fresh, under the same wrangler dev). */
async function floorApply(file: string, serverSide: boolean): Promise<number> {
  const w = await startTestWorker({}, FLOOR_WORKER);
  try {
    return await kubectlApply(w, file, serverSide);
  } finally {
    await w.stop();
  }
}

function applyEntry(mode: "client_side" | "server_side", services: number, objects: number, seconds: number, floor: number): BenchEntry {
  const target = services >= 5000 ? 300 : services >= 1000 ? 60 : Infinity;
  return {
    name: `scale.apply_${mode}_s.${services}`,
    value: seconds,
    unit: "s",
    target: Number.isFinite(target) ? `<= ${target} s` : "reported",
    ok: seconds <= target,
    detail:
      `${objects} objects, ${(objects / seconds).toFixed(0)} objects/s; the same apply against a Worker that stores nothing ` +
      `(kubectl and wrangler dev alone): ${floor.toFixed(1)} s, so the control plane's own work is ${(seconds - floor).toFixed(1)} s (${(seconds / floor).toFixed(2)}x the floor)`,
  };
}

async function measureSize(services: number, baselineP50: number, entries: BenchEntry[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-scale-"));
  const objects = scaleMeshObjects(services);
  const file = yamlFile(dir, "mesh.yaml", objects);
  const w = await startTestWorker(VARS);
  try {
    phase(`${services} services: kubectl apply of ${objects.length} objects (client-side)`);
    const clientSide = await kubectlApply(w, file, false);
    const applied = await settle(w);
    const stateDir = join(w.dir, "state");
    const storedAfterApply = diskBytes(stateDir);
    console.log(
      `  ${services} services: ${objects.length} objects applied client-side in ${clientSide.toFixed(1)} s (${(objects.length / clientSide).toFixed(0)}/s); ` +
        `${applied.workloads} workloads, ${applied.views} views, ${applied.parts} parts (${mb(applied.partBytes)}); state on disk ${mb(storedAfterApply)}`,
    );
    const heap: string[] = [];
    let heapPeak = 0;
    const readHeap = async (when: string) => {
      const used = (await isolateHeap(w.inspectorPort)).usedBytes;
      heapPeak = Math.max(heapPeak, used);
      heap.push(`${mb(used)} ${when}`);
    };
    await readHeap("after the apply");
    phase("the same apply against the floor Worker");
    entries.push(applyEntry("client_side", services, objects.length, clientSide, await floorApply(file, false)));
    phase("bytes per VirtualService change and per new Service");
    const vsChange = await bytesPerChange(w, 5, (i) => patchWeight(w, 0, 60 + i).then(() => undefined));
    const newService = await bytesPerChange(w, 3, async (i) => {
      const r = await w.request("/api/v1/namespaces/ns-0/services", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: `extra-${i}` }, spec: { selector: { app: `extra-${i}` }, ports: [{ port: 8080 }] } }),
      });
      if (r.status !== 201) throw new Error(`create service: ${r.status} ${r.body}`);
    });
    entries.push(
      bytesEntry(`scale.bytes_per_vs_change.${services}`, vsChange, "must not grow with workloads (pinned by test/served/served.e2e.test.ts)", `; ${applied.workloads} workloads`),
      bytesEntry(`scale.bytes_per_new_service.${services}`, newService, "reported"),
    );
    phase("VirtualService write latency");
    const latencies = await writeLatencies(w, 40);
    const p50 = median(latencies);
    entries.push({
      name: `scale.vs_write_p50_vs_1_service.${services}`,
      value: p50 / baselineP50,
      unit: "x",
      target: services >= 1000 ? "<= 2x" : "reported",
      ok: services < 1000 || p50 / baselineP50 <= 2,
      detail: `p50 ${p50.toFixed(1)} ms vs ${baselineP50.toFixed(1)} ms; p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
    });
    phase("propagation to 50 pollers");
    const { filter, xds } = await propagation(w, 3);
    // The targets for propagation and storage growth are set at 1,000 services; other sizes report.
    const targeted = services === 1000;
    const target = POINTER_TTL_SECONDS + 2;
    entries.push({
      name: `scale.propagation_s.${services}`,
      value: median(filter),
      unit: "s",
      target: targeted ? `<= pointer TTL (${POINTER_TTL_SECONDS} s) + 2 s` : "reported",
      ok: !targeted || Math.max(...filter, ...xds) <= target,
      detail: `filter-config, slowest of 50 pollers: ${range(filter, 2)} s; REST xDS: ${range(xds, 2)} s (3 trials)`,
    });
    await readHeap("after the pollers");
    // 1,000 further single writes, then storage once superseded keys have passed their grace period.
    phase("1,000 further writes, then storage");
    await settle(w);
    const before = diskBytes(stateDir);
    for (let i = 0; i < 1000; i++) await patchWeight(w, i % 50, i % 100);
    await settle(w);
    const rightAfter = diskBytes(stateDir);
    await sleep((KV_GRACE_SECONDS + 5) * 1000);
    await settle(w);
    const after = diskBytes(stateDir);
    entries.push({
      name: `scale.storage_growth_after_1000_writes.${services}`,
      value: after / before - 1,
      unit: "fraction",
      target: targeted ? "<= 0.10" : "reported",
      ok: !targeted || after / before - 1 <= 0.1,
      detail: `${mb(before)} → ${mb(after)} (${mb(rightAfter)} before superseded KV keys passed their ${KV_GRACE_SECONDS} s grace)`,
    });
    await readHeap("after the 1,000 writes");
    entries.push({
      name: `scale.isolate_heap.${services}`,
      value: heapPeak,
      unit: "bytes",
      target: "reported (wrangler dev: Worker and Durable Object in one isolate; on Cloudflare 128 MB each)",
      ok: true,
      detail: `JS heap in use after a full GC, the most of: ${heap.join(", ")}`,
    });
    entries.push({ name: `scale.stored_bytes_after_apply.${services}`, value: storedAfterApply, unit: "bytes", target: services >= 1000 ? "<= 200 MB" : "reported", ok: storedAfterApply <= 200e6 });
    if (services === 1000) {
      phase(`${LOAD_SECONDS} s of 10 kubectl writers and 200 pollers`);
      const load = await underLoad(w, dir, ["ns-1/svc-1-v1", "ns-2/svc-2-v1", "ns-3/svc-3-v1", "ns-0/svc-0-v1"]);
      entries.push({
        name: `scale.load_poll_p99_ms.${services}`,
        value: load.pollP99,
        unit: "ms",
        target: "no 5xx, no lost update",
        ok: load.status5xx === 0 && load.lost.length === 0,
        detail: `${LOAD_SECONDS} s: ${load.polls} polls (p50 ${load.pollP50.toFixed(0)} ms), ${load.status5xx} 5xx, ${load.resets} connections reset by wrangler dev's proxy; ${load.writes} kubectl applies (p50 ${load.writeP50.toFixed(0)} ms); lost updates: ${load.lost.length ? load.lost.join("; ") : "none"}`,
      });
    }
  } finally {
    await w.stop();
  }
  const w2 = await startTestWorker(VARS);
  try {
    phase(`kubectl apply --server-side of ${objects.length} objects, then against the floor Worker`);
    const serverSide = await kubectlApply(w2, file, true);
    entries.push(applyEntry("server_side", services, objects.length, serverSide, await floorApply(file, true)));
  } finally {
    await w2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function bench(): Promise<BenchEntry[]> {
  const sizes = (process.env.BENCH_SCALE_SERVICES ?? "100,1000").split(",").map(Number);
  const entries: BenchEntry[] = [];
  // The same write on a 1-service mesh: the baseline of the write-latency ratio.
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-scale-"));
  const w = await startTestWorker(VARS);
  let baseline: number;
  try {
    await kubectlApply(w, yamlFile(dir, "one.yaml", scaleMeshObjects(1)), false);
    await settle(w);
    baseline = median(await writeLatencies(w, 40));
  } finally {
    await w.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const services of sizes) await measureSize(services, baseline, entries);
  return entries;
}
