// The Kubernetes-compatible API as one Hono sub-app: version, discovery and OpenAPI
// (discovery-routes.ts), then every resource path.
import { Hono, type Context } from "hono";
import type { Env } from "../env.ts";
import { discoveryApi } from "./discovery-routes.ts";
import { parseResourcePath } from "./paths.ts";
import { handleResource } from "./resources.ts";
import { status } from "./status.ts";

export const kubeApi = new Hono<{ Bindings: Env }>();

kubeApi.route("/", discoveryApi);
kubeApi.all("/api/*", (c) => resource(c));
kubeApi.all("/apis/*", (c) => resource(c));

function resource(c: Context<{ Bindings: Env }>) {
  const parsed = parseResourcePath(c.req.path);
  if (!parsed) return c.json(status(404, "NotFound", "the server could not find the requested resource"), 404);
  if (!parsed.ok) return c.json(parsed.status, parsed.status.code as 400 | 404);
  return handleResource(c, parsed.path);
}
