// GET /mesh/v1/graph?window=1m: the live service graph, from PromQL over the Prometheus the Worker
// is configured with (MESH_PROMETHEUS_URL), with the configured splits from the compiled config.
// Read access as for the dashboard's other reads; the browser never talks to Prometheus itself.
import { Hono } from "hono";
import { badRequest, status } from "../api/status.ts";
import type { Env } from "../env.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import { readWorkload } from "../proxy/read-path.ts";
import { workerSources } from "../proxy/sources.ts";
import { buildGraph, sourceWorkloads } from "./build.ts";
import { configuredSplits } from "./configured.ts";
import { PrometheusError, prometheusBase, queryVector } from "./prometheus.ts";
import { graphQueries, parseWindow } from "./queries.ts";

export const graphApi = new Hono<{ Bindings: Env }>();

/** Each source workload's compiled snapshot; a workload the mesh no longer has is left out. */
async function snapshots(env: Env, workloads: string[]): Promise<Map<string, WorkloadSnapshot>> {
  const sources = workerSources(env);
  const read = await Promise.all(workloads.map(async (w) => [w, await readWorkload(sources, w, { admin: true }, undefined)] as const));
  return new Map(read.flatMap(([w, r]) => (r.status === 200 ? [[w, JSON.parse(r.served.snapshot()) as WorkloadSnapshot] as const] : [])));
}

graphApi.get("/mesh/v1/graph", async (c) => {
  const window = parseWindow(c.req.query("window") ?? "1m");
  if ("error" in window) return c.json(badRequest(window.error), 400);
  try {
    const base = prometheusBase(c.env.MESH_PROMETHEUS_URL);
    const q = graphQueries(window.window);
    const [traffic, latency, security] = await Promise.all([queryVector(base, q.traffic), queryVector(base, q.latency), queryVector(base, q.security)]);
    const samples = { traffic, latency, security };
    const config = await snapshots(c.env, sourceWorkloads(samples));
    const graph = buildGraph(window.window, samples, (source) => {
      const snapshot = config.get(source);
      return snapshot ? configuredSplits(snapshot) : [];
    });
    c.header("cache-control", "no-store");
    return c.json(graph);
  } catch (e) {
    if (!(e instanceof PrometheusError)) throw e;
    const reason = e.code === 503 ? "ServiceUnavailable" : e.code === 504 ? "Timeout" : "BadGateway";
    return c.json(status(e.code, reason, e.message), e.code);
  }
});
