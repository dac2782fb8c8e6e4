// Fuzz of the whole HTTP surface of the Worker under wrangler dev: the Kubernetes API, the mesh
// admin API (revisions, diff, rollback, explain, tokens, analysis), the proxy read path (filter
// config, snapshot, bootstrap, endpoints), xDS, the CA, the webhook, the filters and /healthz.
// Malformed requests (odd methods, paths with bad escapes and huge or unicode segments, garbage
// queries, mutated and broken bodies in every content type) under every auth state: none, a
// forged token, a read token, a workload token, the admin token.
// Asserts: no 5xx, no hang (every answer within REQUEST_TIMEOUT_MS), and no write by a caller
// that may not write (the revision log is unchanged across the non-admin requests).
// Seeded: FUZZ_SEED=<n> reruns a run. FUZZ_HTTP_REQUESTS sets the count (default 1,200 for
// `npm test`; the issue's run is FUZZ_HTTP_REQUESTS=10000).
import assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, describe, test } from "node:test";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";
import { prng, type Rng } from "../support/prng.ts";

const TOTAL = Number(process.env.FUZZ_HTTP_REQUESTS ?? "1200");
const SEED = Number(process.env.FUZZ_SEED ?? "20261203") >>> 0;
const REQUEST_TIMEOUT_MS = 20_000;
const CONCURRENCY = Number(process.env.FUZZ_HTTP_CONCURRENCY ?? "6");

type Auth = "none" | "forged" | "read" | "workload" | "admin";
const AUTHS: Auth[] = ["none", "forged", "read", "workload", "admin"];

// ---- what a request is made of ----

const NAMES = ["default", "reviews", "reviews-v1", "productpage-v1", "details-v1", "bookinfo-reviews", "istio-system", "x", "", "..", "%2e%2e", "a".repeat(300), "UPPER", "é", "%ZZ", "%", "%00", "a%2Fb", "1", "0", "-1", "99999999999999999999"];
const TEMPLATES = [
  "/healthz",
  "/version",
  "/api",
  "/apis",
  "/api/v1",
  "/apis/{group}/{version}",
  "/openapi/v3",
  "/openapi/v3/api/v1",
  "/openapi/v3/apis/{group}/{version}",
  "/api/v1/{plural}",
  "/api/v1/namespaces/{ns}/{plural}",
  "/api/v1/namespaces/{ns}/{plural}/{name}",
  "/api/v1/namespaces/{name}",
  "/apis/{group}/{version}/namespaces/{ns}/{cplural}",
  "/apis/{group}/{version}/namespaces/{ns}/{cplural}/{name}",
  "/apis/{group}/{version}/{cplural}",
  "/mesh/v1/analyze",
  "/mesh/v1/revisions",
  "/mesh/v1/revisions/{rev}",
  "/mesh/v1/revisions/{rev}/diff/{rev}",
  "/mesh/v1/rollback",
  "/mesh/v1/served",
  "/mesh/v1/explain",
  "/mesh/v1/read-tokens",
  "/mesh/v1/workload-tokens",
  "/mesh/v1/webhook-config",
  "/mesh/v1/xds/nacks",
  "/mesh/v1/proxy/{ns}/{workload}/filter-config",
  "/mesh/v1/snapshot/{ns}/{workload}",
  "/mesh/v1/bootstrap/{ns}/{workload}",
  "/mesh/v1/proxy/{ns}/{workload}/endpoints/{name}",
  "/mesh/v1/gateways/{ns}/{name}/manifest",
  "/mesh/v1/ca/sign",
  "/mesh/v1/ca/roots",
  "/mesh/v1/ca/agent.sh",
  "/v3/discovery:listeners",
  "/v3/discovery:clusters",
  "/v3/discovery:routes",
  "/v3/discovery:{name}",
  "/inject",
  "/inject/{name}",
  "/filters/{name}",
  "/ui/",
  "/{name}",
  "/{name}/{name}/{name}",
];
const CORE_PLURALS = ["configmaps", "services", "secrets", "serviceaccounts", "pods", "events", "namespaces", "nope"];
const GROUPS: [string, string, string[]][] = [
  ["networking.istio.io", "v1", ["virtualservices", "destinationrules", "gateways", "serviceentries", "workloadentries", "sidecars"]],
  ["security.istio.io", "v1beta1", ["authorizationpolicies", "peerauthentications", "requestauthentications"]],
  ["gateway.networking.k8s.io", "v1", ["gateways", "httproutes", "gatewayclasses"]],
  ["apps", "v1", ["deployments"]],
  ["admissionregistration.k8s.io", "v1", ["mutatingwebhookconfigurations"]],
  ["nope.example.com", "v9", ["things"]],
];
const METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const CONTENT_TYPES = [
  "application/json",
  "application/yaml",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/json-patch+json",
  "application/apply-patch+yaml",
  "application/vnd.kubernetes.protobuf",
  "text/plain",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "",
];
const QUERY_KEYS = ["limit", "continue", "labelSelector", "fieldSelector", "dryRun", "fieldManager", "resourceVersion", "watch", "timeoutSeconds", "pod", "ip", "namespace", "format", "before", "propagationPolicy", "force"];
const QUERY_VALUES = ["", "1", "2", "-1", "0", "abc", "All", "all", "true", "app=reviews", "app in ()", "a=b=c", "metadata.name=x", "metadata.uid=x", "!", "%ZZ", "%", "x".repeat(5000), "10.1.0.5", "1e9", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOlsiIiwiIl19", "é", "null", "[]"];

/** Objects worth mutating: real bodies of each kind of endpoint. */
const SEEDS: unknown[] = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fuzz", namespace: "default" }, data: { k: "v" } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "fuzz-ns", labels: { "istio-injection": "enabled" } } },
  { apiVersion: "v1", kind: "Service", metadata: { name: "fuzz-svc" }, spec: { selector: { app: "fuzz" }, ports: [{ port: 80, name: "http" }] } },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "fuzz-vs", namespace: "default" },
    spec: { hosts: ["reviews"], http: [{ match: [{ uri: { regex: "/a.*" }, headers: { x: { exact: "y" } } }], route: [{ destination: { host: "reviews", subset: "v1" }, weight: 100 }] }] },
  },
  { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "fuzz-ap" }, spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin/{**}"] } }] }] } },
  [{ op: "replace", path: "/data/k", value: "w" }, { op: "add", path: "/metadata/labels", value: { a: "b" } }],
  { data: { k: null }, metadata: { labels: { x: "y" } } },
  { preconditions: { resourceVersion: "1" }, dryRun: ["All"], propagationPolicy: "Background" },
  { to: 1 },
  { ttlSeconds: 60 },
  { namespace: "default", serviceAccount: "bookinfo-reviews", ttlSeconds: 60 },
  { csr: "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----", validitySeconds: 3600 },
  { ip: "10.1.0.9", ports: { http: 9080 }, mtls: true },
  { source: { namespace: "default", workload: "productpage-v1" }, request: { method: "GET", authority: "reviews:9080", path: "/reviews/1", headers: { "end-user": "jason" } } },
  { version_info: "", node: { id: "sidecar~10.1.0.5~reviews-v1-1.default~default.svc.cluster.local", cluster: "reviews" }, resource_names: [], type_url: "type.googleapis.com/envoy.config.listener.v3.Listener" },
  { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "1", kind: { kind: "Pod" }, namespace: "default", object: { metadata: { name: "p", labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "i" }] } } } },
];

const ODD_VALUES: unknown[] = [null, true, 0, -1, 1e308, "", "x".repeat(70_000), [], {}, [[[[]]]], { __proto__: { polluted: 1 } }, "\u0000", "%ZZ", "é漢字🙂", "\ud800", 9007199254740993, "1.5", { $ref: "#" }];

function mutate(r: Rng, value: unknown, depth = 0): unknown {
  if (depth > 6 || r.chance(0.08)) return r.pick(ODD_VALUES);
  if (Array.isArray(value)) {
    const out = value.map((v) => (r.chance(0.3) ? mutate(r, v, depth + 1) : v));
    if (r.chance(0.1)) out.push(r.pick(ODD_VALUES));
    return out;
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (r.chance(0.07)) continue;
      out[r.chance(0.03) ? r.pick(["__proto__", "constructor", "", "é", "status", "metadata", k.toUpperCase()]) : k] = r.chance(0.3) ? mutate(r, v, depth + 1) : v;
    }
    if (r.chance(0.1)) out[r.pick(["status", "extra", "spec", "apiVersion", "kind"])] = r.pick(ODD_VALUES);
    return out;
  }
  return r.chance(0.5) ? r.pick(ODD_VALUES) : value;
}

function body(r: Rng): string | Buffer | undefined {
  const roll = r.next();
  if (roll < 0.1) return undefined;
  if (roll < 0.55) return JSON.stringify(mutate(r, r.pick(SEEDS)));
  if (roll < 0.65) return JSON.stringify(r.pick(SEEDS)).slice(0, r.int(200)); // truncated
  if (roll < 0.7) return "[".repeat(5000 + r.int(20_000)) + "]".repeat(r.int(3)); // deep
  if (roll < 0.74) return '{"metadata":{"name":"a","name":"b"},"apiVersion":"v1","kind":"ConfigMap","kind":"Secret"}';
  if (roll < 0.78) return "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n";
  if (roll < 0.82) return Buffer.concat([Buffer.from("k8s\u0000"), Buffer.from(Array.from({ length: r.int(400) }, () => r.int(256)))]);
  if (roll < 0.86) return Buffer.from(Array.from({ length: r.int(2000) }, () => r.int(256)));
  if (roll < 0.88) return "x".repeat(1024 * 1024 + 1 + r.int(1000)); // just over the body limit
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${r.pick(NAMES)}\ndata: {k: ${r.pick(["v", "[", "*x", "!!binary x", "&a a"])}}\n`;
}

function segment(r: Rng): string {
  const roll = r.next();
  if (roll < 0.75) return r.pick(NAMES);
  if (roll < 0.85) return encodeURIComponent(String.fromCharCode(...Array.from({ length: 1 + r.int(8) }, () => r.int(0x3000))));
  return Array.from({ length: 1 + r.int(12) }, () => r.pick(["%", "%Z", "%ZZ", "%2F", "%00", "..", "~", ":", "@", "*", "{", "}", ";"])).join("");
}

function path(r: Rng): string {
  const [group, version, plurals] = r.pick(GROUPS);
  let p = r.pick(TEMPLATES)
    .replace(/\{group\}/g, () => (r.chance(0.9) ? group : segment(r)))
    .replace(/\{version\}/g, () => (r.chance(0.9) ? version : segment(r)))
    .replace(/\{cplural\}/g, () => (r.chance(0.9) ? r.pick(plurals) : segment(r)))
    .replace(/\{plural\}/g, () => (r.chance(0.9) ? r.pick(CORE_PLURALS) : segment(r)))
    .replace(/\{ns\}/g, () => (r.chance(0.8) ? r.pick(["default", "istio-system", "kube-system"]) : segment(r)))
    .replace(/\{workload\}/g, () => (r.chance(0.8) ? r.pick(["reviews-v1", "productpage-v1", "details-v1", "ratings-v1"]) : segment(r)))
    .replace(/\{rev\}/g, () => r.pick(["1", "2", "5", "0", "999999", "abc", "-1", "1.5"]))
    .replace(/\{name\}/g, () => segment(r));
  if (r.chance(0.05)) p = p.replace(/\//g, () => r.pick(["/", "//", "/./", "/%2f"]));
  if (r.chance(0.4)) {
    const n = 1 + r.int(4);
    const q: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = r.pick(QUERY_KEYS);
      // A watch is a stream by design: it is fuzzed with a deadline, so it ends.
      if (key === "watch") q.push("watch=true", "timeoutSeconds=1");
      else q.push(`${r.chance(0.9) ? key : segment(r)}=${r.chance(0.8) ? encodeURIComponent(r.pick(QUERY_VALUES)) : r.pick(QUERY_VALUES).slice(0, 200)}`);
    }
    p += `?${q.join("&")}`;
  }
  // Bad escapes (%ZZ) stay; what HTTP cannot carry in a request line at all is escaped.
  return p.replace(/[^\x21-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return "%EF%BF%BD"; // a lone surrogate: U+FFFD's bytes
    }
  });
}

interface Outcome {
  status: number;
  started: number;
  ms: number;
  method: string;
  path: string;
  auth: Auth;
  error?: string;
  body: string;
  /** What was sent (the start of it), for a failure's report. */
  sent: string;
  contentType?: string;
}

function send(w: TestWorker, tokens: Record<Auth, string | null>, r: Rng, auth: Auth): Promise<Outcome> {
  const p = path(r);
  const method = r.pick(METHODS);
  const payload = method === "GET" || method === "HEAD" ? (r.chance(0.05) ? body(r) : undefined) : body(r);
  const headers: Record<string, string> = {};
  const token = tokens[auth];
  if (token) headers.authorization = r.chance(0.97) ? `Bearer ${token}` : r.pick([`bearer ${token}`, `Bearer  ${token}`, `Basic ${token}`, `Bearer ${token}x`, "Bearer"]);
  if (payload !== undefined || r.chance(0.2)) headers["content-type"] = r.pick(CONTENT_TYPES);
  if (r.chance(0.2)) headers.accept = r.pick(["application/json;as=Table;v=v1;g=meta.k8s.io", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "*/*", "text/html", "application/vnd.kubernetes.protobuf"]);
  if (r.chance(0.05)) headers["if-none-match"] = r.pick(['"1.1"', "*", "garbage"]);
  const url = new URL(w.url);
  const started = Date.now();
  return new Promise((resolve) => {
    const sent = payload === undefined ? "" : Buffer.from(payload).subarray(0, 200).toString("latin1");
    const done = (status: number, body: string, error?: string) =>
      resolve({ status, started, ms: Date.now() - started, method, path: p, auth, body: body.slice(0, 300), error, sent, contentType: headers["content-type"] });
    const req = request(
      { host: url.hostname, port: url.port, path: p, method, headers: { ...headers, ...(payload !== undefined ? { "content-length": String(Buffer.byteLength(payload)) } : {}) }, ca: w.ca, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
        res.on("error", (e) => done(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), e.message));
      },
    );
    req.on("timeout", () => {
      req.destroy();
      done(-1, "", "timeout");
    });
    // Node refuses some paths itself (characters HTTP does not allow): not a request the Worker sees.
    req.on("error", (e) => done(0, "", e.message));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

let w: TestWorker;
const tokens: Record<Auth, string | null> = { none: null, forged: null, read: null, workload: null, admin: null };

before(async () => {
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`);
  tokens.admin = w.token;
  tokens.workload = await w.workloadToken("default", "bookinfo-reviews");
  const read = await w.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: '{"ttlSeconds": 3600}' });
  assert.equal(read.status, 201, read.body);
  tokens.read = read.json().token;
  // A well-formed token of the right shape signed with the wrong key.
  tokens.forged = tokens.workload!.replace(/\.[^.]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
});
after(async () => {
  await w?.stop();
});

async function revisionLog(): Promise<string> {
  const r = await w.request("/mesh/v1/revisions?limit=5");
  assert.equal(r.status, 200, r.body);
  return JSON.stringify(r.json().items);
}

async function run(auths: Auth[], count: number, seed: number): Promise<Outcome[]> {
  const r = prng(seed);
  const plan = Array.from({ length: count }, () => r.pick(auths));
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, lane) => {
      const laneRng = prng(seed ^ (lane * 0x9e3779b9));
      while (next < plan.length) outcomes.push(await send(w, tokens, laneRng, plan[next++]));
    }),
  );
  return outcomes;
}

function report(label: string, outcomes: Outcome[]): void {
  const byStatus = new Map<number, number>();
  for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  console.log(`${label}: ${outcomes.length} requests; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}; slowest ${slowest} ms`);
}

function check(outcomes: Outcome[]): void {
  const bad = outcomes.filter((o) => o.status >= 500 || o.status === -1);
  // The requests in flight when the first one failed: the culprit is among them.
  const first = bad[0];
  if (first)
    console.log(
      `in flight at the first failure:\n${outcomes
        .filter((o) => o.started <= first.started + first.ms && o.started + o.ms >= first.started)
        .map((o) => `${o.auth} ${o.method} ${o.path.slice(0, 300)} → ${o.status} in ${o.ms} ms; content-type ${o.contentType ?? "-"}; body ${o.sent.slice(0, 200)}`)
        .join("\n")}`,
    );
  // What wrangler dev said besides its request log (a restart, an uncaught error): the why of a 5xx.
  if (bad.length > 0) console.log(`wrangler dev's output:\n${w.output().split("\n").filter((l) => !l.includes("[wrangler:info]")).slice(-150).join("\n")}`);
  assert.deepEqual(
    bad.slice(0, 10).map((o) => `${o.auth} ${o.method} ${o.path.slice(0, 200)} → ${o.status} ${o.error ?? ""} ${o.body}`),
    [],
    `${bad.length} of ${outcomes.length} requests got a 5xx or no answer within ${REQUEST_TIMEOUT_MS} ms`,
  );
}

describe(`HTTP fuzz (${TOTAL} requests, seed ${SEED})`, () => {
  test("callers that may not write (none, forged, read, workload): no 5xx, no hang, the revision log unchanged", { timeout: 3_600_000 }, async () => {
    const before = await revisionLog();
    const outcomes = await run(["none", "forged", "read", "workload"], Math.round(TOTAL * 0.6), SEED);
    report("non-admin", outcomes);
    check(outcomes);
    assert.equal(await revisionLog(), before, "a caller without the admin token changed the config");
    assert.equal((await w.request("/healthz", { token: null })).body, "ok");
  });

  test("the admin token: no 5xx, no hang; the store still answers and compiles", { timeout: 3_600_000 }, async () => {
    const outcomes = await run(["admin", "none", "read"], TOTAL - Math.round(TOTAL * 0.6), SEED + 1);
    report("admin", outcomes);
    check(outcomes);
    const served = await w.request("/mesh/v1/served");
    assert.equal(served.status, 200, served.body);
    const list = await w.request("/api/v1/configmaps");
    assert.equal(list.status, 200, list.body.slice(0, 300));
  });
});
