// The read path's rules against a model of the edge: KV that lags behind the Durable Object,
// a pointer cached per location. The published state is a real compile of a golden case, split
// into parts as the ConfigStore publishes it. (The Worker end to end is in proxy.e2e.test.ts.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { compileServed } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { readWorkload, type ReadPathSources } from "../../control/proxy/read-path.ts";
import { resolveView, routerJson } from "../../control/served/assemble.ts";
import { shardOf, SHARDS, type ServedIndex, type ServedWorkload, type ViewIndex, type WorkloadEntry } from "../../control/served/model.ts";
import { splitMesh } from "../../control/served/split.ts";
import { targetPorts } from "../../control/xds/template.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";
import { GOLDEN_CASES } from "../filters/support.ts";

const admin = { admin: true } as const;
const reviewsToken = { admin: false, namespace: "default", serviceAccount: "bookinfo-reviews" } as const;

/** What a publish of revision `revision` puts in KV (every workload entry and view at `version`). */
function published(revision: number, version = revision) {
  const config = configFromYaml(readFileSync(`${GOLDEN_CASES}reviews-50-v3/input.yaml`, "utf8"));
  const registry = buildRegistry(config);
  const split = splitMesh(compileServed(config, registry, revision), targetPorts(registry));
  const shards: Record<string, WorkloadEntry>[] = Array.from({ length: SHARDS }, () => ({}));
  for (const [key, w] of split.workloads) shards[shardOf(key)][key] = [version, w.serviceAccount, w.parts];
  const index: ServedIndex = { revision, views: Object.fromEntries([...split.views].map(([n, v]) => [n, [version, v.hash]])), shards: shards.map(() => revision) };
  return { index, shards, parts: split.parts };
}

/** An edge location: what its KV has replicated, and the Durable Object behind it. */
function edge(opts: { pointer: number; kv: ReturnType<typeof published>[]; dropParts?: boolean; authoritative: Record<string, ServedWorkload> }) {
  const calls = { authoritative: 0 };
  const part = (h: string) => (opts.dropParts ? undefined : opts.kv.map((k) => k.parts.get(h)).find((p) => p !== undefined));
  const sources: ReadPathSources = {
    pointer: async () => opts.pointer,
    index: async (rev) => opts.kv.find((k) => k.index.revision === rev)?.index ?? null,
    shard: async (n, rev) => opts.kv.find((k) => k.index.revision === rev)?.shards[n] ?? null,
    parts: async (hashes) => (hashes.every((h) => part(h) !== undefined) ? (h) => part(h)! : null),
    view: async (h) => (part(h) ? resolveView(JSON.parse(part(h)!) as ViewIndex, (c) => part(c)!) : null),
    router: (_h, view, p) => routerJson(view, p),
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
  targetPorts: {},
});

test("served from KV without waking the Durable Object; 304 on the current ETag", async () => {
  const { sources, calls } = edge({ pointer: 7, kv: [published(7, 5)], authoritative: {} });
  const first = await readWorkload(sources, "default/reviews-v1", reviewsToken, undefined);
  assert.equal(first.status, 200);
  if (first.status !== 200) return;
  assert.equal(first.etag, '"5"');
  const config = JSON.parse(first.served.filterConfig());
  assert.equal(config.version, 5);
  assert.equal(config.workload, "default/reviews-v1");
  assert.ok(config.router.ports.length > 0);
  assert.deepEqual(await readWorkload(sources, "default/reviews-v1", reviewsToken, '"5"'), { status: 304, etag: '"5"' });
  assert.equal(calls.authoritative, 0);
});

test("a client holding a newer version than this location's KV gets 304, never an older document", async () => {
  const { sources } = edge({ pointer: 7, kv: [published(7, 5)], authoritative: { "default/reviews-v1": served(9) } });
  assert.deepEqual(await readWorkload(sources, "default/reviews-v1", reviewsToken, '"9"'), { status: 304, etag: '"9"' });
});

test("parts not yet replicated fall back to the Durable Object, which is at least as new", async () => {
  const { sources, calls } = edge({ pointer: 8, kv: [published(8)], dropParts: true, authoritative: { "default/reviews-v1": served(9) } });
  const r = await readWorkload(sources, "default/reviews-v1", reviewsToken, '"5"');
  assert.equal(r.status, 200);
  if (r.status === 200) assert.equal(r.served.filterConfig(), '{"version":9}');
  assert.equal(calls.authoritative, 1);
});

test("an index not yet replicated: the Durable Object answers", async () => {
  const { sources } = edge({ pointer: 8, kv: [], authoritative: { "default/reviews-v1": served(8) } });
  assert.equal((await readWorkload(sources, "default/reviews-v1", admin, undefined)).status, 200);
});

test("a workload token reads only workloads of its namespace and service account", async () => {
  const { sources } = edge({ pointer: 3, kv: [published(3)], authoritative: {} });
  assert.equal((await readWorkload(sources, "default/reviews-v1", reviewsToken, undefined)).status, 200);
  assert.equal((await readWorkload(sources, "default/ratings-v1", reviewsToken, undefined)).status, 403);
  assert.equal((await readWorkload(sources, "default/ratings-v1", admin, undefined)).status, 200);
  assert.equal((await readWorkload(sources, "default/nope", admin, undefined)).status, 404);
});
