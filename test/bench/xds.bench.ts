// REST xDS under wrangler dev: an unchanged-version LDS poll (Envoy's steady state: 304) against
// the bare /healthz route of the same Worker, same client, same connections (target ≥ 0.8×);
// and endpoint-registration heartbeats per second through the ConfigStore, against the design
// load of 2,000 pods heartbeating every 30 s (67/s). Rounds alternate so drift hits both sides.
import { Agent, request } from "node:https";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";
import { EndpointRegistry } from "../../control/store/endpoints.ts";
import { FakeKv, FakeSql } from "../xds/fake-sql.ts";
import type { BenchEntry } from "./harness.ts";

// wrangler dev's local proxy serialises more than it parallelises: 4 clients is its best point.
const CONCURRENCY = 4;
const ROUND_MS = 2000;
const ROUNDS = 5;
const PODS = 2000;

function call(w: TestWorker, agent: Agent, method: string, path: string, body?: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (body) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request(`${w.url}${path}`, { method, agent, ca: w.ca, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Requests per second over `ms` with `CONCURRENCY` clients; every answer must be `expect`. */
async function rate(next: (i: number) => Promise<number>, expect: number, ms = ROUND_MS): Promise<number> {
  const until = performance.now() + ms;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const status = await next(done++);
        if (status !== expect) throw new Error(`expected ${expect}, got ${status}`);
      }
    }),
  );
  return (done * 1000) / (performance.now() - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The registry's own work per heartbeat (what the Durable Object spends), and its storage writes. */
function registryHeartbeats(): { perSec: number; writesPerHeartbeat: number } {
  const sql = new FakeSql();
  const registry = new EndpointRegistry(sql as unknown as SqlStorage, new FakeKv() as unknown as KVNamespace, async () => {});
  const pod = (i: number) => ({ namespace: "default", workload: "reviews-v1", serviceAccount: "bookinfo-reviews", pod: `reviews-v1-${i}`, ip: `10.0.${i >> 8}.${i & 255}`, ports: { http: 9080 }, labels: { app: "reviews", version: "v1" }, mtls: true });
  const caller = { admin: false, namespace: "default", serviceAccount: "bookinfo-reviews" };
  for (let i = 0; i < PODS; i++) registry.register(pod(i), caller);
  const writes = sql.writes;
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1000) for (let k = 0; k < 1000; k++) registry.register(pod(n++ % PODS), caller);
  return { perSec: (n * 1000) / (performance.now() - start), writesPerHeartbeat: (sql.writes - writes) / n };
}

export async function bench(): Promise<BenchEntry[]> {
  const w = await startTestWorker();
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`);
    const token = await w.workloadToken("default", "bookinfo-reviews");
    const boot = await w.request(`/mesh/v1/bootstrap/default/reviews-v1?pod=reviews-v1-1&ip=10.0.0.1`, { token });
    const node = boot.json().node;
    const first = await w.request("/v3/discovery:listeners", { method: "POST", token: null, body: JSON.stringify({ version_info: "", node }) });
    const poll = JSON.stringify({ version_info: first.json().version_info, node, resource_names: [], type_url: "type.googleapis.com/envoy.config.listener.v3.Listener" });

    const xds = () => call(w, agent, "POST", "/v3/discovery:listeners", poll);
    const bare = () => call(w, agent, "GET", "/healthz");
    await rate(xds, 304, 1000);
    await rate(bare, 200, 1000);
    const xdsRates: number[] = [];
    const bareRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      xdsRates.push(await rate(xds, 304));
      bareRates.push(await rate(bare, 200));
    }
    const ratio = median(xdsRates) / median(bareRates);

    // Registration: 2,000 pods register once (membership changes), then heartbeat (no change).
    const reg = (i: number) => JSON.stringify({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ports: { http: 9080 }, mtls: true });
    const put = (i: number) => call(w, agent, "PUT", `/mesh/v1/proxy/default/reviews-v1/endpoints/reviews-v1-${i % PODS}`, reg(i % PODS), token);
    const registerStart = performance.now();
    let n = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (n < PODS) {
        const status = await put(n++);
        if (status !== 201 && status !== 200) throw new Error(`register: ${status}`);
      }
    }));
    const registerPerSec = (PODS * 1000) / (performance.now() - registerStart);
    const heartbeats: number[] = [];
    for (let r = 0; r < 3; r++) heartbeats.push(await rate(put, 200));
    const heartbeatPerSec = median(heartbeats);
    const designLoad = PODS / 30;
    const inDo = registryHeartbeats();
    return [
      {
        name: "xds.lds_unchanged_poll_vs_bare_route",
        value: ratio,
        unit: "x",
        target: ">= 0.8x bare /healthz",
        ok: ratio >= 0.8,
        detail: `xds 304 ${median(xdsRates).toFixed(0)}/s vs /healthz ${median(bareRates).toFixed(0)}/s, ${CONCURRENCY} clients, wrangler dev`,
      },
      {
        name: "xds.registration_heartbeats_per_second",
        value: heartbeatPerSec,
        unit: "req/s",
        target: `>= ${designLoad.toFixed(0)}/s (2,000 pods every 30 s)`,
        ok: heartbeatPerSec >= designLoad,
        detail: `end to end through wrangler dev (its local proxy caps any route near this); first registrations ${registerPerSec.toFixed(0)}/s`,
      },
      {
        name: "xds.registry_heartbeats_per_second_in_durable_object",
        value: inDo.perSec,
        unit: "op/s",
        target: `>= ${(designLoad * 100).toFixed(0)}/s (100x the 2,000-pod load), 0 storage writes`,
        ok: inDo.perSec >= designLoad * 100 && inDo.writesPerHeartbeat === 0,
        detail: `the registry's CPU per heartbeat (2,000 pods, in process); storage writes per heartbeat: ${inDo.writesPerHeartbeat}`,
      },
    ];
  } finally {
    agent.destroy();
    await w.stop();
  }
}
