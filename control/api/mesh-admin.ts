// The mesh's own admin endpoints under /mesh/v1: analysis findings, the revision history,
// the config at a revision, the difference between two, and rollback.
import { Hono, type Context } from "hono";
import { formatText } from "../mesh/analyze/index.ts";
import type { Env } from "../env.ts";
import { everyPage } from "./pagination.ts";
import { configStore } from "./resources.ts";
import { badRequest, type KubeStatus } from "./status.ts";

export const meshAdminApi = new Hono<{ Bindings: Env }>();

type Ctx = Context<{ Bindings: Env }>;

function isStatus(v: unknown): v is KubeStatus {
  return typeof v === "object" && v !== null && (v as { kind?: string }).kind === "Status";
}

function revisionParam(c: Ctx, name: string): number | undefined {
  const v = c.req.param(name);
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

meshAdminApi.get("/mesh/v1/analyze", async (c) => {
  const namespace = c.req.query("namespace") || undefined;
  const findings = await configStore(c.env).findings(namespace);
  if (c.req.query("format") === "text") return c.text(formatText(findings, namespace) + "\n");
  return c.json({ items: findings });
});

meshAdminApi.get("/mesh/v1/revisions", async (c) => {
  const limit = Number(c.req.query("limit") ?? "100");
  const before = c.req.query("before") !== undefined ? Number(c.req.query("before")) : undefined;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return c.json(badRequest("limit: an integer from 1 to 1000"), 400);
  if (before !== undefined && !Number.isInteger(before)) return c.json(badRequest("before: a revision number"), 400);
  const { items, compiledRevision, publishedRevision } = await configStore(c.env).revisions(limit, before);
  // Log entries never change: the newest revision on the page and how far proxies are served name
  // the page (polling UIs send If-None-Match).
  const etag = `"${items[0]?.revision ?? 0}.${publishedRevision}"`;
  c.header("etag", etag);
  c.header("cache-control", "no-cache");
  if (c.req.header("if-none-match") === etag) return c.body(null, 304);
  return c.json({ items, compiledRevision, publishedRevision });
});

/** istioctl proxy-status: per proxy and xDS type, SYNCED / STALE / NOT SENT / ERROR against the published revision. */
meshAdminApi.get("/mesh/v1/proxy-status", async (c) => {
  const namespace = c.req.query("namespace") || undefined;
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) return c.json(badRequest("namespace: a DNS-1123 label"), 400);
  const { publishedRevision, items } = await configStore(c.env).proxyStatus(namespace);
  c.header("cache-control", "no-store");
  return c.json({ kind: "ProxyStatusList", publishedRevision, items });
});

/** The served state's size and what compiling and publishing wrote (the scale benchmark reads it). */
meshAdminApi.get("/mesh/v1/served", async (c) => c.json(await configStore(c.env).servedStats()));

meshAdminApi.get("/mesh/v1/revisions/:revision", async (c) => {
  const revision = revisionParam(c, "revision");
  if (revision === undefined) return c.json(badRequest("revision: a number is required"), 400);
  const store = configStore(c.env);
  const pages = await everyPage((start) => store.configAtRevision(revision, start));
  return isStatus(pages) ? c.json(pages, pages.code as 404) : c.json({ revision, items: pages.flatMap((p) => p.items) });
});

meshAdminApi.get("/mesh/v1/revisions/:from/diff/:to", async (c) => {
  const from = revisionParam(c, "from");
  const to = revisionParam(c, "to");
  if (from === undefined || to === undefined) return c.json(badRequest("revisions must be numbers"), 400);
  const store = configStore(c.env);
  const pages = await everyPage((start) => store.revisionDiff(from, to, start));
  return isStatus(pages) ? c.json(pages, pages.code as 404) : c.json({ from, to, changes: pages.flatMap((p) => p.changes) });
});

meshAdminApi.post("/mesh/v1/rollback", async (c) => {
  let body: { to?: unknown };
  try {
    body = await c.req.json();
  } catch {
    return c.json(badRequest('the body must be JSON: {"to": <revision>}'), 400);
  }
  if (typeof body?.to !== "number" || !Number.isInteger(body.to) || body.to < 1) return c.json(badRequest("to: a revision number is required"), 400);
  const result = await configStore(c.env).rollback(body.to);
  return isStatus(result) ? c.json(result, result.code as 404) : c.json(result);
});
