// The read path's rules against a model of the edge: KV that lags behind the Durable Object,
// a pointer cached per location. (The Worker end to end is in proxy.e2e.test.ts.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { readWorkloadDocument, type ReadPathSources, type ServedWorkload } from "../../control/proxy/read-path.ts";
import type { WorkloadIndex } from "../../control/store/workload-state.ts";

const admin = { admin: true } as const;
const reviewsToken = { admin: false, namespace: "default", serviceAccount: "bookinfo-reviews" } as const;

/** An edge location: what its KV has replicated, and the Durable Object behind it. */
function edge(opts: { pointer: number; kvIndexes: WorkloadIndex[]; kvDocs: Record<string, string>; authoritative: Record<string, ServedWorkload> }) {
  const calls = { authoritative: 0 };
  const sources: ReadPathSources = {
    pointer: async () => opts.pointer,
    index: async (rev) => opts.kvIndexes.find((i) => i.revision === rev) ?? null,
    document: async (kind, rev, w) => opts.kvDocs[`${kind}/${rev}/${w}`] ?? null,
    authoritative: async (w) => {
      calls.authoritative++;
      return opts.authoritative[w] ?? null;
    },
  };
  return { sources, calls };
}

const served = (revision: number): ServedWorkload => ({
  revision,
  serviceAccount: "bookinfo-reviews",
  filterConfig: JSON.stringify({ version: revision }),
  snapshot: "{}",
});

test("served from KV without waking the Durable Object; 304 on the current ETag", async () => {
  const { sources, calls } = edge({
    pointer: 7,
    kvIndexes: [{ revision: 7, workloads: { "default/reviews-v1": [5, "bookinfo-reviews"] } }],
    kvDocs: { "filter-config/5/default/reviews-v1": '{"version":5}' },
    authoritative: {},
  });
  const first = await readWorkloadDocument(sources, "default/reviews-v1", "filter-config", reviewsToken, undefined);
  assert.deepEqual(first, { status: 200, etag: '"5"', body: '{"version":5}' });
  const again = await readWorkloadDocument(sources, "default/reviews-v1", "filter-config", reviewsToken, '"5"');
  assert.deepEqual(again, { status: 304, etag: '"5"' });
  assert.equal(calls.authoritative, 0);
});

test("a client holding a newer version than this location's KV gets 304, never an older document", async () => {
  const { sources } = edge({
    pointer: 7,
    kvIndexes: [{ revision: 7, workloads: { "default/reviews-v1": [5, "bookinfo-reviews"] } }],
    kvDocs: { "filter-config/5/default/reviews-v1": '{"version":5}' },
    authoritative: { "default/reviews-v1": served(9) },
  });
  const r = await readWorkloadDocument(sources, "default/reviews-v1", "filter-config", reviewsToken, '"9"');
  assert.deepEqual(r, { status: 304, etag: '"9"' });
});

test("a document not yet replicated falls back to the Durable Object, which is at least as new", async () => {
  const { sources, calls } = edge({
    pointer: 8,
    kvIndexes: [{ revision: 8, workloads: { "default/reviews-v1": [8, "bookinfo-reviews"] } }],
    kvDocs: {},
    authoritative: { "default/reviews-v1": served(9) },
  });
  const r = await readWorkloadDocument(sources, "default/reviews-v1", "filter-config", reviewsToken, '"5"');
  assert.deepEqual(r, { status: 200, etag: '"9"', body: '{"version":9}' });
  assert.equal(calls.authoritative, 1);
});

test("an index not yet replicated: the Durable Object answers", async () => {
  const { sources } = edge({ pointer: 8, kvIndexes: [], kvDocs: {}, authoritative: { "default/reviews-v1": served(8) } });
  const r = await readWorkloadDocument(sources, "default/reviews-v1", "filter-config", admin, undefined);
  assert.equal(r.status, 200);
});

test("a workload token reads only workloads of its namespace and service account", async () => {
  const { sources } = edge({
    pointer: 3,
    kvIndexes: [
      {
        revision: 3,
        workloads: { "default/reviews-v1": [3, "bookinfo-reviews"], "default/ratings-v1": [3, "bookinfo-ratings"], "other/reviews-v1": [3, "bookinfo-reviews"] },
      },
    ],
    kvDocs: { "filter-config/3/default/reviews-v1": "{}", "filter-config/3/default/ratings-v1": "{}", "filter-config/3/other/reviews-v1": "{}" },
    authoritative: {},
  });
  assert.equal((await readWorkloadDocument(sources, "default/reviews-v1", "filter-config", reviewsToken, undefined)).status, 200);
  assert.equal((await readWorkloadDocument(sources, "default/ratings-v1", "filter-config", reviewsToken, undefined)).status, 403);
  assert.equal((await readWorkloadDocument(sources, "other/reviews-v1", "filter-config", reviewsToken, undefined)).status, 403);
  assert.equal((await readWorkloadDocument(sources, "default/ratings-v1", "filter-config", admin, undefined)).status, 200);
  assert.equal((await readWorkloadDocument(sources, "default/nope", "filter-config", admin, undefined)).status, 404);
});
