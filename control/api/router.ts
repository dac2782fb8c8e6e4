// The Kubernetes-compatible API as one Hono sub-app: version, discovery, OpenAPI, resources.
import { Hono } from "hono";
import type { Env } from "../env.ts";
import {
  AGGREGATED_DISCOVERY_TYPE,
  aggregatedDiscovery,
  legacyCoreVersions,
  legacyGroupList,
  resourceList,
  wantsAggregated,
} from "./discovery.ts";
import { openApiGroupVersion, openApiRoot } from "./openapi.ts";
import { parseResourcePath } from "./paths.ts";
import { handleResource } from "./resources.ts";
import { status } from "./status.ts";

export const kubeApi = new Hono<{ Bindings: Env }>();

// kubectl 1.32's gcloud dispatcher picks the client binary from `minor`; 32 selects kubectl 1.32.
kubeApi.get("/version", (c) =>
  c.json({ major: "1", minor: "32", gitVersion: "v1.32.0-edge-mesh", platform: "workers/wasm", goVersion: "n/a", compiler: "n/a" }),
);

function discovery(core: boolean) {
  return (c: Ctx) => {
    if (wantsAggregated(c.req.header("accept"))) {
      return c.body(JSON.stringify(aggregatedDiscovery(core)), 200, { "content-type": AGGREGATED_DISCOVERY_TYPE });
    }
    return c.json(core ? legacyCoreVersions(new URL(c.req.url).host) : legacyGroupList());
  };
}
kubeApi.get("/api", discovery(true));
kubeApi.get("/apis", discovery(false));
type Ctx = import("hono").Context<{ Bindings: Env }>;

/** Serves a per-group/version document; the core group is "" (`/api/v1`, `/openapi/v3/api/v1`). */
function perGroupVersion(build: (group: string, version: string) => object | undefined, missing: string) {
  return (c: Ctx) => {
    const doc = build(c.req.param("group") ?? "", c.req.param("version")!);
    return doc ? c.json(doc) : c.json(status(404, "NotFound", missing), 404);
  };
}
const discoveryDoc = perGroupVersion(resourceList, "the server could not find the requested resource");
const openApiDoc = perGroupVersion(openApiGroupVersion, "no OpenAPI document for this group/version");
kubeApi.get("/api/:version", discoveryDoc);
kubeApi.get("/apis/:group/:version", discoveryDoc);
kubeApi.get("/openapi/v3", (c) => c.json(openApiRoot()));
kubeApi.get("/openapi/v3/api/:version", openApiDoc);
kubeApi.get("/openapi/v3/apis/:group/:version", openApiDoc);

kubeApi.all("/api/*", (c) => resource(c));
kubeApi.all("/apis/*", (c) => resource(c));

function resource(c: Ctx) {
  const parsed = parseResourcePath(c.req.path);
  if (!parsed) return c.json(status(404, "NotFound", "the server could not find the requested resource"), 404);
  if (!parsed.ok) return c.json(parsed.status, parsed.status.code as 400 | 404);
  return handleResource(c, parsed.path);
}
