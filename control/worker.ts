// The Worker: one entry point for the config API, the mesh admin API, the proxy read path and
// the admission webhook. The webhook (called by kube-apiserver) and /healthz need no token;
// proxy reads take a workload token; everything else needs the admin bearer token (or, for reads,
// a read-only token). The dashboard (/ui) is static files: the Worker serves them for GET and HEAD
// only, so its body limit stands in front of them too.
import { Hono } from "hono";
import { createAdmissionApp, type AdmissionBindings } from "../admission/index.ts";
import { limitBody } from "./api/body.ts";
import { readerSnapshotApi, readTokenApi, requireAdminOrReader } from "./api/read-tokens.ts";
import { configStore } from "./api/resources.ts";
import { meshAdminApi } from "./api/mesh-admin.ts";
import { kubeApi } from "./api/router.ts";
import { status } from "./api/status.ts";
import type { Env } from "./env.ts";
import { explainApi } from "./explain/routes.ts";
import { graphApi } from "./graph/routes.ts";
import { proxyApi, tokenApi } from "./proxy/routes.ts";
import { xdsApi } from "./xds/routes.ts";
import { caApi } from "./ca/routes.ts";

export { ConfigStore } from "./store/config-store.ts";

const app = new Hono<{ Bindings: Env }>();

// The sidecar injection webhook: called by kube-apiserver over TLS, so it sits before the admin token.
const admissionApp = createAdmissionApp<Env & AdmissionBindings>({
  namespaceLabels: async (env, ns) => {
    const namespace = await configStore(env).get({ group: "", plural: "namespaces", namespace: "" }, ns);
    return namespace ? (namespace.metadata.labels ?? {}) : undefined;
  },
  admitted: (env, namespace, nameOrPrefix, pod) =>
    configStore(env).recordAdmittedPod(namespace, nameOrPrefix, { labels: pod.metadata?.labels ?? {}, annotations: pod.metadata?.annotations ?? {}, spec: pod.spec }),
});

app.get("/healthz", (c) => c.text("ok"));
// Before any route reads a body, the webhook and Envoy's token-in-the-body xDS included.
app.use("*", limitBody);
app.all("/ui/*", async (c) => {
  // Read what was sent (limitBody caps it) before answering, a GET's body too: the asset server
  // answers without reading it, and a request stream read after its response (or left unread)
  // makes wrangler dev's runtime restart, failing every request in flight.
  if (c.req.raw.body) await c.req.arrayBuffer().catch(() => undefined);
  if (c.req.method !== "GET" && c.req.method !== "HEAD")
    return c.json(status(405, "MethodNotAllowed", `the dashboard's files are read-only: ${c.req.method} is not allowed (GET or HEAD)`), 405);
  return c.env.ASSETS.fetch(new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers }));
});
app.route("/", admissionApp);
// Proxies authenticate with workload tokens (or the admin token): checked per route.
// A read-only token may read snapshots too (the dashboard's traffic view).
app.route("/", readerSnapshotApi);
app.route("/", proxyApi);
// Envoy: REST xDS, bootstrap, wasm modules, endpoint registration (each authenticates itself).
app.route("/", xdsApi);
app.route("/", caApi);
// Everything below: the admin token, or a read-only token for reads (see api/read-tokens.ts).
app.use("*", requireAdminOrReader);
app.route("/", tokenApi);
app.route("/", readTokenApi);
app.route("/", meshAdminApi);
app.route("/", explainApi);
app.route("/", graphApi);
app.route("/", kubeApi);

app.notFound((c) => c.json(status(404, "NotFound", "the server could not find the requested resource"), 404));
app.onError((err, c) => {
  // A bug must not leak as an HTML 500 or a hang: answer with a Status and log the cause.
  console.error("unhandled error", err instanceof Error ? err.stack : err);
  return c.json(status(500, "InternalError", "an internal error occurred; see the Worker logs"), 500);
});

export default app;
