// The endpoint registry in process: registrations bump the EDS version and write; heartbeats
// write nothing; deadlines are persisted in batches; expired pods leave; a burst publishes once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EndpointLimits, EndpointRegistry, type EndpointCaller } from "../../control/store/endpoints.ts";
import type { RegisteredEndpoint } from "../../control/xds/translate/endpoints.ts";
import { FakeKv, FakeSql } from "./fake-sql.ts";

const ENDPOINT_TTL_MS = new EndpointLimits().ttlMs;
const pod = (i: number): RegisteredEndpoint => ({ namespace: "default", workload: "reviews-v1", serviceAccount: "bookinfo-reviews", pod: `reviews-v1-${i}`, ip: `10.0.${i >> 8}.${i & 255}`, ports: { http: 9080 }, labels: { app: "reviews" }, mtls: true });

const reviews: EndpointCaller = { admin: false, namespace: "default", serviceAccount: "bookinfo-reviews" };
const details: EndpointCaller = { admin: false, namespace: "default", serviceAccount: "bookinfo-details" };
const admin: EndpointCaller = { admin: true };

function registry(limits = new EndpointLimits()) {
  const sql = new FakeSql();
  const kv = new FakeKv();
  const wakes: number[] = [];
  const r = new EndpointRegistry(sql as unknown as SqlStorage, kv as unknown as KVNamespace, async (at) => void wakes.push(at), limits);
  return { r, sql, kv, wakes };
}

test("registration writes and moves the EDS version; a heartbeat writes nothing", async () => {
  const { r, sql, kv } = registry();
  const now = Date.now();
  assert.equal(r.register(pod(1), reviews, now), true);
  assert.equal(r.version(), 1);
  const writes = sql.writes;
  for (let i = 0; i < 1000; i++) assert.equal(r.register(pod(1), reviews, now + i), false);
  assert.equal(sql.writes, writes, "heartbeats do not touch storage");
  assert.equal(r.version(), 1);
  // A changed address is a membership change.
  assert.equal(r.register({ ...pod(1), ip: "10.9.9.9" }, reviews, now), true);
  assert.equal(r.version(), 2);
  await r.publish();
  assert.deepEqual(JSON.parse(kv.puts.get("endpoints/2")!).map((e: RegisteredEndpoint) => e.ip), ["10.9.9.9"]);
  assert.equal(r.published(), 2);
});

test("pods that stop heartbeating expire; deadlines are persisted in batches", async () => {
  const { r, sql } = registry();
  const t0 = Date.now();
  r.register(pod(1), reviews, t0);
  r.register(pod(2), reviews, t0);
  await r.sweep(t0 + 1000);
  // pod 1 keeps heartbeating past its first deadline, pod 2 stops.
  r.register(pod(1), reviews, t0 + 61_000);
  const before = sql.writes;
  await r.sweep(t0 + 62_000);
  assert.ok(sql.writes > before, "the moved deadline is persisted by the sweep");
  assert.equal(sql.endpoints.get("default/reviews-v1-1")!.expires_at, t0 + 61_000 + ENDPOINT_TTL_MS);
  await r.sweep(t0 + ENDPOINT_TTL_MS + 1);
  assert.deepEqual(r.list().map((e) => e.pod), ["reviews-v1-1"]);
  assert.equal(sql.endpoints.size, 1);
});

test("after a restart a pod keeps its stored deadline (plus what heartbeats may not have stored yet), never a fresh TTL", async () => {
  const { r, sql, kv } = registry();
  const limits = new EndpointLimits();
  const t0 = Date.now();
  r.register(pod(1), reviews, t0 - 10 * ENDPOINT_TTL_MS);
  r.register(pod(2), reviews, t0);
  // pod 2 heartbeats up to just before its deadline would be persisted, then the object restarts.
  r.register(pod(2), reviews, t0 + limits.persistEveryMs - 1);
  await r.sweep(t0 + limits.persistEveryMs);
  assert.equal(sql.endpoints.get("default/reviews-v1-2")!.expires_at, t0 + ENDPOINT_TTL_MS, "not persisted yet");
  const restarted = () => new EndpointRegistry(sql as unknown as SqlStorage, kv as unknown as KVNamespace, async () => {});
  // The long-silent pod leaves at the first sweep; pod 2 lives as long as its last heartbeat earned.
  await restarted().sweep(t0 + limits.persistEveryMs);
  assert.deepEqual(restarted().list().map((e) => e.pod), ["reviews-v1-2"]);
  await restarted().sweep(t0 + limits.persistEveryMs - 1 + ENDPOINT_TTL_MS - 1);
  assert.deepEqual(restarted().list().map((e) => e.pod), ["reviews-v1-2"]);
  // However often the object restarts, a silent pod is gone once that allowance has passed.
  await restarted().sweep(t0 + ENDPOINT_TTL_MS + limits.unpersistedMs);
  assert.deepEqual(restarted().list(), []);
});

test("a workload registers at most maxPodsPerWorkload live pods; heartbeats, other workloads and expired pods do not count", async () => {
  const { r } = registry(new EndpointLimits(90, 2));
  const t0 = Date.now();
  for (const i of [1, 2]) {
    assert.equal(r.hasRoomFor(pod(i), t0), true);
    r.register(pod(i), reviews, t0);
  }
  assert.equal(r.hasRoomFor(pod(3), t0), false);
  assert.equal(r.hasRoomFor(pod(1), t0), true, "a registered pod heartbeats");
  assert.equal(r.hasRoomFor({ ...pod(3), workload: "reviews-v2" }, t0), true);
  assert.equal(r.hasRoomFor(pod(3), t0 + ENDPOINT_TTL_MS), true, "expired pods leave room before the sweep");
  r.deregister("default", "reviews-v1-1", reviews);
  assert.equal(r.hasRoomFor(pod(3), t0), true);
});

test("a pod belongs to the workload and service account that registered it while it lives", () => {
  const { r } = registry();
  const t0 = Date.now();
  assert.equal(r.register(pod(1), reviews, t0), true);
  // Another workload's token cannot move the pod into its own workload...
  const moved = { ...pod(1), workload: "details-v1", serviceAccount: "bookinfo-details", labels: { app: "details" } };
  assert.match(String(r.register(moved, details, t0)), /pod reviews-v1-1 is registered to workload default\/reviews-v1 \(service account bookinfo-reviews\)/);
  // ...nor can a workload with the same service account, nor can it remove the pod.
  assert.equal(typeof r.register({ ...pod(1), workload: "reviews-v2" }, reviews, t0), "string");
  assert.match(String(r.deregister("default", "reviews-v1-1", details)), /belongs to workload default\/reviews-v1 \(service account bookinfo-reviews\); this token runs as default\/bookinfo-details/);
  assert.match(String(r.deregister("default", "reviews-v1-1", { admin: false, namespace: "other", serviceAccount: "bookinfo-reviews" })), /namespace default/);
  assert.deepEqual(r.list().map((e) => [e.pod, e.workload]), [["reviews-v1-1", "reviews-v1"]]);
  // The owner heartbeats and removes it; the admin may do anything.
  assert.equal(r.register(pod(1), reviews, t0 + 1000), false);
  assert.equal(r.register(moved, admin, t0), true);
  assert.equal(r.deregister("default", "reviews-v1-1", reviews), "pod reviews-v1-1 belongs to workload default/details-v1 (service account bookinfo-details); this token runs as default/bookinfo-reviews");
  assert.equal(r.deregister("default", "reviews-v1-1", details), true);
  assert.equal(r.deregister("default", "reviews-v1-1", details), false);
  // A registration that expired (not yet swept) frees the name.
  r.register(pod(2), reviews, t0);
  assert.equal(r.register({ ...pod(2), workload: "details-v1", serviceAccount: "bookinfo-details" }, details, t0 + ENDPOINT_TTL_MS), true);
});

test("a live pod is ready until it misses a heartbeat, and listed until it expires", () => {
  const { r } = registry();
  const t0 = Date.now();
  r.register(pod(1), reviews, t0);
  r.register(pod(1), reviews, t0 + 20_000); // a heartbeat: the pod keeps its registration time
  const [live] = r.livePods(t0 + 20_001);
  assert.equal(live.registeredAt, t0);
  assert.equal(live.lastSeen, t0 + 20_000);
  assert.equal(live.readyUntil, t0 + 20_000 + 45_000);
  assert.equal(r.livePods(t0 + 20_000 + ENDPOINT_TTL_MS - 1).length, 1);
  assert.equal(r.livePods(t0 + 20_000 + ENDPOINT_TTL_MS).length, 0);
});
