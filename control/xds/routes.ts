// The Envoy-facing endpoints: REST xDS, the bootstrap, the wasm modules, endpoint registration
// and the NACK log. Each authenticates its caller itself (Envoy cannot send headers on REST xDS).
import { Hono, type Context } from "hono";
import { badRequest, status } from "../api/status.ts";
import type { Env } from "../env.ts";
import type { Caller } from "../proxy/caller.ts";
import { readWorkload } from "../proxy/read-path.ts";
import { workerSources } from "../proxy/sources.ts";
import { issueWorkloadToken, MAX_TTL_SECONDS } from "../proxy/tokens.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { AdmissionBindings } from "../../admission/settings.ts";
import { authenticate, bearerOf, controlPlaneOf } from "./auth.ts";
import { bootstrap, type Prober } from "./bootstrap.ts";
import { configVersion, discoveryKind, discoveryResponse, heldRevision, parseDiscoveryRequest, versionSuffix, type DiscoveryRequest } from "./discovery.ts";
import { fnv1a, Lru } from "./memo.ts";
import { currentEndpoints, storeStub } from "./sources.ts";
import { DEFAULT_REFRESH_DELAY, fillTemplate, TRANSLATOR_VERSION, xdsTemplate, type XdsDocument } from "./template.ts";
import { endpointsFor } from "./translate/endpoints.ts";
import { credentialsNeeded, fillCredentials } from "./translate/gateway-tls.ts";
import { gatewayManifest } from "./gateway-manifest.ts";
import type { DiscoveryKind } from "./translate/types.ts";
import { servedModules, type ModuleName } from "./wasm-modules.ts";
import { forwardSync, syncReport } from "../proxy/sync-report.ts";

type XdsEnv = { Bindings: Env };
export const xdsApi = new Hono<XdsEnv>();

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;

/** Translated documents by size: the objects of one take about twice its snapshot's text. */
const docs = new Lru<string, { doc: XdsDocument; snapshotLength: number }>(24 << 20, (d) => 2 * d.snapshotLength);
const assignments = new Lru<string, { version: string; resources: Record<string, unknown>[] }>(1024);

function fail(c: Context<XdsEnv>, code: 400 | 401 | 403 | 404 | 503, reason: string, message: string) {
  return c.json(status(code, reason, message), code);
}

function noAdminToken(c: Context<XdsEnv>) {
  return fail(c, 503, "ServiceUnavailable", "the control plane has no admin token configured; refusing to serve");
}

/** The workload's xDS document as this location sees it (translated once per version and isolate). */
async function xdsDocument(env: Env, key: string, caller: Caller, held: number | undefined) {
  const result = await readWorkload(workerSources(env), key, caller, held === undefined ? undefined : String(held));
  if (result.status !== 200) return result;
  const revision = result.version;
  const memoKey = `${revision}/${key}`;
  let cached = docs.get(memoKey);
  if (!cached) {
    const snapshot = result.served.snapshot();
    cached = docs.set(memoKey, { doc: xdsTemplate(JSON.parse(snapshot) as WorkloadSnapshot, result.served.targetPorts), snapshotLength: snapshot.length });
  }
  return { status: 200 as const, revision, doc: cached.doc };
}

xdsApi.post("/v3/*", async (c) => {
  const kind = discoveryKind(c.req.path);
  if (!kind) return fail(c, 404, "NotFound", `unknown discovery path ${c.req.path}; served: /v3/discovery:{listeners,routes,clusters,endpoints}`);
  if (!c.env.MESH_ADMIN_TOKEN) return noAdminToken(c);
  // A token in the Authorization header is checked before the body is read; Envoy's REST client
  // cannot send one, so its token is in the (size-limited) body.
  const bearer = bearerOf(c.req.header("authorization"));
  const unauthorized = () => fail(c, 401, "Unauthorized", "a workload token is required (node.metadata.EDGE_MESH_TOKEN or an Authorization header)");
  let caller = bearer === undefined ? undefined : await authenticate(c.env, bearer);
  if (bearer !== undefined && !caller) return unauthorized();
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail(c, 400, "BadRequest", "the body must be a DiscoveryRequest in JSON");
  }
  const req = parseDiscoveryRequest(body, kind);
  if (typeof req === "string") return fail(c, 400, "BadRequest", req);
  const token = bearer ?? req.node.token;
  caller ??= await authenticate(c.env, token);
  if (!caller) return unauthorized();
  const { namespace, workload, serviceAccount } = req.node;
  if (!caller.admin && (caller.namespace !== namespace || (serviceAccount !== undefined && serviceAccount !== caller.serviceAccount)))
    return fail(c, 403, "Forbidden", `this token (${caller.namespace}/${caller.serviceAccount}) may not act as node ${namespace}/${serviceAccount ?? workload}`);
  const key = `${namespace}/${workload}`;
  const fillToken = caller.admin ? "" : token!;
  const { res, held, sent } = await (kind === "endpoints" ? serveEndpoints(c, req, key, caller) : serveConfig(c, kind, req, key, caller, fillToken));
  // Status and NACKs count only from a caller the read path let read this workload's config.
  if (res.status < 400)
    forwardSync(c.env, c.executionCtx, syncReport({ namespace, workload, nodeId: req.node.id, channel: kind, held, sent, nack: req.errorDetail?.message }));
  if (req.errorDetail && res.status < 400) {
    c.executionCtx.waitUntil(
      storeStub(c.env).recordNack({
        workload: key,
        nodeId: req.node.id,
        typeUrl: req.typeUrl ?? "",
        version: req.versionInfo,
        nonce: req.responseNonce ?? "",
        message: req.errorDetail.message,
      }),
    );
  }
  return res;
});

async function serveConfig(c: Context<XdsEnv>, kind: Exclude<DiscoveryKind, "endpoints">, req: DiscoveryRequest, key: string, caller: Caller, token: string) {
  const modules = await servedModules();
  const cp = controlPlaneOf(c.env, c.req.url);
  const suffix = versionSuffix([String(TRANSLATOR_VERSION), modules.router.sha256, modules.authz.sha256, modules.stats.sha256, cp.url]);
  const held = heldRevision(req.versionInfo, suffix);
  // What the proxy holds, as a workload version ("" for none, or one another translation made).
  const heldText = held === undefined ? "" : String(held);
  const result = await xdsDocument(c.env, key, caller, held);
  if (result.status === 304) return { res: c.body(null, 304), held: heldText, sent: heldText };
  if (result.status !== 200) return { res: fail(c, result.status, result.status === 403 ? "Forbidden" : "NotFound", result.message), held: heldText, sent: "" };
  let resources = result.doc[kind] ?? [];
  // RDS names what it wants (one subscription per route configuration); LDS/CDS get everything.
  if (kind === "routes" && req.resourceNames.length) resources = resources.filter((r) => req.resourceNames.includes(String(r.name)));
  const text = discoveryResponse(kind, configVersion(result.revision, suffix), resources);
  const filled = fillTemplate(text, { host: cp.host, url: cp.url, token, sha256: { router: modules.router.sha256, authz: modules.authz.sha256, stats: modules.stats.sha256 } });
  // A gateway's TLS listeners: its serving certificates go into this answer only, never stored.
  const withKeys = credentialsNeeded(filled).length ? fillCredentials(filled, new Map(Object.entries(await storeStub(c.env).gatewayCredentials(key)))) : filled;
  if (withKeys === undefined)
    return { res: fail(c, 503, "ServiceUnavailable", "a serving certificate of this gateway is not available yet; keep the last listeners and retry"), held: heldText, sent: "" };
  c.header("cache-control", "no-store");
  return { res: c.body(withKeys, 200, { "content-type": "application/json" }), held: heldText, sent: String(result.revision) };
}

/** EDS: versioned by content, so a poll is a 304 unless this cluster's endpoints changed. */
async function serveEndpoints(c: Context<XdsEnv>, req: DiscoveryRequest, key: string, caller: Caller) {
  const held = req.versionInfo;
  const result = await xdsDocument(c.env, key, caller, undefined);
  if (result.status === 304) return { res: c.body(null, 304), held, sent: held };
  if (result.status !== 200) return { res: fail(c, result.status, result.status === 403 ? "Forbidden" : "NotFound", result.message), held, sent: "" };
  const { version, endpoints } = await currentEndpoints(c.env);
  const names = req.resourceNames.length ? req.resourceNames : Object.keys(result.doc.eds).sort();
  const memoKey = `${version}|${result.revision}|${key}|${names.join(",")}`;
  let answer = assignments.get(memoKey);
  if (!answer) {
    const resources = names.map((name) => endpointsFor(name, result.doc.eds[name], endpoints));
    answer = assignments.set(memoKey, { version: fnv1a(JSON.stringify(resources)), resources });
  }
  if (held === answer.version) return { res: c.body(null, 304), held, sent: held };
  return { res: c.body(discoveryResponse("endpoints", answer.version, answer.resources), 200, { "content-type": "application/json" }), held, sent: answer.version };
}

// ---- bootstrap ----

function parseProbers(text: string | undefined): Record<string, Prober> | string {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "probers must be JSON (Istio's ISTIO_KUBE_APP_PROBERS)";
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "probers must be a JSON object";
  const out: Record<string, Prober> = {};
  for (const [path, p] of Object.entries(parsed as Record<string, Prober>)) {
    const port = p?.httpGet?.port;
    if (!path.startsWith("/app-health/") || typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
      return `probers: ${path} needs a /app-health/ path and an httpGet with a numeric port`;
    out[path] = p;
  }
  return out;
}

xdsApi.get("/mesh/v1/bootstrap/:namespace/:workload", async (c) => {
  if (!c.env.MESH_ADMIN_TOKEN) return noAdminToken(c);
  const { namespace, workload } = c.req.param();
  const caller = await authenticate(c.env, bearerOf(c.req.header("authorization")), { kubernetes: true });
  if (!caller) return fail(c, 401, "Unauthorized", "an admin token, a workload token or (with MESH_KUBERNETES_JWKS) the pod's projected service-account token is required");
  const pod = c.req.query("pod") ?? "";
  const ip = c.req.query("ip") ?? "";
  const asked = c.req.query("serviceAccount") || undefined;
  if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(workload)) return fail(c, 400, "BadRequest", "namespace and workload must be DNS names");
  if (!DNS_SUBDOMAIN.test(pod) || !IP.test(ip)) return fail(c, 400, "BadRequest", "query parameters pod (the pod name) and ip (the pod IP) are required");
  const probers = parseProbers(c.req.query("probers"));
  if (typeof probers === "string") return fail(c, 400, "BadRequest", probers);
  if (!caller.admin && (caller.namespace !== namespace || (asked !== undefined && asked !== caller.serviceAccount)))
    return fail(c, 403, "Forbidden", `this token (${caller.namespace}/${caller.serviceAccount}) may not fetch a bootstrap for ${namespace}/${asked ?? workload}`);
  const snapshot = await readWorkload(workerSources(c.env), `${namespace}/${workload}`, caller, undefined);
  if (snapshot.status === 403) return fail(c, 403, "Forbidden", snapshot.message);
  // A workload the mesh does not know yet still gets a proxy; its config arrives once it is applied.
  const w = snapshot.status === 200 ? (JSON.parse(snapshot.served.snapshot()) as WorkloadSnapshot).workload : undefined;
  const serviceAccount = w?.serviceAccount ?? (caller.admin ? asked : caller.serviceAccount);
  if (!serviceAccount) return fail(c, 400, "BadRequest", "serviceAccount is required for a workload the mesh does not know");
  const ttl = Math.min(Number(c.env.MESH_PROXY_TOKEN_TTL_SECONDS ?? MAX_TTL_SECONDS) || MAX_TTL_SECONDS, MAX_TTL_SECONDS);
  // A workload token never mints one that outlives it (else a 60 s token would renew itself forever).
  const token = await issueWorkloadToken(c.env.MESH_ADMIN_TOKEN, { namespace, serviceAccount }, ttl, caller.admin ? undefined : caller.expiresAt);
  const doc = bootstrap({
    namespace,
    workload,
    kind: w?.kind ?? "sidecar",
    pod,
    ip,
    serviceAccount,
    labels: w?.labels ?? {},
    probers,
    controlPlane: controlPlaneOf(c.env, c.req.url),
    token,
    refreshDelay: DEFAULT_REFRESH_DELAY,
  });
  c.header("cache-control", "no-store");
  return c.json(doc);
});

// ---- wasm modules ----

xdsApi.get("/filters/:file", async (c) => {
  const m = /^(router|authz)(?:-([0-9a-f]{64}))?\.wasm$/.exec(c.req.param("file"));
  if (!m) return fail(c, 404, "NotFound", "served: /filters/{router,authz}[-<sha256>].wasm");
  const module = (await servedModules())[m[1] as ModuleName];
  if (m[2] && m[2] !== module.sha256) return fail(c, 404, "NotFound", `this control plane serves ${m[1]} with sha256 ${module.sha256}`);
  const etag = `"${module.sha256}"`;
  const headers: Record<string, string> = {
    "content-type": "application/wasm",
    etag,
    "x-content-sha256": module.sha256,
    // The digest in the URL names the bytes forever; the plain name moves with deploys.
    "cache-control": m[2] ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
  return c.body(module.bytes, 200, headers);
});

// ---- endpoint registration ----

function parseRegistration(body: unknown): { ip: string; ports: Record<string, number>; mtls: boolean } | string {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return 'the body must be {"ip": "<pod IP>", "ports": {"<name>": <port>}, "mtls": <bool>}';
  const b = body as { ip?: unknown; ports?: unknown; mtls?: unknown };
  if (typeof b.ip !== "string" || !IP.test(b.ip)) return "ip: the pod's IP address is required";
  const ports: Record<string, number> = {};
  if (b.ports !== undefined) {
    if (b.ports === null || typeof b.ports !== "object" || Array.isArray(b.ports)) return 'ports: an object of container port names to numbers, e.g. {"http": 9080}';
    for (const [name, port] of Object.entries(b.ports)) {
      if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return `ports.${name}: a port number is required`;
      ports[name] = port;
    }
  }
  if (b.mtls !== undefined && typeof b.mtls !== "boolean") return "mtls: a boolean (the proxy holds a mesh certificate)";
  return { ip: b.ip, ports, mtls: b.mtls === true };
}

const ENDPOINT_PATH = "/mesh/v1/proxy/:namespace/:workload/endpoints/:pod";

xdsApi.put(ENDPOINT_PATH, async (c) => {
  if (!c.env.MESH_ADMIN_TOKEN) return noAdminToken(c);
  const caller = await authenticate(c.env, bearerOf(c.req.header("authorization")));
  if (!caller) return fail(c, 401, "Unauthorized", "an admin or workload token is required");
  const { namespace, workload, pod } = c.req.param();
  if (!DNS_SUBDOMAIN.test(pod)) return fail(c, 400, "BadRequest", "the pod name must be a DNS subdomain");
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json(badRequest("the body must be JSON"), 400);
  }
  const registration = parseRegistration(body);
  if (typeof registration === "string") return c.json(badRequest(registration), 400);
  const result = await storeStub(c.env).registerEndpoint(`${namespace}/${workload}`, pod, registration, caller);
  if ("kind" in result) return c.json(result, result.code as 403 | 404);
  return c.json({ pod, ...registration, heartbeatSeconds: result.heartbeatSeconds, ttlSeconds: result.ttlSeconds, changed: result.changed }, result.changed ? 201 : 200);
});

xdsApi.delete(ENDPOINT_PATH, async (c) => {
  if (!c.env.MESH_ADMIN_TOKEN) return noAdminToken(c);
  const caller = await authenticate(c.env, bearerOf(c.req.header("authorization")));
  if (!caller) return fail(c, 401, "Unauthorized", "an admin or workload token is required");
  const result = await storeStub(c.env).deregisterEndpoint(c.req.param("namespace"), c.req.param("pod"), caller);
  if ("kind" in result) return c.json(result, result.code as 403);
  return c.json(result);
});

// ---- status ----

xdsApi.get("/mesh/v1/xds/nacks", async (c) => {
  const caller = await authenticate(c.env, bearerOf(c.req.header("authorization")));
  if (!caller?.admin) return fail(c, 401, "Unauthorized", "the admin token is required");
  const namespace = c.req.query("namespace") || undefined;
  return c.json({ kind: "XdsNackList", items: await storeStub(c.env).nacks(namespace) });
});

// ---- gateways ----

xdsApi.get("/mesh/v1/gateways/:namespace/:name/manifest", async (c) => {
  const caller = await authenticate(c.env, bearerOf(c.req.header("authorization")));
  if (!caller?.admin) return fail(c, 401, "Unauthorized", "the admin token is required");
  const { namespace, name } = c.req.param();
  const found = (await storeStub(c.env).gatewayProxy(namespace, name)) as unknown as { gateway: KubeObject; proxy: WorkloadSnapshot } | null;
  if (!found) return fail(c, 404, "NotFound", `no Gateway ${namespace}/${name} with a proxy in the mesh`);
  const proxyImage = (c.env as Env & AdmissionBindings).MESH_PROXY_IMAGE;
  return c.json(gatewayManifest(found.gateway, found.proxy, { controlPlaneUrl: controlPlaneOf(c.env, c.req.url).url, proxyImage }));
});
