// The stats filter's caches under a flood of distinct peers: the metadata exchange header comes
// from the client, so anyone reaching an inbound listener can make up a new peer (and with it a
// new label set) on every request. The VM's memory must level off at the caches' bounds, and no
// count may be lost when a cache starts over.
import assert from "node:assert/strict";
import { test } from "node:test";
import { extractTags } from "../../control/stats/stat-tags.ts";
import { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { envoyProtos } from "../xds/envoy-proto.ts";
import { filterModule } from "../wasmhost/support.ts";

/** The x-envoy-peer-metadata a sidecar of workload `workload` sends. */
function metadata(workload: string): string {
  const struct = envoyProtos().lookupType("google.protobuf.Struct");
  const fields = { NAMESPACE: { stringValue: "flood" }, WORKLOAD_NAME: { stringValue: workload } };
  return Buffer.from(struct.encode(struct.fromObject({ fields })).finish()).toString("base64");
}

test("a flood of distinct peers levels off in memory, and a peer seen again still counts in its series", async () => {
  const host = await ProxyWasmHost.load(filterModule("stats"), {
    pluginConfig: JSON.stringify({ direction: "inbound" }),
    properties: { xds: { node: { id: "sidecar~10.0.0.2~reviews-v1-xyz.default~default.svc.cluster.local", metadata: { NAMESPACE: "default", WORKLOAD_NAME: "reviews-v1" } } } },
    trace: false,
  });
  const send = (peer: number) => {
    const s = host.newStream();
    s.requestHeaders({ ":authority": "reviews:9080", ":path": "/", "x-envoy-peer-metadata-id": `peer-${peer}`, "x-envoy-peer-metadata": metadata(`flood-${peer}`) });
    s.responseHeaders({ ":status": "200" });
    s.done();
  };
  // Past both caches' bounds (1024 peers, 1024 label sets) twice over, then four times as many.
  for (let i = 0; i < 2048; i++) send(i);
  const levelled = host.memoryBytes;
  for (let i = 2048; i < 8192; i++) send(i);
  assert.equal(host.failure, undefined);
  assert.equal(host.memoryBytes, levelled, `guest memory ${levelled / 1024} KB after 2048 peers, ${host.memoryBytes / 1024} KB after 8192`);
  assert.ok(levelled <= 8 * 1024 * 1024, `guest memory ${levelled / 1024} KB`);

  send(0); // long since dropped from both caches
  const first = host.metrics().filter((m) => m.name.endsWith("istio_requests_total") && new Map(extractTags(`wasmcustom.${m.name}`).labels).get("source_workload") === "flood-0");
  assert.deepEqual(first.map((m) => m.value), [2n], "one series for flood-0, counted twice");
  assert.equal(host.metrics().length, 4 * 8192, "four metrics per peer's label set");
});
