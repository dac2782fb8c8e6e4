// The endpoint registry in process: registrations bump the EDS version and write; heartbeats
// write nothing; deadlines are persisted in batches; expired pods leave; a burst publishes once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ENDPOINT_TTL_MS, EndpointRegistry } from "../../control/store/endpoints.ts";
import type { RegisteredEndpoint } from "../../control/xds/translate/endpoints.ts";
import { FakeKv, FakeSql } from "./fake-sql.ts";

const pod = (i: number): RegisteredEndpoint => ({ namespace: "default", workload: "reviews-v1", pod: `reviews-v1-${i}`, ip: `10.0.${i >> 8}.${i & 255}`, ports: { http: 9080 }, labels: { app: "reviews" }, mtls: true });

function registry() {
  const sql = new FakeSql();
  const kv = new FakeKv();
  const wakes: number[] = [];
  const r = new EndpointRegistry(sql as unknown as SqlStorage, kv as unknown as KVNamespace, async (at) => void wakes.push(at));
  return { r, sql, kv, wakes };
}

test("registration writes and moves the EDS version; a heartbeat writes nothing", async () => {
  const { r, sql, kv } = registry();
  const now = Date.now();
  assert.equal(r.register(pod(1), now), true);
  assert.equal(r.version(), 1);
  const writes = sql.writes;
  for (let i = 0; i < 1000; i++) assert.equal(r.register(pod(1), now + i), false);
  assert.equal(sql.writes, writes, "heartbeats do not touch storage");
  assert.equal(r.version(), 1);
  // A changed address is a membership change.
  assert.equal(r.register({ ...pod(1), ip: "10.9.9.9" }, now), true);
  assert.equal(r.version(), 2);
  await r.publish();
  assert.deepEqual(JSON.parse(kv.puts.get("endpoints/2")!).map((e: RegisteredEndpoint) => e.ip), ["10.9.9.9"]);
  assert.equal(r.published(), 2);
});

test("pods that stop heartbeating expire; deadlines are persisted in batches", async () => {
  const { r, sql } = registry();
  const t0 = Date.now();
  r.register(pod(1), t0);
  r.register(pod(2), t0);
  await r.sweep(t0 + 1000);
  // pod 1 keeps heartbeating past its first deadline, pod 2 stops.
  r.register(pod(1), t0 + 61_000);
  const before = sql.writes;
  await r.sweep(t0 + 62_000);
  assert.ok(sql.writes > before, "the moved deadline is persisted by the sweep");
  assert.equal(sql.endpoints.get("default/reviews-v1-1")!.expires_at, t0 + 61_000 + ENDPOINT_TTL_MS);
  await r.sweep(t0 + ENDPOINT_TTL_MS + 1);
  assert.deepEqual(r.list().map((e) => e.pod), ["reviews-v1-1"]);
  assert.equal(sql.endpoints.size, 1);
});

test("after a restart every stored pod gets one TTL to heartbeat", () => {
  const { r, sql, kv } = registry();
  const old = Date.now() - 10 * ENDPOINT_TTL_MS;
  r.register(pod(1), old);
  const restarted = new EndpointRegistry(sql as unknown as SqlStorage, kv as unknown as KVNamespace, async () => {});
  assert.deepEqual(restarted.list().map((e) => e.pod), ["reviews-v1-1"]);
});

test("a live pod is ready until it misses a heartbeat, and listed until it expires", () => {
  const { r } = registry();
  const t0 = Date.now();
  r.register(pod(1), t0);
  r.register(pod(1), t0 + 20_000); // a heartbeat: the pod keeps its registration time
  const [live] = r.livePods(t0 + 20_001);
  assert.equal(live.registeredAt, t0);
  assert.equal(live.lastSeen, t0 + 20_000);
  assert.equal(live.readyUntil, t0 + 20_000 + 45_000);
  assert.equal(r.livePods(t0 + 20_000 + ENDPOINT_TTL_MS - 1).length, 1);
  assert.equal(r.livePods(t0 + 20_000 + ENDPOINT_TTL_MS).length, 0);
});
