// Data-plane filters through the TypeScript proxy-wasm host: per-request cost of router+authz with
// real compiled tables (10 / 100 / 1000 routes from the synthetic mesh generator, and the
// security-allow-deny policies) against a chain of two no-op filters and a chain of two ABI-floor
// filters (the same host calls as router+authz, no decisions), all measured side by side on the
// same requests; what Istio's stats filter adds to that chain (one per side of the hop, same
// hosts, same requests); module sizes; and guest memory growth over many requests.
// `npm run bench wasm` runs just this file. Timings are CPU time (see medianMs below).
import { statSync } from "node:fs";
import { compile } from "../../control/mesh/compile/index.ts";
import type { FilterConfig, RouterTable } from "../../control/mesh/snapshot.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { type DecisionRequest } from "../filters/decision-cases.ts";
import { filterConfig, hostWithConfig, streamInput } from "../filters/support.ts";
import { CONTROL_CLUSTER, type FilterName, filterModule, pluginConfig, wasmPath } from "../wasmhost/support.ts";
import type { BenchEntry } from "./harness.ts";
import { generateMesh } from "./mesh-generator.ts";
import { exchangeHeaders, STATS_INBOUND_LOG, STATS_NODE, STATS_OUTBOUND_LOG, thinPropertyMap } from "./stats-chain.ts";
import { ThinHost, type ThinRequest, thinProperties, thinRequest } from "./thin-host.ts";

const BATCH = 2000;
/** Rounds of the side-by-side measurement (each ratio is a median over them). */
const ROUNDS = 9;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median CPU time (user+system, ms) of `runs` calls of `fn`: these machines are shared, and
 * wall-clock timings of a busy host swing 3-5x, CPU time far less. */
function medianMs(fn: () => void, runs = 15, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    times.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const KB = 1024;
const MEMORY_REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS ?? 1_000_000);

type Prepared = { headers: [string, string][]; properties: ReturnType<typeof streamInput>["properties"]; thin: ThinRequest };

function prepare(req: DecisionRequest): Prepared {
  const { headers, properties } = streamInput(req);
  const thin = thinRequest(headers, thinProperties({ port: req.port, mtls: req.mtls ?? req.peer?.principal !== undefined, principal: req.peer?.principal, address: req.peer?.address }));
  return { headers, properties, thin };
}

/** The router table of one workload of a generated mesh with `services` services (2 routes each). */
function generatedRouter(services: number): { config: FilterConfig; requests: Prepared[] } {
  const mesh = generateMesh(services);
  const snapshot = compile(mesh, buildRegistry(mesh), 1);
  const [key, w] = Object.entries(snapshot.workloads).find(([k]) => k.startsWith("ns-"))!;
  const config: FilterConfig = { version: 1, workload: key, router: w.router, authz: w.authz };
  const requests: Prepared[] = [];
  for (let i = 0; i < 64; i++) {
    const s = (i * 7919) % services;
    const req: DecisionRequest = {
      authority: `svc-${s}.ns-${s % 10}:8080`,
      path: `/api/items/${i}`,
      port: 8080,
      headers: i % 4 === 0 ? { "end-user": "jason" } : { "user-agent": "bench" },
    };
    requests.push(prepare(req));
  }
  return { config, requests };
}

/** Worst case: one virtual host with `routes` exact-path routes; requests match near the end. */
function longVirtualHost(routes: number): { config: FilterConfig; requests: Prepared[] } {
  const router: RouterTable = {
    ports: [{
      port: 8080,
      virtualHosts: [{
        name: "big",
        domains: ["big", "big:8080"],
        routes: Array.from({ length: routes }, (_, i) => ({
          origin: { kind: "VirtualService" as const, namespace: "b", name: "big", rule: i },
          matches: [{ uri: { exact: `/r/${i}` }, headers: [{ name: "x-variant", value: { exact: `v${i % 3}` } }] }],
          destinations: [{ cluster: `outbound|8080|r${i}|big`, weight: 1 }],
        })),
      }],
    }],
  };
  const base = filterConfig("all-v1", "default/productpage-v1");
  const requests = Array.from({ length: 16 }, (_, i) => prepare({ authority: "big", path: `/r/${routes - 1 - i}?q=1`, port: 8080, headers: { "x-variant": `v${(routes - 1 - i) % 3}` } }));
  return { config: { ...base, router }, requests };
}

const AUTHZ_REQUEST = prepare({
  authority: "reviews:9080",
  path: "/reviews/1",
  method: "GET",
  port: 9080,
  peer: { principal: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", address: "10.1.0.7:43210" },
});

async function referenceHost(filter: "noop" | "abi-floor", plugin: string): Promise<ProxyWasmHost> {
  const host = await ProxyWasmHost.load(filterModule(filter), { pluginConfig: plugin, clusters: [CONTROL_CLUSTER], trace: false });
  if (host.failure) throw new Error(host.failure.message);
  return host;
}

/** The host calls router and authz make on a routed, allowed request of this benchmark: the ABI
 * floor filter makes exactly these and decides nothing (filters/abi-floor). Checked against a
 * count of the real filters' calls (realCallsPerRequest, printed beside it). */
const FLOOR_CALLS = {
  router: [
    { property: ["destination", "port"], type: "int" },
    { header: ":authority" },
    { header: ":path" },
    { header: "end-user" },
    { set: "x-mesh-cluster", value: "outbound|8080||svc-0.ns-0.svc.cluster.local" },
  ],
  authz: [
    { property: ["destination", "port"], type: "int" },
    { property: ["connection", "mtls"], type: "bool" },
    { property: ["connection", "uri_san_peer_certificate"], type: "string" },
  ],
};

/** Average proxy_* calls per request that router and authz make on `requests` (thin host). */
async function realCallsPerRequest(config: FilterConfig, requests: Prepared[]): Promise<number> {
  const [router, authz] = await thinChain("router+authz", config, true);
  router.hostCalls = authz.hostCalls = 0;
  for (const req of requests) {
    router.request(req.thin, RESPONSE);
    authz.request(AUTHZ_REQUEST.thin, RESPONSE);
  }
  return (router.hostCalls + authz.hostCalls) / requests.length;
}

/** One request through a chain of filters, as Envoy runs it: request headers down the chain,
 * response headers back up, then each stream ends. */
function request(chain: ProxyWasmHost[], inputs: Prepared[], response: [string, string][] = PLAIN_RESPONSE): void {
  const streams = chain.map((h, i) => h.newStream({ properties: inputs[i].properties }));
  for (let i = 0; i < streams.length; i++) if (streams[i].requestHeaders(inputs[i].headers).action !== "continue") throw new Error("blocked");
  for (let i = streams.length - 1; i >= 0; i--) streams[i].responseHeaders(response);
  for (const s of streams) s.done();
}

const PLAIN_RESPONSE: [string, string][] = [[":status", "200"], ["content-length", "0"]];

function perRequestUs(chain: ProxyWasmHost[], routerRequests: Prepared[]): number {
  let k = 0;
  return (medianMs(() => {
    for (let i = 0; i < BATCH; i++) request(chain, [routerRequests[k++ & (routerRequests.length - 1)], AUTHZ_REQUEST]);
  }, 7, 2) / BATCH) * 1000;
}

async function meshChain(config: FilterConfig): Promise<ProxyWasmHost[]> {
  return [await hostWithConfig("router", config, { trace: false }), await hostWithConfig("authz", AUTHZ_CONFIG(), { trace: false })];
}

const RESPONSE = new Map([[":status", [new TextEncoder().encode("200")]]]);
const AUTHZ_CONFIG = () => filterConfig("security-allow-deny", "default/reviews-v1");

type ChainKind = "noop" | "abi-floor" | "router+authz";

/** The two filters of a chain, each in its own thin host (configured, config delivered). */
async function thinChain(kind: ChainKind, config: FilterConfig, countCalls = false): Promise<[ThinHost, ThinHost]> {
  const plugin = pluginConfig({ pollMs: 3_600_000 });
  const load = (filter: FilterName, pluginConfig: string, body: string) => ThinHost.load(filterModule(filter), pluginConfig, body, countCalls);
  if (kind === "router+authz") return [await load("router", plugin, JSON.stringify(config)), await load("authz", plugin, JSON.stringify(AUTHZ_CONFIG()))];
  if (kind === "abi-floor") return [await load("abi-floor", JSON.stringify({ calls: FLOOR_CALLS.router }), ""), await load("abi-floor", JSON.stringify({ calls: FLOOR_CALLS.authz }), "")];
  return [await load("noop", plugin, ""), await load("noop", plugin, "")];
}

/** Per-request cost through the thin host: the filters' own work + near-native host calls. */
async function thinUs(kind: ChainKind, config: FilterConfig, routerRequests: Prepared[]): Promise<number> {
  const [first, second] = await thinChain(kind, config);
  let k = 0;
  const n = routerRequests.length - 1;
  return (medianMs(() => {
    for (let i = 0; i < BATCH; i++) {
      if (first.request(routerRequests[k++ & n].thin, RESPONSE) !== 0 || second.request(AUTHZ_REQUEST.thin, RESPONSE) !== 0) throw new Error("blocked");
    }
  }, 15, 3) / BATCH) * 1000;
}

/** Istio's stats filter on both sides of a hop (stats_outbound before the router at the client,
 * stats_inbound before authz at the server), against the same router+authz chain without it: same
 * host, same requests, rounds interleaved. The response carries the server's exchange headers. */
async function statsEntries(label: string, table: { config: FilterConfig; requests: Prepared[] }): Promise<BenchEntry[]> {
  const exchange = await exchangeHeaders();
  const reviews: [string, string][] = [[":method", "GET"], [":authority", "reviews:9080"], [":path", "/reviews/1"], [":scheme", "http"]];
  const out: Prepared = { headers: reviews, properties: STATS_OUTBOUND_LOG, thin: thinRequest(reviews, thinPropertyMap({ ...STATS_OUTBOUND_LOG, response: { ...(STATS_OUTBOUND_LOG.response as object), code: 200 } })) };
  const inbound = [...reviews, ...exchange];
  const into: Prepared = { headers: inbound, properties: STATS_INBOUND_LOG, thin: thinRequest(inbound, thinPropertyMap({ ...STATS_INBOUND_LOG, response: { total_size: 1800, flags: 0, code: 200 } })) };
  const response: [string, string][] = [...PLAIN_RESPONSE, ...exchange];
  const stats = async (direction: string) => {
    const h = await ProxyWasmHost.load(filterModule("stats"), { pluginConfig: JSON.stringify({ direction }), properties: STATS_NODE, trace: false });
    if (h.failure) throw new Error(h.failure.message);
    return h;
  };
  const [router, authz] = await meshChain(table.config);
  const plain = [router, authz];
  const withStats = [await stats("outbound"), router, await stats("inbound"), authz];
  const reqs = table.requests;
  const m = reqs.length - 1;
  const us = (fn: (k: number) => void) => (medianMs(() => { for (let i = 0; i < BATCH; i++) fn(i); }, 7, 2) / BATCH) * 1000;
  const added: number[] = [];
  const ratio: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const p = us((i) => request(plain, [reqs[i & m], AUTHZ_REQUEST], response));
    const s = us((i) => request(withStats, [out, reqs[i & m], into, AUTHZ_REQUEST], response));
    base.push(p);
    added.push(s - p);
    ratio.push(s / p);
  }
  // The thin host: near-native host calls, as the ≤ 5 us budget is set on.
  const node = thinPropertyMap(STATS_NODE);
  const thinStats = (direction: string, countCalls = false) => ThinHost.load(filterModule("stats"), JSON.stringify({ direction }), "", countCalls, node);
  /** Host calls of one request on a side whose peer and series are known (the steady state). */
  const callsPerRequest = async (direction: string, req: ThinRequest, response: Map<string, Uint8Array[]>) => {
    const h = await thinStats(direction, true);
    h.request(req, response);
    h.hostCalls = 0;
    h.request(req, response);
    return h.hostCalls;
  };
  const [tRouter, tAuthz] = await thinChain("router+authz", table.config);
  const [tOut, tIn] = [await thinStats("outbound"), await thinStats("inbound")];
  const exchangeResponse = thinRequest([[":status", "200"], ...exchange], new Map()).headers;
  const thinPlain = (k: number) => {
    if (tRouter.request(reqs[k & m].thin, exchangeResponse) !== 0 || tAuthz.request(AUTHZ_REQUEST.thin, RESPONSE) !== 0) throw new Error("blocked");
  };
  const thinWith = (k: number) => {
    tOut.request(out.thin, exchangeResponse);
    thinPlain(k);
    tIn.request(into.thin, RESPONSE);
  };
  const thinUsOf = (fn: (k: number) => void) => (medianMs(() => { for (let i = 0; i < BATCH; i++) fn(i); }, 15, 3) / BATCH) * 1000;
  const tPlain: number[] = [];
  const tWith: number[] = [];
  for (let round = 0; round < 5; round++) {
    tPlain.push(thinUsOf(thinPlain));
    tWith.push(thinUsOf(thinWith));
  }
  // What was measured is what the filter reports: one series per side, every request counted.
  for (const [side, h] of [["outbound", tOut], ["inbound", tIn]] as const) if (h.metricCount !== 4) throw new Error(`stats ${side}: ${h.metricCount} metrics, expected one series of 4`);
  const thinWithT = median(tWith);
  const thinPlainT = median(tPlain);
  const detail = `router+authz ${median(base).toFixed(2)} us/request without stats, +${median(added).toFixed(2)} us with stats_outbound and stats_inbound (control/wasmhost, medians of ${ROUNDS} rounds)`;
  const calls = `${await callsPerRequest("outbound", out.thin, exchangeResponse)} + ${await callsPerRequest("inbound", into.thin, RESPONSE)} host calls`;
  const thinDetail = `thin host: router+authz ${thinPlainT.toFixed(2)} us/request, with both stats filters ${thinWithT.toFixed(2)} us/request (+${(thinWithT - thinPlainT).toFixed(2)} us; stats_outbound + stats_inbound make ${calls} per request)`;
  const entries: BenchEntry[] = [];
  if (label === "100_routes") {
    // Guest memory of each side over many requests (its per-stream state must not pile up).
    for (const [side, h, req, resp] of [["outbound", tOut, out.thin, exchangeResponse], ["inbound", tIn, into.thin, RESPONSE]] as const) {
      for (let i = 0; i < 1000; i++) h.request(req, resp);
      const after1k = h.memoryBytes;
      for (let i = 1000; i < MEMORY_REQUESTS; i++) h.request(req, resp);
      const growth = h.memoryBytes / after1k;
      const counted = h.metricCount === 4 ? "one series" : `${h.metricCount / 4} series`;
      entries.push({ name: `wasm.stats_${side}.memory_growth_${MEMORY_REQUESTS}_vs_1k`, value: growth, unit: "x", target: "<= 1.05", ok: growth <= 1.05, detail: `linear memory ${after1k / KB} KB after 1k requests, ${h.memoryBytes / KB} KB after ${MEMORY_REQUESTS} (thin host; ${counted})` });
    }
  }
  return [
    ...entries,
    { name: `wasm.stats.${label}.added_us`, value: median(added), unit: "us", target: "recorded (control/wasmhost)", ok: true, detail },
    { name: `wasm.stats.${label}.with_stats_vs_router+authz`, value: median(ratio), unit: "x", target: "recorded", ok: true, detail },
    { name: `wasm.stats.${label}.thin_host_added_us`, value: thinWithT - thinPlainT, unit: "us", target: "recorded", ok: true, detail: thinDetail },
    { name: `wasm.stats.${label}.thin_host_with_stats_us`, value: thinWithT, unit: "us", target: "<= 5 us (router+authz+stats)", ok: thinWithT <= 5, detail: thinDetail },
  ];
}

export async function bench(): Promise<BenchEntry[]> {
  const entries: BenchEntry[] = [];
  const noop = [await referenceHost("noop", pluginConfig()), await referenceHost("noop", pluginConfig())];
  const floor = [await referenceHost("abi-floor", JSON.stringify({ calls: FLOOR_CALLS.router })), await referenceHost("abi-floor", JSON.stringify({ calls: FLOOR_CALLS.authz }))];
  const floorCalls = FLOOR_CALLS.router.length + FLOOR_CALLS.authz.length;
  const tables: [string, { config: FilterConfig; requests: Prepared[] }, boolean][] = [
    ["10_routes", generatedRouter(5), true],
    ["100_routes", generatedRouter(50), true],
    ["1000_routes", generatedRouter(500), true],
    ["1000_routes_one_vhost_worst_case", longVirtualHost(1000), false],
  ];
  for (const [label, table, targeted] of tables) {
    const mesh = await meshChain(table.config);
    // Rounds of noop, floor and mesh back to back, on the same requests (headers and connection
    // attributes): each ratio is the median of its per-round ratios, so a slow stretch of the
    // machine, which hits the three measurements of a round alike, cancels out.
    const noopUs: number[] = [];
    const meshUs: number[] = [];
    const meshX: number[] = [];
    const floorX: number[] = [];
    const decisionsX: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const n = perRequestUs(noop, table.requests);
      const f = perRequestUs(floor, table.requests);
      const m = perRequestUs(mesh, table.requests);
      noopUs.push(n);
      meshUs.push(m);
      meshX.push(m / n);
      floorX.push(f / n);
      decisionsX.push((m - f) / n);
    }
    const meshT = median(meshUs);
    const noopT = median(noopUs);
    const ratio = median(meshX);
    const detail = `router+authz ${meshT.toFixed(2)} us/request, noop+noop ${noopT.toFixed(2)} us/request (medians of ${ROUNDS} rounds; request+response headers, host in Node)`;
    entries.push({ name: `wasm.router+authz.${label}.per_request_vs_noop`, value: ratio, unit: "x", target: targeted ? "<= 1.5x noop chain" : "recorded", ok: !targeted || ratio <= 1.5, detail });
    entries.push({ name: `wasm.router+authz.${label}.per_request_us`, value: meshT, unit: "us", target: "recorded (control/wasmhost)", ok: true, detail });
    const realCalls = await realCallsPerRequest(table.config, table.requests);
    entries.push({
      name: `wasm.router+authz.${label}.abi_floor_vs_noop`,
      value: median(floorX),
      unit: "x",
      target: "recorded",
      ok: true,
      detail: `the ${floorCalls} host calls alone (abi-floor filters; router+authz make ${realCalls.toFixed(2)} per request); the decisions add ${median(decisionsX).toFixed(2)}x of the no-op chain`,
    });
    const thin: Record<ChainKind, number[]> = { noop: [], "abi-floor": [], "router+authz": [] };
    for (let round = 0; round < 3; round++) {
      for (const kind of Object.keys(thin) as ChainKind[]) thin[kind].push(await thinUs(kind, table.config, table.requests));
    }
    const tMesh = median(thin["router+authz"]);
    const tNoop = median(thin.noop);
    const tFloor = median(thin["abi-floor"]);
    const thinDetail = `thin host: router+authz ${tMesh.toFixed(2)} us/request, abi-floor ${tFloor.toFixed(2)} us/request, noop+noop ${tNoop.toFixed(2)} us/request`;
    entries.push({ name: `wasm.router+authz.${label}.thin_host_us`, value: tMesh, unit: "us", target: targeted ? "<= 5 us median" : "recorded", ok: !targeted || tMesh <= 5, detail: thinDetail });
    entries.push({ name: `wasm.router+authz.${label}.thin_host_vs_noop`, value: tMesh / tNoop, unit: "x", target: "recorded", ok: true, detail: thinDetail });
    entries.push({ name: `wasm.router+authz.${label}.thin_host_abi_floor_vs_noop`, value: tFloor / tNoop, unit: "x", target: "recorded", ok: true, detail: thinDetail });
    if (targeted) entries.push(...(await statsEntries(label, table)));
  }

  for (const name of ["router", "authz", "stats", "noop", "abi-floor"] as const) {
    const bytes = statSync(wasmPath(name)).size;
    entries.push({ name: `wasm.${name}.size_kb`, value: bytes / KB, unit: "KB", target: "<= 64 KB", ok: bytes <= 64 * KB, detail: `${bytes} bytes` });
  }

  // Guest memory over many requests (the thin host: 1e6 requests take seconds, not minutes; the
  // guest's allocations do not depend on the host).
  const routerTable = generatedRouter(50);
  const plugin = pluginConfig({ pollMs: 3_600_000 });
  for (const name of ["router", "authz"] as FilterName[]) {
    const host = await ThinHost.load(filterModule(name), plugin, JSON.stringify(name === "router" ? routerTable.config : AUTHZ_CONFIG()));
    const inputs = name === "router" ? routerTable.requests : [AUTHZ_REQUEST];
    const n = inputs.length - 1;
    for (let i = 0; i < 1000; i++) host.request(inputs[i & n].thin, RESPONSE);
    const after1k = host.memoryBytes;
    const t0 = performance.now();
    for (let i = 1000; i < MEMORY_REQUESTS; i++) if (host.request(inputs[i & n].thin, RESPONSE) !== 0) throw new Error("blocked");
    const afterAll = host.memoryBytes;
    const growth = afterAll / after1k;
    entries.push({
      name: `wasm.${name}.memory_growth_${MEMORY_REQUESTS}_vs_1k`,
      value: growth,
      unit: "x",
      target: "<= 1.05",
      ok: growth <= 1.05,
      detail: `linear memory ${after1k / KB} KB after 1k requests, ${afterAll / KB} KB after ${MEMORY_REQUESTS} (${Math.round(performance.now() - t0)} ms, thin host)`,
    });
  }
  return entries;
}
