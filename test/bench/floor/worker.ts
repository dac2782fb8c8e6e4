// The scale benchmark's floor: the same discovery documents and the same kubectl requests, answered
// from a Map in the isolate, with no validation, no Durable Object and no compile. `kubectl apply`
// against it under `wrangler dev` measures what the transport and kubectl themselves cost, the part
// of an apply no server work can remove.
import { Hono, type Context } from "hono";
import { discoveryApi } from "../../../control/api/discovery-routes.ts";
import { parseResourcePath } from "../../../control/api/paths.ts";
import { notFound } from "../../../control/api/status.ts";

const objects = new Map<string, unknown>();
let revision = 1;

const app = new Hono();
app.get("/healthz", (c) => c.text("ok"));
app.route("/", discoveryApi);
app.all("/api/*", resource);
app.all("/apis/*", resource);

async function resource(c: Context): Promise<Response> {
  const parsed = parseResourcePath(c.req.path);
  if (!parsed?.ok) return c.json({ kind: "Status", code: 404 }, 404);
  const { spec, namespace = "", name } = parsed.path;
  const key = `${spec.plural}/${namespace}/${name ?? ""}`;
  const method = c.req.method;
  if (method === "GET" && name) {
    const found = objects.get(key);
    return found ? c.json(found) : c.json(notFound(spec, name), 404);
  }
  if (method === "POST" || method === "PATCH" || method === "PUT") {
    const text = await c.req.text();
    // Server-side apply sends YAML; kubectl accepts any object back, so the floor answers with JSON it has.
    const body = text.trimStart().startsWith("{") ? (JSON.parse(text) as { metadata?: Record<string, unknown> }) : { metadata: {} };
    const stored = { ...body, metadata: { ...body.metadata, name: name ?? body.metadata?.name, namespace: namespace || undefined, resourceVersion: String(++revision), uid: crypto.randomUUID() } };
    const existed = objects.has(key);
    objects.set(method === "POST" ? `${spec.plural}/${namespace}/${stored.metadata.name}` : key, stored);
    return c.json(stored, existed ? 200 : 201);
  }
  return c.json({ kind: "Status", code: 405 }, 405);
}

export default app;
