// What proxies (and operators) read: the filter config with ETag/304, the whole snapshot, and
// workload tokens (issued by the admin).
import { Hono } from "hono";
import { requireAdminToken } from "../api/auth.ts";
import { badRequest, status } from "../api/status.ts";
import type { Env } from "../env.ts";
import { requireAdminOrWorkload, type ProxyEnv } from "./caller.ts";
import { parseETag, readWorkload, type DocumentKind } from "./read-path.ts";
import { FILTER_HEADER, forwardSync, NODE_HEADER, syncReport } from "./sync-report.ts";
import { workerSources } from "./sources.ts";
import { issueWorkloadToken, MAX_TTL_SECONDS } from "./tokens.ts";

export const proxyApi = new Hono<ProxyEnv>();

/** `tracksProxy`: the poll is a proxy's (its node header names it), not a reader's look. */
export function serve(kind: DocumentKind, tracksProxy = true) {
  return async (c: import("hono").Context<ProxyEnv>) => {
    const { namespace, workload } = c.req.param() as { namespace: string; workload: string };
    const key = `${namespace}/${workload}`;
    const result = await readWorkload(workerSources(c.env), key, c.get("caller"), c.req.header("if-none-match"));
    if (tracksProxy && (result.status === 200 || result.status === 304)) {
      const held = String(parseETag(c.req.header("if-none-match")) ?? "");
      const filter = c.req.header(FILTER_HEADER);
      const channel = kind === "snapshot" ? "snapshot" : filter === "router" || filter === "authz" ? filter : undefined;
      const sent = result.status === 200 ? String(result.version) : held;
      forwardSync(c.env, c.executionCtx, syncReport({ namespace, workload, nodeId: c.req.header(NODE_HEADER), channel, held, sent }));
    }
    c.header("cache-control", "no-cache");
    if (result.status === 200) {
      c.header("etag", result.etag);
      return c.body(kind === "snapshot" ? result.served.snapshot() : result.served.filterConfig(), 200, { "content-type": "application/json" });
    }
    if (result.status === 304) {
      c.header("etag", result.etag);
      return c.body(null, 304);
    }
    return c.json(status(result.status, result.status === 403 ? "Forbidden" : "NotFound", result.message), result.status);
  };
}

proxyApi.get("/mesh/v1/proxy/:namespace/:workload/filter-config", requireAdminOrWorkload, serve("filter-config"));
proxyApi.get("/mesh/v1/snapshot/:namespace/:workload", requireAdminOrWorkload, serve("snapshot"));

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const tokenApi = new Hono<{ Bindings: Env }>();
tokenApi.post("/mesh/v1/workload-tokens", requireAdminToken, async (c) => {
  let body: { namespace?: unknown; serviceAccount?: unknown; ttlSeconds?: unknown };
  try {
    body = await c.req.json();
  } catch {
    return c.json(badRequest("the body must be JSON: {\"namespace\", \"serviceAccount\", \"ttlSeconds\"}"), 400);
  }
  const { namespace, serviceAccount } = body ?? {};
  const ttl = body?.ttlSeconds ?? 86400;
  if (typeof namespace !== "string" || !DNS_LABEL.test(namespace)) return c.json(badRequest("namespace: a DNS-1123 label is required"), 400);
  if (typeof serviceAccount !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(serviceAccount))
    return c.json(badRequest("serviceAccount: a DNS-1123 subdomain is required"), 400);
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 60 || ttl > MAX_TTL_SECONDS)
    return c.json(badRequest(`ttlSeconds: an integer between 60 and ${MAX_TTL_SECONDS} is required`), 400);
  const token = await issueWorkloadToken(c.env.MESH_ADMIN_TOKEN!, { namespace, serviceAccount }, ttl);
  return c.json({ token, namespace, serviceAccount, expiresAt: new Date(Date.now() + ttl * 1000).toISOString() }, 201);
});
