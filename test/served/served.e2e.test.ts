// The served state against the real Worker (`wrangler dev`): after any sequence of writes, what
// every proxy is served equals a from-scratch compile of the config as stored (the store records
// compiles incrementally: only changed parts, views and entries are written), also across a
// restart; and what one VirtualService change writes does not grow with the number of workloads.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { compile } from "../../control/mesh/compile/index.ts";
import { meshConfig } from "../../control/mesh/config.ts";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

const JSON_TYPE = { "content-type": "application/json" };

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ["ns-a", "ns-b"];
const SERVICES = ["s0", "s1", "s2"];

interface Op {
  method: "PUT" | "POST" | "DELETE";
  path: string;
  body?: KubeObject;
}

/** One random write in a small universe: services, deployments, routing, policies, scoping. */
function randomOp(rand: () => number): Op {
  const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const ns = pick(NAMESPACES);
  const app = pick(SERVICES);
  const version = pick(["v1", "v2"]);
  const kinds: [string, string, () => KubeObject][] = [
    ["/api/v1", "services", () => ({ apiVersion: "v1", kind: "Service", metadata: { name: app, namespace: ns }, spec: { selector: { app }, ports: [{ name: "http", port: pick([8080, 9080]) }] } })],
    [
      "/apis/apps/v1",
      "deployments",
      () => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: `${app}-${version}`, namespace: ns },
        spec: {
          selector: { matchLabels: { app, version } },
          template: { metadata: { labels: { app, version } }, spec: { serviceAccountName: pick([app, "default"]), containers: [{ name: app, image: "app" }] } },
        },
      }),
    ],
    [
      "/apis/networking.istio.io/v1",
      "virtualservices",
      () => {
        const weight = Math.floor(rand() * 101);
        return {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: app, namespace: ns },
          spec: {
            hosts: [app],
            http: [
              ...(rand() < 0.5 ? [{ match: [{ headers: { "end-user": { exact: "jason" } } }], route: [{ destination: { host: app, subset: "v2" } }] }] : []),
              { route: [{ destination: { host: app, subset: "v1" }, weight }, { destination: { host: app, subset: "v2" }, weight: 100 - weight }] },
            ],
          },
        };
      },
    ],
    [
      "/apis/networking.istio.io/v1",
      "destinationrules",
      () => ({
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: app, namespace: ns },
        spec: { host: app, trafficPolicy: rand() < 0.5 ? { tls: { mode: "ISTIO_MUTUAL" } } : undefined, subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] },
      }),
    ],
    [
      "/apis/networking.istio.io/v1",
      "sidecars",
      () => ({ apiVersion: "networking.istio.io/v1", kind: "Sidecar", metadata: { name: "default", namespace: ns }, spec: { egress: [{ hosts: [pick(["./*", "*/*", `${pick(NAMESPACES)}/*`])] }] } }),
    ],
    [
      "/apis/security.istio.io/v1",
      "authorizationpolicies",
      () => ({
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: `${app}-policy`, namespace: ns },
        spec: { selector: { matchLabels: { app } }, action: pick(["ALLOW", "DENY"]), rules: [{ to: [{ operation: { methods: [pick(["GET", "POST"])] } }] }] },
      }),
    ],
    [
      "/apis/security.istio.io/v1",
      "peerauthentications",
      () => ({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: ns }, spec: { mtls: { mode: pick(["STRICT", "PERMISSIVE"]) } } }),
    ],
  ];
  const [prefix, plural, make] = pick(kinds);
  const body = make();
  const item = `${prefix}/namespaces/${ns}/${plural}/${body.metadata.name}`;
  if (rand() < 0.2) return { method: "DELETE", path: item };
  return { method: "PUT", path: item, body };
}

describe("served state", () => {
  let w: TestWorker;
  before(async () => {
    w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
    for (const name of NAMESPACES)
      assert.equal((await w.request("/api/v1/namespaces", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }) })).status, 201);
  });
  after(() => w.stop());

  /** A write as kubectl apply makes it: replace what exists, create what does not. */
  async function write(op: Op): Promise<void> {
    let r = await w.request(op.path, { method: op.method, headers: JSON_TYPE, body: op.body ? JSON.stringify(op.body) : undefined });
    if (op.method === "PUT" && r.status === 404) r = await w.request(op.path.slice(0, op.path.lastIndexOf("/")), { method: "POST", headers: JSON_TYPE, body: JSON.stringify(op.body) });
    assert.ok([200, 201].includes(r.status) || (op.method === "DELETE" && r.status === 404), `${op.method} ${op.path}: ${r.status} ${r.body}`);
  }

  const seen = new Set<string>();

  /** Every workload's served documents equal a from-scratch compile of the stored config. */
  async function assertServedEqualsFullCompile(label: string): Promise<void> {
    const revision = (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision as number;
    const stored = (await w.request(`/mesh/v1/revisions/${revision}`)).json().items as KubeObject[];
    const config = meshConfig(stored);
    const full = compile(config, buildRegistry(config), revision);
    for (const key of Object.keys(full.workloads)) seen.add(key);
    for (const key of seen) {
      const [ns, name] = key.split("/");
      const snapshot = await w.request(`/mesh/v1/snapshot/${ns}/${name}`);
      const expected = full.workloads[key];
      if (!expected) {
        assert.equal(snapshot.status, 404, `${label}: ${key} is gone from the config but still served`);
        continue;
      }
      assert.equal(snapshot.status, 200, `${label}: ${key}: ${snapshot.body}`);
      assert.equal(snapshot.body, JSON.stringify(expected), `${label}: ${key} snapshot differs from a full compile`);
      const filter = (await w.request(`/mesh/v1/proxy/${ns}/${name}/filter-config`)).json();
      assert.deepEqual({ router: filter.router, authz: filter.authz }, { router: expected.router, authz: expected.authz }, `${label}: ${key} filter-config`);
      assert.equal(filter.version, Number(String(snapshot.headers.etag).replaceAll('"', "")), `${label}: ${key} version and ETag`);
    }
  }

  test("after random write sequences, every proxy is served what a full compile gives", async () => {
    const rand = prng(20261203);
    for (let batch = 0; batch < 8; batch++) {
      // Several writes back to back (one coalesced compile), then a check.
      for (let i = 0; i < 6; i++) await write(randomOp(rand));
      await assertServedEqualsFullCompile(`batch ${batch}`);
    }
    assert.ok(seen.size >= 4, `the sequence made only ${seen.size} workloads`);
    await w.restart();
    await assertServedEqualsFullCompile("after a restart");
  });

  test("a VirtualService change writes the same bytes whatever the number of workloads", async () => {
    const setUp = async (replicas: number): Promise<string> => {
      const ns = `bytes-${replicas}`;
      await write({ method: "PUT", path: `/api/v1/namespaces/${ns}`, body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } });
      for (const app of ["a", "b", "c", "d"]) {
        await write({ method: "PUT", path: `/api/v1/namespaces/${ns}/services/${app}`, body: { apiVersion: "v1", kind: "Service", metadata: { name: app, namespace: ns }, spec: { selector: { app }, ports: [{ port: 8080 }] } } });
        // `replicas` workloads behind each service (distinct Deployments, as a mesh with more pods per service has more proxies).
        for (let r = 0; r < replicas; r++)
          await write({
            method: "PUT",
            path: `/apis/apps/v1/namespaces/${ns}/deployments/${app}-${r}`,
            body: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: `${app}-${r}`, namespace: ns }, spec: { selector: { matchLabels: { app, r: String(r) } }, template: { metadata: { labels: { app, r: String(r) } }, spec: { containers: [{ name: app, image: "app" }] } } } },
          });
      }
      return ns;
    };
    const bytesPerChange = async (ns: string): Promise<number> => {
      const vs = (weight: number): Op => ({
        method: "PUT",
        path: `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/a`,
        body: { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "a", namespace: ns }, spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a" } }], timeout: `${weight}s` }] } },
      });
      await write(vs(1));
      await w.request("/mesh/v1/analyze");
      await write(vs(2));
      await w.request("/mesh/v1/analyze");
      const served = (await w.request("/mesh/v1/served")).json();
      return served.lastCompile.storage.bytes + served.lastCompile.kv.bytes;
    };
    // Both namespaces first, so both changes happen in the same mesh (the same views see them).
    const fewNs = await setUp(1);
    const manyNs = await setUp(8);
    const few = await bytesPerChange(fewNs);
    const many = await bytesPerChange(manyNs);
    assert.ok(few > 0);
    // The namespaces differ only in how many proxies they hold: the change's bytes must not follow.
    assert.ok(many <= few * 1.1, `one VirtualService change wrote ${few} bytes with 4 workloads, ${many} with 32`);
  });
});
