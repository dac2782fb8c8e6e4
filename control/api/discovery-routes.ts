// What kubectl reads before it touches a resource: version, discovery and OpenAPI. No state, so
// it is one Hono sub-app of its own (the scale benchmark's storage-free floor Worker serves it too).
import { Hono, type Context } from "hono";
import {
  AGGREGATED_DISCOVERY_TYPE,
  aggregatedDiscovery,
  legacyCoreVersions,
  legacyGroupList,
  resourceList,
  wantsAggregated,
} from "./discovery.ts";
import { openApiGroupVersion, openApiRoot } from "./openapi.ts";
import { status } from "./status.ts";

export const discoveryApi = new Hono();

// kubectl 1.32's gcloud dispatcher picks the client binary from `minor`; 32 selects kubectl 1.32.
discoveryApi.get("/version", (c) =>
  c.json({ major: "1", minor: "32", gitVersion: "v1.32.0-edge-mesh", platform: "workers/wasm", goVersion: "n/a", compiler: "n/a" }),
);

function discovery(core: boolean) {
  return (c: Context) => {
    if (wantsAggregated(c.req.header("accept"))) {
      return c.body(JSON.stringify(aggregatedDiscovery(core)), 200, { "content-type": AGGREGATED_DISCOVERY_TYPE });
    }
    return c.json(core ? legacyCoreVersions(new URL(c.req.url).host) : legacyGroupList());
  };
}
discoveryApi.get("/api", discovery(true));
discoveryApi.get("/apis", discovery(false));

/** Serves a per-group/version document; the core group is "" (`/api/v1`, `/openapi/v3/api/v1`). */
function perGroupVersion(build: (group: string, version: string) => object | undefined, missing: string) {
  return (c: Context) => {
    const doc = build(c.req.param("group") ?? "", c.req.param("version")!);
    return doc ? c.json(doc) : c.json(status(404, "NotFound", missing), 404);
  };
}
const discoveryDoc = perGroupVersion(resourceList, "the server could not find the requested resource");
const openApiDoc = perGroupVersion(openApiGroupVersion, "no OpenAPI document for this group/version");
discoveryApi.get("/api/:version", discoveryDoc);
discoveryApi.get("/apis/:group/:version", discoveryDoc);
discoveryApi.get("/openapi/v3", (c) => c.json(openApiRoot()));
discoveryApi.get("/openapi/v3/api/:version", openApiDoc);
discoveryApi.get("/openapi/v3/apis/:group/:version", openApiDoc);
