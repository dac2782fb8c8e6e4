// POST /mesh/v1/explain: the decision the real filters make for one request, with its trace.
import { Hono } from "hono";
import { badRequest, status } from "../api/status.ts";
import type { Env } from "../env.ts";
import type { ClusterSpec, FilterConfig, WorkloadSnapshot } from "../mesh/snapshot.ts";
import { explain, ExplainError, type ExplainInput, type ExplainSources } from "./explain.ts";
import { FILTER_MODULES } from "./modules.ts";

interface StoreReads {
  workload(key: string): Promise<{ serviceAccount: string; filterConfig: string; snapshot: string } | null>;
  workloadsMatching(namespace: string, labels: Record<string, string>): Promise<string[]>;
}

function storeSources(env: Env): ExplainSources {
  const store = env.CONFIG_STORE.get(env.CONFIG_STORE.idFromName("mesh")) as unknown as StoreReads;
  const snapshots = new Map<string, WorkloadSnapshot>();
  return {
    async workload(key) {
      const row = await store.workload(key);
      if (!row) return null;
      const snapshot = JSON.parse(row.snapshot) as WorkloadSnapshot;
      snapshots.set(key, snapshot);
      return { key, serviceAccount: row.serviceAccount, filterConfig: JSON.parse(row.filterConfig) as FilterConfig, inboundPorts: snapshot.inbound.map((p) => p.port) };
    },
    async clusterWorkloads(source, cluster) {
      const spec: ClusterSpec | undefined = snapshots.get(source)?.clusters.find((c) => c.name === cluster);
      if (!spec || spec.endpoints.kind !== "workloads") return [];
      return store.workloadsMatching(spec.endpoints.namespace, spec.endpoints.labels);
    },
  };
}

function parseInput(body: unknown): ExplainInput | string {
  const b = body as Partial<ExplainInput> | null;
  if (!b || typeof b !== "object") return "the body must be a JSON object";
  if (typeof b.source?.namespace !== "string" || typeof b.source?.workload !== "string") return "source.namespace and source.workload are required";
  if (typeof b.request?.authority !== "string" || b.request.authority === "") return "request.authority is required";
  if (typeof b.request.path !== "string" || !b.request.path.startsWith("/")) return "request.path must start with /";
  if (b.request.method !== undefined && typeof b.request.method !== "string") return "request.method must be a string";
  if (b.request.scheme !== undefined && b.request.scheme !== "http" && b.request.scheme !== "https") return 'request.scheme must be "http" or "https"';
  const headers = b.request.headers ?? {};
  if (typeof headers !== "object" || Object.values(headers).some((v) => typeof v !== "string")) return "request.headers must map names to strings";
  if (b.port !== undefined && (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535)) return "port must be 1..65535";
  if (b.mtls !== undefined && typeof b.mtls !== "boolean") return "mtls must be a boolean";
  if (b.peer !== undefined && (typeof b.peer !== "string" || !b.peer.startsWith("spiffe://"))) return "peer must be a spiffe:// URI";
  return b as ExplainInput;
}

export const explainApi = new Hono<{ Bindings: Env }>();

explainApi.post("/mesh/v1/explain", async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json(badRequest("the body must be JSON"), 400);
  }
  const input = parseInput(body);
  if (typeof input === "string") return c.json(badRequest(input), 400);
  try {
    return c.json(await explain(FILTER_MODULES, storeSources(c.env), input));
  } catch (e) {
    if (e instanceof ExplainError) return c.json(status(e.status, e.status === 404 ? "NotFound" : "BadRequest", e.message), e.status);
    throw e;
  }
});
