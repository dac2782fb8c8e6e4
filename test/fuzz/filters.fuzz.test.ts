// Fuzz of the REAL compiled router/authz modules in control/wasmhost (strict host: any ABI misuse
// throws). Seeded and reproducible: FUZZ_SEED=<n> reruns a run (the seeds are printed), FUZZ_SCALE
// multiplies the counts (default 1: 100,000 requests and 10,000 config bodies, well under a minute).
//   - requests: random/odd authorities and paths, random methods, up to thousands of headers,
//     huge values, header values and peer attributes that are not valid UTF-8, random ports,
//     peers and JWT claims, through a realistic table (Bookinfo + gateway + a synthetic port with
//     every match kind, rewrites, redirects, faults; every authz field and `when` key).
//   - config bodies: JSON-level mutations of real FilterConfigs (type swaps, deletions, random
//     regexes, versions) and byte-level ones (truncation, garbage, invalid UTF-8).
// Asserts: no trap (host.failure), no ABI violation, sane outcomes, bounded linear memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FilterConfig, Route } from "../../control/mesh/snapshot.ts";
import { type HttpCallResult, type PropertyTree, ProxyWasmHost, rawHeaderValue } from "../../control/wasmhost/index.ts";
import { configAnswer, filterConfig, seededRandom } from "../filters/support.ts";
import { CONTROL_CLUSTER, filterModule, pluginConfig } from "../wasmhost/support.ts";
import { prng, type Rng } from "../support/prng.ts";

const SCALE = Number(process.env.FUZZ_SCALE ?? "1");
const BASE_SEED = Number(process.env.FUZZ_SEED ?? "20260425") >>> 0;
const REQUESTS_PER_FILTER = Math.round(50_000 * SCALE);
const CONFIGS_PER_FILTER = Math.round(5_000 * SCALE);
const MB = 1024 * 1024;

const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz0123456789-._~",
  "ABCXYZ/?#[]@!$&'()*+,;=%:",
  " \t\"\\<>{}|^`",
  "é漢字🙂\u0000\u007f\u00ff\u2028\ufffd",
  "\ud800\udfff", // lone surrogates
];

function randomString(r: Rng, max: number): string {
  const n = r.int(max + 1);
  const alpha = r.pick(ALPHABETS);
  let s = "";
  for (let i = 0; i < n; i++) s += alpha[r.int(alpha.length)];
  return s;
}

function randomBytes(r: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.chance(0.5) ? 0x80 + r.int(128) : r.int(256);
  return b;
}

/** Sometimes-invalid UTF-8 value for a header. */
function headerValue(r: Rng): string {
  const roll = r.next();
  if (roll < 0.002) return "v".repeat(64 * 1024 + r.int(MB - 64 * 1024)); // huge
  if (roll < 0.1) return rawHeaderValue(randomBytes(r, r.int(64)));
  if (roll < 0.3) return r.pick(["jason", "mary", "acme-eu", "10.0.0.1, 1.2.3.4", "203.0.113.9", "", "*"]);
  return randomString(r, 40);
}

const HEADER_NAMES = ["end-user", "x-forwarded-for", "x-tenant", "x-version", "x-mesh-cluster", "user-agent", "cookie", "x-envoy-max-retries", "a", "b"];
const AUTHORITIES = ["reviews:9080", "reviews", "ratings.default.svc.cluster.local:9080", "details", "productpage:9080", "bookinfo.example.com", "svc.test", "www.googleapis.com", "API.svc.test:8000", "[::1]:8000", "10.0.0.1:9080", ""];
const SYNTHETIC_PATHS = ["/seg/x", "/direct", "/v1/users/12", "/API/x", "/re/abc/12", "/old/a", "/q?user=a%20b&id=7", "/xz"];
const PATHS = ["/", "/productpage", "/static/x", "/staticx", "/api/v1/products/1", "/reviews/1", "/admin/x", "/v1/users/42", "/old/a?x=1", "/re/abc/12", "/q?user=a%20b&id=7", "/%ff%fe", "/a/../b", "?only=query", ""];
const METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get", "", "G E T"];
const PRINCIPALS = ["spiffe://cluster.local/ns/default/sa/bookinfo-productpage", "spiffe://cluster.local/ns/shop/sa/cart", "spiffe://x", "cluster.local/ns/", "spiffe://cluster.local/ns/default/sa/bookinfo-ratings"];
const ADDRESSES = ["10.1.0.7:43210", "[2001:db8::1]:443", "192.168.1.7", "::1", "not-an-ip", "300.1.1.1:1", "1.2.3.4:", "[::ffff:10.0.0.1]:80", ""];

function randomRequest(r: Rng): { headers: [string, string][]; properties: PropertyTree } {
  const synthetic = r.chance(0.3);
  const authority = synthetic ? r.pick(["svc.test", "svc.test:8000", "a.svc.test"]) : r.chance(0.8) ? r.pick(AUTHORITIES) : r.chance(0.01) ? "h".repeat(100_000) : randomString(r, 60);
  let path = synthetic ? r.pick(SYNTHETIC_PATHS) : r.chance(0.7) ? r.pick(PATHS) : "/" + randomString(r, 80);
  if (r.chance(0.003)) path = "/" + "p/".repeat(50_000);
  if (r.chance(0.1)) path += "?" + randomString(r, 30) + "=" + randomString(r, 30);
  const headers: [string, string][] = [];
  if (r.chance(0.98)) headers.push([":authority", authority]);
  if (r.chance(0.98)) headers.push([":path", path]);
  if (r.chance(0.98)) headers.push([":method", r.pick(METHODS)]);
  headers.push([":scheme", r.pick(["http", "https", ""])]);
  const roll = r.next();
  const count = roll < 0.9 ? r.int(10) : roll < 0.995 ? 10 + r.int(90) : 1000 + r.int(2000);
  for (let i = 0; i < count; i++) {
    const name = r.chance(0.6) ? r.pick(HEADER_NAMES) : randomString(r, 20).toLowerCase().replace(/[^a-z0-9-]/g, "") || "x";
    headers.push([name, headerValue(r)]);
  }
  const properties: PropertyTree = {};
  if (synthetic) properties.destination = { port: 8000, address: "10.0.0.1:8000" };
  else if (r.chance(0.8)) properties.destination = { port: r.pick([80, 9080, 8000, 8080, 9090, r.int(70_000)]), address: r.pick(ADDRESSES) };
  const connection: PropertyTree = { mtls: r.chance(0.5) };
  if (r.chance(0.6)) connection.uri_san_peer_certificate = r.chance(0.85) ? r.pick(PRINCIPALS) : randomBytes(r, r.int(40));
  if (r.chance(0.2)) connection.requested_server_name = r.chance(0.5) ? "evil.example" : randomBytes(r, 8);
  properties.connection = connection;
  if (r.chance(0.7)) properties.source = { address: r.chance(0.9) ? r.pick(ADDRESSES) : randomBytes(r, 12) };
  if (r.chance(0.3)) {
    const claims: PropertyTree = {
      iss: r.chance(0.7) ? r.pick(["testing@secure.istio.io", "https://issuer", "iss"]) : randomBytes(r, 10),
      sub: r.pick(["testing@secure.istio.io", "sub", "u1", ""]),
    };
    if (r.chance(0.5)) claims.groups = r.chance(0.5) ? ["group1", randomString(r, 8)] : r.chance(0.5) ? "group1" : randomBytes(r, 20);
    if (r.chance(0.3)) claims.aud = r.chance(0.5) ? ["api", "web"] : "api";
    if (r.chance(0.2)) claims.realm = { role: r.pick(["admin", "user"]) };
    properties.metadata = { filter_metadata: { "envoy.filters.http.jwt_authn": { payload: claims } } };
  }
  return { headers, properties };
}

// --- realistic tables --------------------------------------------------------------------------

const ORIGIN = { kind: "VirtualService" as const, namespace: "fuzz", name: "synthetic", rule: 0 };
const dest = (cluster: string, weight = 1) => ({ cluster, weight });

function syntheticRoutes(): Route[] {
  return [
    { origin: ORIGIN, matches: [{ uri: { regex: "/v[12]/(users|groups)/\\d{1,4}" } }, { uri: { regex: "(?i)/API/.*" } }], destinations: [dest("re", 3), dest("re2", 1)] },
    { origin: ORIGIN, matches: [{ uri: { segmentPrefix: "/seg" }, headers: [{ name: "x-tenant", value: { prefix: "acme" } }] }], destinations: [dest("seg")], rewrite: { uri: "/" } },
    { origin: ORIGIN, matches: [{ queryParams: [{ name: "user", value: { exact: "a b" } }, { name: "id", value: { regex: "[0-9]+" } }] }], destinations: [dest("q")], requestHeaders: { set: [["x-q", "1"]], remove: ["cookie"] } },
    { origin: ORIGIN, matches: [{ uri: { prefix: "/old" } }], redirect: { uri: "/new", authority: "b.example", port: 8443, status: 308 } },
    { origin: ORIGIN, matches: [{ uri: { exact: "/direct" } }, { method: { regex: "P.*" }, headers: [{ name: "b", present: true }] }], directResponse: { status: 418, body: "teapot" } },
    { origin: ORIGIN, matches: [{ uri: { prefix: "/re/" } }], destinations: [dest("rx")], rewrite: { uriRegex: { match: "/re/([a-z]+)/(\\d+)", substitution: "/\\2/\\1" }, authority: "rx.internal" } },
    { origin: ORIGIN, matches: [{ headers: [{ name: "end-user", value: { exact: "jason" }, invert: true }, { name: "a", value: { regex: ".*z", ignoreCase: true } }] }], destinations: [dest("inv")], fault: { abort: { httpStatus: 503, percent: 10 } } },
    { origin: ORIGIN, matches: [{ authority: { exact: "svc.test:8000" }, port: 8000 }], destinations: [dest("slow")], fault: { delay: { fixedDelayMs: 5, percent: 50 } }, timeoutMs: 1500, retries: { attempts: 2, perTryTimeoutMs: 300, retryOn: "5xx" } },
    { origin: ORIGIN, matches: [], destinations: [dest("rest", 1), dest("rest2", 0)], responseHeaders: { set: [["x-r", "1"]] } },
  ];
}

function routerConfig(): FilterConfig {
  const base = filterConfig("ratings-test-delay", "default/productpage-v1");
  const gateway = filterConfig("gateway-api-ingress", "default/bookinfo-gateway-istio");
  const ports = [...base.router.ports.filter((p) => p.port !== 80), ...gateway.router.ports, {
    port: 8000,
    virtualHosts: [
      { name: "svc.test", domains: ["svc.test", "svc.test:8000", "*.svc.test"], routes: syntheticRoutes() },
      { name: "star", domains: ["*"], routes: [{ origin: ORIGIN, matches: [], destinations: [dest("star")] }] },
    ],
  }];
  return { ...base, router: { ports } };
}

function authzConfig(): FilterConfig {
  const base = filterConfig("security-allow-deny", "default/reviews-v1");
  const a = base.authz;
  return {
    ...base,
    authz: {
      ...a,
      mtls: { mode: "PERMISSIVE", ports: [{ port: 9090, mode: "STRICT" }, { port: 8080, mode: "DISABLE" }], origin: [] },
      policies: {
        custom: [{ name: "fuzz/ext", provider: "opa", rules: [{ from: [], to: [{ paths: ["/ext*"], notMethods: ["OPTIONS"] }], when: [] }] }],
        deny: [...a.policies.deny, { name: "fuzz/deny", rules: [{ from: [{ ipBlocks: ["10.9.0.0/16", "2001:db8:dead::/48"], notRemoteIpBlocks: ["203.0.113.0/24"] }], to: [], when: [{ key: "connection.sni", values: ["evil.example"] }] }] }],
        allow: [
          ...a.policies.allow,
          {
            name: "fuzz/allow",
            rules: [
              { from: [{ principals: ["cluster.local/ns/shop/*"], notNamespaces: ["banned"], requestPrincipals: ["*"] }], to: [{ hosts: ["*.svc.test", "reviews"], ports: ["9080", "8000"], methods: ["GET"] }], when: [{ key: "request.auth.claims[groups]", values: ["group1"] }, { key: "request.auth.claims[realm][role]", notValues: ["user"] }] },
              { from: [{ remoteIpBlocks: ["203.0.113.0/24", "::1"] }], to: [{ notPaths: ["/admin*"] }], when: [{ key: "request.headers[x-tenant]", values: ["acme*"] }, { key: "source.ip", values: ["10.0.0.0/8", "::/0"] }, { key: "destination.port", notValues: ["1"] }, { key: "request.auth.audiences", values: ["api"] }, { key: "request.auth.presenter", notValues: ["x"] }, { key: "request.auth.principal", values: ["*"] }, { key: "source.principal", values: ["*"] }, { key: "source.namespace", notValues: ["x"] }, { key: "destination.ip", notValues: ["1.1.1.1"] }, { key: "unknown.key", values: ["1"] }] },
            ],
          },
        ],
        audit: [{ name: "fuzz/audit", rules: [{ from: [], to: [{ methods: ["DELETE"] }], when: [] }] }],
      },
    },
  };
}

async function load(filter: "router" | "authz", config: FilterConfig, seed: number, answers?: (HttpCallResult | undefined)[]) {
  const queue = answers ?? [configAnswer(config, '"fuzz"')];
  const host = await ProxyWasmHost.load(filterModule(filter), {
    pluginConfig: pluginConfig({ pollMs: answers ? 1 : 3_600_000 }),
    clusters: [CONTROL_CLUSTER],
    onHttpCall: () => queue.shift() ?? { status: 304 },
    random: seededRandom(seed),
    trace: false,
    now: 1_700_000_000_000,
  });
  await host.settle();
  assert.equal(host.failure, undefined);
  return host;
}

// --- config mutations --------------------------------------------------------------------------

const REGEX_ATOMS = ["a", ".", "\\d", "\\w", "[a-z]", "[^/]", "(", ")", "|", "*", "+", "?", "{2}", "{1,3}", "{,}", "^", "$", "\\", "(?:", "(?i)", "[", "]", "\\b", "\\x41", "\\p{L}", "{99999}", "(?P<n>"];

function randomRegex(r: Rng): string {
  let s = "";
  const n = 1 + r.int(12);
  for (let i = 0; i < n; i++) s += r.pick(REGEX_ATOMS);
  return s;
}

function randomJson(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 8)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1.5, 1e308, -1e308, 65536, 2 ** 53, 4294967296, 100, 7000]);
    case 3: return randomString(r, 20);
    case 4: return r.pick(["STRICT", "/", "*", "x-mesh-cluster", ":path", "a\r\nb"]);
    case 5: return randomRegex(r);
    case 6: return Array.from({ length: r.int(3) }, () => randomJson(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(3) }, () => [r.pick(["exact", "prefix", "regex", "name", "port", "mode", "cluster", "weight", "x"]), randomJson(r, depth + 1)]));
  }
}

/** Every [container, key] in a JSON tree. */
function slots(node: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(node)) node.forEach((v, i) => (out.push([node, i]), slots(v, out)));
  else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) (out.push([node as Record<string, unknown>, k]), slots(v, out));
  return out;
}

function mutatedBody(r: Rng, base: FilterConfig, version: number): string | Uint8Array {
  const doc = structuredClone(base) as unknown as Record<string, unknown>;
  doc.version = r.chance(0.1) ? r.pick([version - 5, -1, "7", 1.5, null]) : version;
  // the version is mutated only above: a random huge one would make every later body "older"
  const all = slots(doc).filter(([c, k]) => !(c === doc && k === "version"));
  const edits = 1 + r.int(4);
  for (let i = 0; i < edits; i++) {
    const [container, key] = r.pick(all);
    const roll = r.next();
    if (roll < 0.2 && !Array.isArray(container)) delete (container as Record<string, unknown>)[key as string];
    else if (roll < 0.35 && typeof (container as Record<string | number, unknown>)[key] === "string") (container as Record<string | number, unknown>)[key] = randomRegex(r);
    else (container as Record<string | number, unknown>)[key] = randomJson(r);
  }
  let text = JSON.stringify(doc);
  const bytes = r.next();
  if (bytes < 0.1) text = text.slice(0, r.int(text.length));
  else if (bytes < 0.15) {
    const at = r.int(text.length);
    return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(randomBytes(r, 1 + r.int(6))), Buffer.from(text.slice(at))]);
  } else if (bytes < 0.2) {
    const at = r.int(text.length);
    text = text.slice(0, at) + randomString(r, 5) + text.slice(at);
  }
  return text;
}

// --- the runs ----------------------------------------------------------------------------------

function runRequests(host: ProxyWasmHost, r: Rng, n: number, routed = true): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { headers, properties } = randomRequest(r);
    const s = host.newStream({ properties });
    const res = s.requestHeaders(headers);
    let key: string = res.action;
    if (res.action === "reply") {
      const status = res.localReply!.status;
      assert.ok(status >= 200 && status <= 599, `status ${status}`);
      key = `reply ${status}`;
    } else if (res.action === "continue") {
      if (routed) assert.equal(s.request.getAll("x-mesh-cluster").length, 1, "a routed request has exactly one x-mesh-cluster");
      s.responseHeaders({ ":status": "200", server: "upstream" });
    } else assert.equal(res.action, "pause");
    s.done();
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    assert.equal(host.failure, undefined, `trap after request ${i}: ${host.failure?.message}`);
  }
  assert.deepEqual(host.violations, []);
  return outcomes;
}

describe(`fuzz: filters (seed ${BASE_SEED}, scale ${SCALE})`, () => {
  for (const [i, filter] of (["router", "authz"] as const).entries()) {
    it(`${filter}: ${REQUESTS_PER_FILTER} random requests through a realistic table`, async (t) => {
      const seed = BASE_SEED + i;
      t.diagnostic(`seed ${seed} (FUZZ_SEED=${BASE_SEED})`);
      const host = await load(filter, filter === "router" ? routerConfig() : authzConfig(), seed);
      assert.ok(host.logs.some((l) => /mesh config applied/.test(l.message)), `the realistic table is accepted: ${host.logs.map((l) => l.message).join("; ")}`);
      const r = prng(seed);
      const routed = filter === "router";
      runRequests(host, r, 1000, routed);
      const before = host.memoryBytes;
      const t0 = performance.now();
      let outcomes: Record<string, number> = {};
      const chunk = 1000;
      for (let done = 1000; done < REQUESTS_PER_FILTER; done += chunk) {
        const o = runRequests(host, r, Math.min(chunk, REQUESTS_PER_FILTER - done), routed);
        for (const [k, v] of Object.entries(o)) outcomes[k] = (outcomes[k] ?? 0) + v;
        await host.tick(7); // delayed streams resume or were ended; polls and GC keep running
      }
      const after = host.memoryBytes;
      t.diagnostic(`${filter}: ${REQUESTS_PER_FILTER} requests in ${Math.round(performance.now() - t0)} ms; outcomes ${JSON.stringify(outcomes)}`);
      t.diagnostic(`${filter}: linear memory ${before / 1024} KB after 1k requests, ${after / 1024} KB at the end`);
      assert.ok(after <= 64 * MB, `linear memory ${after} bytes`);
      if (filter === "router") assert.ok(Object.keys(outcomes).length >= 5, "requests reach many different outcomes");
    });

    it(`${filter}: ${CONFIGS_PER_FILTER} random/mutated config bodies through the config channel`, async (t) => {
      const seed = BASE_SEED + 100 + i;
      t.diagnostic(`seed ${seed}`);
      const r = prng(seed);
      const bases = [routerConfig(), authzConfig(), filterConfig("reviews-test-v2", "default/productpage-v1"), filterConfig("security-jwt", "default/productpage-v1")];
      const answers: (HttpCallResult | undefined)[] = [configAnswer({ ...bases[0], version: 1 }, '"start"')];
      let version = 1;
      for (let k = 0; k < CONFIGS_PER_FILTER; k++) {
        version += r.int(3);
        const body = r.chance(0.05) ? randomBytes(r, r.int(200)) : mutatedBody(r, r.pick(bases), version);
        answers.push({ status: 200, headers: { etag: `"m${k}"` }, body });
      }
      const host = await load(filter, bases[0], seed, answers);
      const before = host.memoryBytes;
      const t0 = performance.now();
      let applied = 0;
      let rejected = 0;
      const rr = prng(seed ^ 0x5eed);
      for (let k = 0; k < CONFIGS_PER_FILTER; k++) {
        await host.tick(1);
        assert.equal(host.failure, undefined, `trap on config ${k}: ${host.failure?.message}`);
        const tag = `mesh config applied, etag "m${k}"`;
        if (host.logs.slice(-20).some((l) => l.message === tag)) applied++;
        else rejected++;
        if (k % 10 === 0) runRequests(host, rr, 3, filter === "router" && host.logs.some((l) => /applied/.test(l.message)));
      }
      assert.deepEqual(host.violations, []);
      t.diagnostic(`${filter}: ${CONFIGS_PER_FILTER} bodies in ${Math.round(performance.now() - t0)} ms: ${applied} applied, ${rejected} rejected; memory ${before / 1024} KB -> ${host.memoryBytes / 1024} KB`);
      assert.ok(applied > 0 && rejected > 0, `both accepted and rejected bodies: ${host.logs.slice(-5).map((l) => l.message).join("\n")}`);
      assert.ok(host.memoryBytes <= 64 * MB);
    });
  }
});
