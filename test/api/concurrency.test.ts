// Concurrent writers never lose an update: the ConfigStore serialises writes and checks
// resourceVersion, so racing updates from one version yield one winner and 409s for the rest.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

const DR_PATH = "/apis/networking.istio.io/v1/namespaces/default/destinationrules";
const dr = (labels: Record<string, string> = {}) => ({
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: "reviews", labels },
  spec: { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }] },
});

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
  const created = await w.request(DR_PATH, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(dr()) });
  assert.equal(created.status, 201, created.body);
});
after(async () => {
  await w?.stop();
});

test("20 concurrent updates from one resourceVersion: exactly one wins, 19 get 409", async () => {
  const current = (await w.request(`${DR_PATH}/reviews`)).json();
  const rv = current.metadata.resourceVersion;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => {
      const body = dr({ writer: `w${i}` });
      (body.metadata as Record<string, unknown>).resourceVersion = rv;
      return w.request(`${DR_PATH}/reviews`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    }),
  );
  const codes = results.map((r) => r.status);
  assert.equal(codes.filter((c) => c === 200).length, 1, `codes: ${codes}`);
  assert.equal(codes.filter((c) => c === 409).length, 19, `codes: ${codes}`);
  for (const r of results.filter((r) => r.status === 409)) {
    const s = r.json();
    assert.equal(s.kind, "Status");
    assert.equal(s.reason, "Conflict");
  }
  const winner = results.find((r) => r.status === 200)!.json();
  const stored = (await w.request(`${DR_PATH}/reviews`)).json();
  assert.equal(stored.metadata.labels.writer, winner.metadata.labels.writer);
  assert.equal(Number(stored.metadata.resourceVersion), Number(rv) + 1);
  assert.equal(stored.metadata.generation, current.metadata.generation);
});

test("20 concurrent merge patches without a resourceVersion: all 20 land", async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      w.request(`${DR_PATH}/reviews`, {
        method: "PATCH",
        headers: { "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ metadata: { labels: { [`patch-${i}`]: "yes" } } }),
      }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    Array(20).fill(200),
  );
  const stored = (await w.request(`${DR_PATH}/reviews`)).json();
  for (let i = 0; i < 20; i++) assert.equal(stored.metadata.labels[`patch-${i}`], "yes", `patch-${i} lost`);
});

test("20 concurrent creates of one name: one 201, 19 AlreadyExists", async () => {
  const body = JSON.stringify({ ...dr(), metadata: { name: "ratings" }, spec: { host: "ratings" } });
  const results = await Promise.all(
    Array.from({ length: 20 }, () => w.request(DR_PATH, { method: "POST", headers: { "content-type": "application/json" }, body })),
  );
  const codes = results.map((r) => r.status);
  assert.equal(codes.filter((c) => c === 201).length, 1);
  assert.equal(results.filter((r) => r.status === 409 && r.json().reason === "AlreadyExists").length, 19);
});
