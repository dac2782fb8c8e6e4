// Proxy status as `istioctl proxy-status` shows it, through the real Worker (wrangler dev), real
// dev proxies running the real router.wasm/authz.wasm, REST xDS as Envoy sends it, and the real
// kubectl: every proxy SYNCED once a change has propagated; a proxy cut off from the control plane
// (its connection held) STALE while the others move on; a registered pod that never fetched NOT
// SENT; a NACKed LDS version ERROR with Envoy's message; the held proxy SYNCED again once let go.
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DevProxy, LocalDevCa, StaticEndpoints } from "../../local/devproxy/index.ts";
import { PROJECT_ROOT } from "../../local/wrangler-dev.ts";
import { ensureFiltersBuilt } from "../wasmhost/support.ts";
import { freePort } from "../../local/free-port.ts";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

const POLL_MS = 300;

interface ProxyStatus {
  name: string;
  pod: string;
  workload: string;
  registered: boolean;
  current?: number;
  state: string;
  types: Record<"CDS" | "LDS" | "EDS" | "RDS" | "ECDS", { state: string }>;
  channels: { channel: string; held: string; sent: string; nack?: string; state: string; at: number }[];
}

/** A TCP relay to the control plane that can be held: held, it drops every connection (the proxy is cut off). */
class Relay {
  held = false;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: number): Promise<Relay> {
    const port = await freePort();
    let relay: Relay;
    const server = createServer((client) => {
      if (relay.held) return client.destroy();
      const upstream = connect(target, "127.0.0.1");
      for (const s of [client, upstream]) {
        relay.sockets.add(s);
        s.on("close", () => relay.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    relay = new Relay(server, port);
    return relay;
  }

  hold(): void {
    this.held = true;
    for (const s of this.sockets) s.destroy();
  }

  release(): void {
    this.held = false;
  }

  close(): Promise<void> {
    this.hold();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let w: TestWorker;
let relay: Relay;
const proxies: DevProxy[] = [];
const PODS = { productpage: "productpage-v1-6b7f8c9d4-p2x7k", details: "details-v1-5f8c9d7b6d-q2x9z", reviews: "reviews-v1-7d9c8b6f5-r4n8m" };

async function startProxy(workload: string, serviceAccount: string, pod: string, url: string, ca: LocalDevCa): Promise<DevProxy> {
  const proxy = await DevProxy.start({
    mode: "sidecar",
    namespace: "default",
    workload,
    pod,
    serviceAccount,
    controlPlane: { url, ca: w.ca, token: await w.workloadToken("default", serviceAccount) },
    wasmDir: join(PROJECT_ROOT, "build"),
    pollMs: POLL_MS,
    endpoints: new StaticEndpoints(() => []),
    fallbackCa: ca,
    app: { host: "127.0.0.1", port: await freePort() },
    inbound: { host: "127.0.0.1", port: 0 },
    outbound: { host: "127.0.0.1", port: 0 },
  });
  proxies.push(proxy);
  return proxy;
}

async function proxyStatus(): Promise<{ publishedRevision: number; items: ProxyStatus[] }> {
  const r = await w.request("/mesh/v1/proxy-status");
  assert.equal(r.status, 200, r.body);
  return r.json();
}

/** Polls proxy status until `done` holds for it (or fails with the last status seen). */
async function statusUntil(what: string, done: (byPod: Map<string, ProxyStatus>) => boolean, timeoutMs = 30_000): Promise<Map<string, ProxyStatus>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const byPod = new Map((await proxyStatus()).items.map((p) => [p.pod, p]));
    if (done(byPod)) return byPod;
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms; proxy status: ${JSON.stringify([...byPod.values()], null, 1)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `kubectl get pods -o wide`: pod name → the PROXY column. */
async function proxyColumn(): Promise<Map<string, string>> {
  const r = await w.kubectl(["get", "pods", "-o", "wide"]);
  assert.equal(r.code, 0, r.stderr);
  const [header, ...rows] = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s{2,}/));
  assert.equal(header.at(-1), "PROXY", header.join(" | "));
  return new Map(rows.map((row) => [row[0], row.at(-1)!]));
}

const synced = (p: ProxyStatus | undefined) => p?.state === "SYNCED";

before(async () => {
  ensureFiltersBuilt();
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`);
  const ca = await LocalDevCa.create();
  relay = await Relay.start(Number(new URL(w.url).port));
  await startProxy("productpage-v1", "bookinfo-productpage", PODS.productpage, w.url, ca);
  await startProxy("details-v1", "bookinfo-details", PODS.details, w.url, ca);
  // This one reaches the control plane through the relay, so the test can cut it off.
  await startProxy("reviews-v1", "bookinfo-reviews", PODS.reviews, `https://127.0.0.1:${relay.port}`, ca);
});

after(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await relay?.close();
  await w?.stop();
});

describe("proxy status (istioctl proxy-status)", () => {
  let initial: Map<string, ProxyStatus>;

  test("once config has propagated every proxy is SYNCED: CDS/LDS from its snapshot poll, ECDS from both filters", async () => {
    initial = await statusUntil("every dev proxy SYNCED", (s) => Object.values(PODS).every((pod) => synced(s.get(pod))));
    for (const pod of Object.values(PODS)) {
      const p = initial.get(pod)!;
      assert.equal(p.name, `${pod}.default`);
      assert.equal(p.registered, true);
      assert.deepEqual(
        Object.fromEntries(Object.entries(p.types).map(([t, s]) => [t, s.state])),
        // The dev proxy takes routes through the router filter and endpoints locally: no RDS/EDS polls.
        { CDS: "SYNCED", LDS: "SYNCED", EDS: "NOT SENT", RDS: "NOT SENT", ECDS: "SYNCED" },
      );
      assert.deepEqual(p.channels.map((c) => c.channel).sort(), ["authz", "router", "snapshot"]);
      for (const c of p.channels) assert.equal(Number(c.held), p.current, JSON.stringify(c));
    }
    const column = await proxyColumn();
    for (const pod of Object.values(PODS)) assert.equal(column.get(pod), "SYNCED");
    // Polls that change nothing write nothing: over ~5 polls per channel no channel's record moved.
    await new Promise((r) => setTimeout(r, POLL_MS * 5));
    const later = new Map((await proxyStatus()).items.map((p) => [p.pod, p]));
    for (const pod of Object.values(PODS)) assert.deepEqual(later.get(pod)!.channels, initial.get(pod)!.channels);
  });

  test("a proxy held back is STALE while the others take the change and are SYNCED", async () => {
    relay.hold();
    await w.apply(`${SAMPLES}bookinfo/networking/destination-rule-all.yaml`, `${SAMPLES}bookinfo/networking/virtual-service-all-v1.yaml`);
    const after = await statusUntil(
      "productpage and details SYNCED at a newer version",
      (s) => [PODS.productpage, PODS.details].every((pod) => synced(s.get(pod)) && s.get(pod)!.current! > initial.get(pod)!.current!),
    );
    const reviews = after.get(PODS.reviews)!;
    assert.ok(reviews.current! > initial.get(PODS.reviews)!.current!, "the change moves reviews-v1's config too");
    assert.equal(reviews.state, "STALE");
    assert.deepEqual([reviews.types.CDS.state, reviews.types.LDS.state, reviews.types.ECDS.state], ["STALE", "STALE", "STALE"]);
    for (const c of reviews.channels) assert.equal(c.held, String(initial.get(PODS.reviews)!.current), JSON.stringify(c));
    const column = await proxyColumn();
    assert.deepEqual([column.get(PODS.productpage), column.get(PODS.details), column.get(PODS.reviews)], ["SYNCED", "SYNCED", "STALE"]);
    const pod = JSON.parse((await w.kubectl(["get", "pod", PODS.reviews, "-o", "json"])).stdout);
    const condition = pod.status.conditions.find((c: { type: string }) => c.type === "ProxySynced");
    assert.deepEqual([condition.status, condition.reason], ["False", "Stale"]);
    assert.match(condition.message, /^CDS STALE, LDS STALE, EDS NOT SENT, RDS NOT SENT, ECDS STALE$/);
  });

  test("a registered pod whose proxy never fetched is NOT SENT", async () => {
    const token = await w.workloadToken("default", "bookinfo-ratings");
    const r = await w.request("/mesh/v1/proxy/default/ratings-v1/endpoints/ratings-v1-8c6b7d5f4-t5k2w", {
      method: "PUT",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ip: "10.1.0.9", ports: { http: 9080 } }),
    });
    assert.ok(r.status === 200 || r.status === 201, r.body);
    const s = (await proxyStatus()).items.find((p) => p.pod === "ratings-v1-8c6b7d5f4-t5k2w")!;
    assert.equal(s.state, "NOT SENT");
    assert.deepEqual(Object.values(s.types).map((t) => t.state), ["NOT SENT", "NOT SENT", "NOT SENT", "NOT SENT", "NOT SENT"]);
    assert.equal((await proxyColumn()).get("ratings-v1-8c6b7d5f4-t5k2w"), "NOT SENT");
  });

  test("Envoy's REST xDS: a NACKed LDS version is ERROR with Envoy's message; the ACK of it is SYNCED", async () => {
    const token = await w.workloadToken("default", "bookinfo-ratings");
    const pod = "ratings-v1-8c6b7d5f4-t5k2w";
    const node = {
      id: `sidecar~10.1.0.9~${pod}.default~default.svc.cluster.local`,
      metadata: { NAMESPACE: "default", WORKLOAD_NAME: "ratings-v1", SERVICE_ACCOUNT: "bookinfo-ratings", EDGE_MESH_TOKEN: token },
    };
    const lds = (body: object) => w.request("/v3/discovery:listeners", { method: "POST", token: null, headers: { "content-type": "application/json" }, body: JSON.stringify({ node, resource_names: [], ...body }) });
    const first = await lds({ version_info: "" });
    assert.equal(first.status, 200, first.body);
    const version = first.json().version_info as string;
    const message = "Error adding/updating listener(s) virtualInbound: unknown field in filter config";
    const nack = await lds({ version_info: "", response_nonce: version, error_detail: { code: 3, message } });
    assert.equal(nack.status, 200, nack.body);
    const error = await statusUntil("LDS ERROR for the NACK", (s) => s.get(pod)?.types.LDS.state === "ERROR");
    assert.equal(error.get(pod)!.state, "ERROR");
    assert.equal(error.get(pod)!.channels.find((c) => c.channel === "listeners")!.nack, message);
    assert.equal((await proxyColumn()).get(pod), "ERROR");
    const described = await w.kubectl(["describe", "pod", pod]);
    assert.match(described.stdout, /ProxySynced\s+False/);
    assert.equal((await lds({ version_info: version, response_nonce: version })).status, 304);
    const acked = await statusUntil("LDS SYNCED after the ACK", (s) => s.get(pod)?.types.LDS.state === "SYNCED");
    assert.equal(acked.get(pod)!.state, "SYNCED", "the types it never asked for stay NOT SENT and do not count");
  });

  test("the held proxy, let go, catches up and is SYNCED", async () => {
    relay.release();
    await statusUntil("reviews SYNCED again", (s) => synced(s.get(PODS.reviews)));
  });

  test("another workload's proxy cannot report for a registered pod by naming it", async () => {
    const token = await w.workloadToken("default", "bookinfo-details");
    // details' token, details' config, productpage's pod in the node id: an LDS poll holding nothing.
    const node = {
      id: `sidecar~127.0.0.1~${PODS.productpage}.default~default.svc.cluster.local`,
      metadata: { NAMESPACE: "default", WORKLOAD_NAME: "details-v1", SERVICE_ACCOUNT: "bookinfo-details", EDGE_MESH_TOKEN: token },
    };
    const spoof = await w.request("/v3/discovery:listeners", { method: "POST", token: null, headers: { "content-type": "application/json" }, body: JSON.stringify({ node, version_info: "" }) });
    assert.equal(spoof.status, 200, spoof.body);
    await new Promise((r) => setTimeout(r, 1000));
    const productpage = (await proxyStatus()).items.find((p) => p.pod === PODS.productpage)!;
    assert.equal(productpage.state, "SYNCED", JSON.stringify(productpage.channels));
    assert.deepEqual(productpage.channels.map((c) => c.channel).sort(), ["authz", "router", "snapshot"]);
  });

  test("a read token may see proxy status; no token may not", async () => {
    const read = await w.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(read.status, 201, read.body);
    assert.equal((await w.request("/mesh/v1/proxy-status", { token: read.json().token })).status, 200);
    assert.equal((await w.request("/mesh/v1/proxy-status", { token: null })).status, 401);
    const bad = await w.request("/mesh/v1/proxy-status?namespace=Not_A_Namespace");
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /namespace/);
  });
});
