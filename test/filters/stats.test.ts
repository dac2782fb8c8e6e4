// The stats filter (build/stats.wasm) in control/wasmhost: the metadata exchange headers it sends
// and takes off, the label set it encodes in each metric name for the attributes Envoy gives it at
// log time, the values it records, and how it refuses a bad configuration. Names are read back
// through control/stats/stat-tags.ts, the tag extraction the bootstrap gives Envoy.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { extractTags, ISTIO_LABELS } from "../../control/stats/stat-tags.ts";
import { type Metric, type PropertyTree, ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { envoyProtos } from "../xds/envoy-proto.ts";
import { filterModule } from "../wasmhost/support.ts";

const NODE = (workload: string, app: string, version: string): PropertyTree => ({
  xds: {
    node: {
      id: `sidecar~10.0.0.1~${workload}-abc.default~default.svc.cluster.local`,
      metadata: { NAMESPACE: "default", WORKLOAD_NAME: workload, CLUSTER_ID: "Kubernetes", LABELS: { app, version } },
    },
  },
});

async function statsHost(direction: string, node: PropertyTree = NODE("productpage-v1", "productpage", "v1")): Promise<ProxyWasmHost> {
  return ProxyWasmHost.load(filterModule("stats"), { pluginConfig: JSON.stringify({ direction }), properties: node, rootId: `stats_${direction}` });
}

const REVIEWS_ID = "sidecar~10.0.0.2~reviews-v3-xyz.default~default.svc.cluster.local";

/** The metadata header a reviews-v3 sidecar sends (taken from a reviews-v3 filter itself). */
async function reviewsMetadata(): Promise<string> {
  const reviews = await statsHost("inbound", NODE("reviews-v3", "reviews", "v3"));
  const s = reviews.newStream();
  s.requestHeaders({ ":authority": "reviews:9080", ":path": "/" });
  s.responseHeaders({ ":status": "200" });
  return s.response.get("x-envoy-peer-metadata")!;
}

interface Exchange {
  request?: Record<string, string>;
  response?: Record<string, string>;
  /** Attributes Envoy has at log time. */
  log?: PropertyTree;
  connection?: PropertyTree;
}

function run(host: ProxyWasmHost, x: Exchange = {}) {
  const properties: PropertyTree = { ...(x.connection ?? {}) };
  const s = host.newStream({ properties });
  s.requestHeaders({ ":method": "GET", ":authority": "reviews:9080", ":path": "/reviews/0?u=jason", ...x.request });
  s.responseHeaders({ ":status": "200", ...x.response });
  Object.assign(properties, x.log ?? {});
  s.done();
  return s;
}

function labelsOf(m: Metric): Record<string, string> {
  return Object.fromEntries(extractTags(`wasmcustom.${m.name}`).labels);
}

function requests(host: ProxyWasmHost): { labels: Record<string, string>; value: bigint }[] {
  return host
    .metrics()
    .filter((m) => m.name.endsWith("istio_requests_total"))
    .map((m) => ({ labels: labelsOf(m), value: m.value }));
}

const OUTBOUND_LOG: PropertyTree = {
  xds: { cluster_name: "outbound|9080|v3|reviews.default.svc.cluster.local" },
  upstream: { uri_san_local_certificate: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", uri_san_peer_certificate: "spiffe://cluster.local/ns/default/sa/bookinfo-reviews" },
  request: { duration: 12_300_000n, total_size: 180 },
  response: { total_size: 950, flags: 0 },
};

describe("metadata exchange", () => {
  test("outbound: the node goes out on the request as a google.protobuf.Struct; the peer's comes off the response", async () => {
    const host = await statsHost("outbound");
    const md = await reviewsMetadata();
    const s = run(host, { request: { "x-envoy-peer-metadata": "forged", "x-envoy-peer-metadata-id": "forged" }, response: { "x-envoy-peer-metadata-id": REVIEWS_ID, "x-envoy-peer-metadata": md }, log: OUTBOUND_LOG });
    assert.equal(s.request.get("x-envoy-peer-metadata-id"), "sidecar~10.0.0.1~productpage-v1-abc.default~default.svc.cluster.local");
    const struct = envoyProtos().lookupType("google.protobuf.Struct");
    const sent = struct.toObject(struct.decode(Buffer.from(s.request.get("x-envoy-peer-metadata")!, "base64")));
    assert.deepEqual(sent, {
      fields: {
        CLUSTER_ID: { stringValue: "Kubernetes" },
        LABELS: { structValue: { fields: { app: { stringValue: "productpage" }, version: { stringValue: "v1" } } } },
        NAMESPACE: { stringValue: "default" },
        WORKLOAD_NAME: { stringValue: "productpage-v1" },
      },
    });
    assert.equal(s.response.get("x-envoy-peer-metadata"), undefined, "the app never sees the peer's metadata");
    assert.equal(s.response.get("x-envoy-peer-metadata-id"), undefined);
  });

  test("a Struct encoded by protobufjs (as Envoy's protobuf would) is read the same", async () => {
    const struct = envoyProtos().lookupType("google.protobuf.Struct");
    const bytes = struct.encode(
      struct.fromObject({
        fields: {
          PLATFORM_METADATA: { structValue: { fields: { region: { stringValue: "x" } } } },
          NAMESPACE: { stringValue: "bookinfo" },
          LABELS: { structValue: { fields: { version: { stringValue: "v9" }, "security.istio.io/tlsMode": { stringValue: "istio" }, app: { stringValue: "ratings" } } } },
          WORKLOAD_NAME: { stringValue: "ratings-v9" },
          APP_CONTAINERS: { listValue: { values: [{ stringValue: "ratings" }] } },
          INTERCEPTION_MODE: { numberValue: 1 },
          CLUSTER_ID: { stringValue: "east" },
        },
      }),
    ).finish();
    const host = await statsHost("outbound");
    run(host, { response: { "x-envoy-peer-metadata-id": "ratings-1", "x-envoy-peer-metadata": Buffer.from(bytes).toString("base64") }, log: OUTBOUND_LOG });
    const [r] = requests(host);
    assert.deepEqual(
      [r.labels.destination_workload, r.labels.destination_workload_namespace, r.labels.destination_app, r.labels.destination_version, r.labels.destination_cluster],
      ["ratings-v9", "bookinfo", "ratings", "v9", "east"],
    );
  });

  test("inbound: the peer comes off the request, the node goes out on the response", async () => {
    const host = await statsHost("inbound", NODE("reviews-v3", "reviews", "v3"));
    const client = await statsHost("outbound");
    const out = run(client);
    const s = run(host, {
      request: { "x-envoy-peer-metadata-id": out.request.get("x-envoy-peer-metadata-id")!, "x-envoy-peer-metadata": out.request.get("x-envoy-peer-metadata")! },
      connection: { connection: { mtls: true, uri_san_peer_certificate: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", uri_san_local_certificate: "spiffe://cluster.local/ns/default/sa/bookinfo-reviews" } },
    });
    assert.equal(s.request.get("x-envoy-peer-metadata"), undefined, "the app never sees the peer's metadata");
    assert.match(s.response.get("x-envoy-peer-metadata-id")!, /^sidecar~10\.0\.0\.1~reviews-v3-abc\./);
    const [r] = requests(host);
    assert.equal(r.labels.reporter, "destination");
    assert.equal(r.labels.source_workload, "productpage-v1");
    assert.equal(r.labels.source_app, "productpage");
    assert.equal(r.labels.source_principal, "spiffe://cluster.local/ns/default/sa/bookinfo-productpage");
    assert.equal(r.labels.destination_principal, "spiffe://cluster.local/ns/default/sa/bookinfo-reviews");
    assert.equal(r.labels.connection_security_policy, "mutual_tls");
    // No cluster host on inbound|9080||: the :authority, qualified where the client resolved it.
    assert.equal(r.labels.destination_service, "reviews.default.svc.cluster.local");
    assert.equal(r.labels.destination_service_name, "reviews");
  });

  test("inbound: the destination service from the inbound cluster's metadata (istio.services[0]), not the :authority", async () => {
    const host = await statsHost("inbound", NODE("productpage-v1", "productpage", "v1"));
    const services = (...names: string[]) => names.map((name) => ({ host: `${name}.default.svc.cluster.local`, name, namespace: "default" }));
    const inbound = (metadata?: PropertyTree[]): PropertyTree => ({ xds: { cluster_name: "inbound|9080||", ...(metadata ? { cluster_metadata: { filter_metadata: { istio: { services: metadata } } } } : {}) } });
    // The gateway calls productpage by its address: the Host names no service.
    const request = { ":authority": "127.0.0.1:9080" };
    run(host, { request, log: inbound(services("productpage", "productpage-v1")) });
    run(host, { request, log: inbound(services("productpage-v1")) });
    run(host, { request, log: inbound() });
    const byService = requests(host).map((r) => [r.labels.destination_service, r.labels.destination_service_name, r.labels.destination_service_namespace, r.value]);
    assert.deepEqual(byService.sort(), [
      ["127.0.0.1", "127.0.0.1", "default", 1n],
      ["productpage-v1.default.svc.cluster.local", "productpage-v1", "default", 1n],
      ["productpage.default.svc.cluster.local", "productpage", "default", 1n],
    ]);
    assert.equal(host.failure, undefined);
  });

  test("streams open at the same time each keep the peer they learned until they end", async () => {
    const host = await statsHost("inbound", NODE("ratings-v1", "ratings", "v1"));
    const client = run(await statsHost("outbound"));
    const peers: Record<string, string>[] = [
      { "x-envoy-peer-metadata-id": client.request.get("x-envoy-peer-metadata-id")!, "x-envoy-peer-metadata": client.request.get("x-envoy-peer-metadata")! },
      { "x-envoy-peer-metadata-id": REVIEWS_ID, "x-envoy-peer-metadata": await reviewsMetadata() },
      {},
    ];
    const streams = peers.map((peer) => {
      const s = host.newStream();
      s.requestHeaders({ ":authority": "ratings:9080", ":path": "/ratings/0", ...peer });
      return s;
    });
    for (const i of [0, 2, 1]) {
      streams[i].responseHeaders({ ":status": "200" });
      streams[i].done();
    }
    assert.deepEqual(requests(host).map((r) => [r.labels.source_workload, r.value]).sort(), [["productpage-v1", 1n], ["reviews-v3", 1n], ["unknown", 1n]]);
  });

  test("garbage metadata is ignored (labels unknown), never a trap", async () => {
    const host = await statsHost("inbound");
    for (const md of ["!!!", "", "AAAA", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).toString("base64")]) run(host, { request: { "x-envoy-peer-metadata-id": `id-${md}`, "x-envoy-peer-metadata": md } });
    assert.equal(host.failure, undefined);
    const rs = requests(host);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].value, 4n);
    assert.equal(rs[0].labels.source_workload, "unknown");
    assert.equal(rs[0].labels.connection_security_policy, "none");
  });
});

describe("labels and values", () => {
  test("every standard label, in Istio's order, unknown where nothing says", async () => {
    const host = await statsHost("outbound");
    run(host);
    const [m] = host.metrics().filter((x) => x.name.endsWith("istio_requests_total"));
    assert.deepEqual(extractTags(`wasmcustom.${m.name}`).labels.map(([k]) => k), [...ISTIO_LABELS]);
    assert.deepEqual(labelsOf(m), {
      reporter: "source",
      source_workload: "productpage-v1",
      source_workload_namespace: "default",
      source_principal: "unknown",
      source_app: "productpage",
      source_version: "v1",
      source_cluster: "Kubernetes",
      destination_workload: "unknown",
      destination_workload_namespace: "unknown",
      destination_principal: "unknown",
      destination_app: "unknown",
      destination_version: "unknown",
      destination_service: "reviews.default.svc.cluster.local",
      // istio/proxy extractServiceName: without the destination's namespace, the whole host.
      destination_service_name: "reviews.default.svc.cluster.local",
      destination_service_namespace: "unknown",
      destination_cluster: "unknown",
      request_protocol: "http",
      response_flags: "-",
      connection_security_policy: "unknown",
      response_code: "200",
      grpc_response_status: "",
    });
  });

  test("the cluster names the service; durations, sizes in the histograms; one series per label set", async () => {
    const host = await statsHost("outbound");
    for (let i = 0; i < 3; i++) run(host, { log: OUTBOUND_LOG });
    run(host, { response: { ":status": "503" }, log: { ...OUTBOUND_LOG, response: { total_size: 10, flags: 0x2 | 0x100 } } });
    const rs = requests(host);
    assert.deepEqual(
      rs.map((r) => [r.labels.response_code, r.labels.response_flags, r.value]),
      [
        ["200", "-", 3n],
        ["503", "UH,NR", 1n],
      ],
    );
    assert.equal(rs[0].labels.destination_service, "reviews.default.svc.cluster.local");
    assert.equal(rs[0].labels.source_principal, "spiffe://cluster.local/ns/default/sa/bookinfo-productpage");
    const hist = (suffix: string) => host.metrics().find((m) => m.name.endsWith(suffix) && labelsOf(m).response_code === "200")!.histogram!;
    assert.deepEqual([hist("istio_request_duration_milliseconds").count, hist("istio_request_duration_milliseconds").sum], [3, 36]);
    const le = hist("istio_request_duration_milliseconds").cumulative();
    assert.deepEqual([le[3], le[4]], [0, 3], "12 ms: not in le=10, in le=25");
    assert.equal(hist("istio_request_bytes").sum, 540);
    assert.equal(hist("istio_response_bytes").sum, 2850);
  });

  test("gRPC: request_protocol grpc and the grpc status", async () => {
    const host = await statsHost("outbound");
    run(host, { request: { "content-type": "application/grpc+proto" }, log: { ...OUTBOUND_LOG, response: { grpc_status: 14, total_size: 1, flags: 0 } } });
    const [r] = requests(host);
    assert.deepEqual([r.labels.request_protocol, r.labels.grpc_response_status], ["grpc", "14"]);
  });

  test("no path, query or header value reaches a label", async () => {
    const host = await statsHost("outbound");
    for (let i = 0; i < 50; i++) run(host, { request: { ":path": `/u/${i}?q=${i}`, "x-user": `user${i}`, cookie: `s=${i}` }, log: OUTBOUND_LOG });
    assert.equal(requests(host).length, 1);
    assert.equal(host.metrics().length, 4, "four metrics for the one label set");
  });
});

test("a configuration without a direction fails the plugin, with the reason logged", async () => {
  for (const config of ["", "{}", '{"direction":"sideways"}', "not json"]) {
    const host = await ProxyWasmHost.load(filterModule("stats"), { pluginConfig: config, properties: NODE("a", "a", "v1") });
    assert.ok(host.failure, `config ${JSON.stringify(config)} must fail the plugin`);
    assert.ok(host.logs.some((l) => l.level === "error"), JSON.stringify(host.logs));
  }
});
