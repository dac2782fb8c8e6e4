// A view's hash lists are stored as chunk trees: a large mesh gets a second level, it reads back
// to the same lists (in the store, and from KV in the Worker), and what one VirtualService change
// adds to storage stays the same size from 1,000 to 3,000 services (with one level, the view's
// index alone grows with the mesh: 50 KB at 1,000 services, 80 KB at 3,000, 111 KB at 5,000).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MeshConfig } from "../../control/mesh/config.ts";
import { compileServed } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import type { Env } from "../../control/env.ts";
import { workerSources } from "../../control/proxy/sources.ts";
import { levelsOf, openChunks, resolveView, viewChunks } from "../../control/served/assemble.ts";
import { hashString } from "../../control/served/json-memo.ts";
import { kvKeys, type ViewIndex } from "../../control/served/model.ts";
import { type SplitMesh, splitMesh } from "../../control/served/split.ts";
import { targetPorts } from "../../control/xds/template.ts";
import { generateMesh } from "../bench/mesh-generator.ts";

function split(config: MeshConfig): SplitMesh {
  const registry = buildRegistry(config);
  return splitMesh(compileServed(config, registry, 1), targetPorts(registry));
}

/** The same mesh with svc-7's VirtualService sending 70/30 instead of 90/10. */
function withChangedVirtualService(config: MeshConfig): MeshConfig {
  const virtualServices = config.virtualServices.map((vs) => {
    if (vs.metadata.name !== "svc-7") return vs;
    const spec = structuredClone(vs.spec) as { http: { route: { weight?: number }[] }[] };
    spec.http[1].route[0].weight = 70;
    spec.http[1].route[1].weight = 30;
    return { ...vs, spec };
  });
  return { ...config, virtualServices };
}

/** Bytes of the parts `after` stores that `before` did not: what the change writes. */
function bytesAdded(before: SplitMesh, after: SplitMesh): number {
  let bytes = 0;
  for (const [hash, body] of after.parts) if (!before.parts.has(hash)) bytes += hash.length + body.length;
  return bytes;
}

test("a 3,000-service view is two chunk levels deep and reads back to the same lists", () => {
  const mesh = split(generateMesh(3000));
  const view = mesh.views.get("sidecar|ns-0|")!;
  assert.equal(levelsOf(view.index), 2);
  assert.ok(view.index.clusters.length <= 16, `${view.index.clusters.length} top chunks`);
  assert.equal(view.parts.clusters.length, 3000);
  assert.deepEqual(resolveView(view.index, (h) => mesh.parts.get(h)!), view.parts);
  // A small mesh keeps the one-level form the stored indexes had before the tree.
  const small = split(generateMesh(300)).views.get("sidecar|ns-0|")!;
  assert.equal(small.index.levels, undefined);
});

test("one VirtualService change writes about as much at 3,000 services as at 1,000", () => {
  const added = (services: number) => {
    const config = generateMesh(services);
    return bytesAdded(split(config), split(withChangedVirtualService(config)));
  };
  const small = added(1000);
  const large = added(3000);
  assert.ok(small > 0);
  assert.ok(large <= small * 1.25, `one change added ${small} bytes at 1,000 services and ${large} at 3,000`);
});

test("the Worker reads a two-level view from KV, one bulk read per level, and an index stored before the tree", async () => {
  const mesh = split(generateMesh(3000));
  const kvValues = new Map([...mesh.parts].map(([hash, body]) => [kvKeys.part(hash), body]));
  const bulkReads: number[] = [];
  const kv = {
    get: async (keys: string | string[]) => {
      if (!Array.isArray(keys)) throw new Error(`single read of ${keys}: the view is read in bulk`);
      bulkReads.push(keys.length);
      return new Map(keys.map((k) => [k, kvValues.get(k) ?? null]));
    },
  };
  const sources = workerSources({ MESH_KV: kv } as unknown as Env);
  const view = mesh.views.get("sidecar|ns-3|")!;
  assert.deepEqual(await sources.view(view.hash), view.parts);
  // The index, then each level's chunks (KV's bulk get takes 100 keys at most).
  const top = viewChunks(view.index);
  const leaves = viewChunks(openChunks(view.index, (h) => mesh.parts.get(h)!));
  assert.deepEqual(bulkReads, [1, top.length, ...(leaves.length > 100 ? [100, leaves.length - 100] : [leaves.length])]);

  // A one-level index as the store wrote it before the tree (no `levels`) reads the same.
  const put = (value: unknown) => {
    const text = JSON.stringify(value);
    const hash = hashString(text);
    kvValues.set(kvKeys.part(hash), text);
    return hash;
  };
  const { levels: _, ...rest } = view.index;
  const flat: ViewIndex = { ...rest, router: view.parts.router.map(([port, hosts]) => [port, [put(hosts)]]), clusters: [put(view.parts.clusters)] };
  assert.deepEqual(await sources.view(put(flat)), view.parts);
});
