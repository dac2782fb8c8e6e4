// Shared parts are a storage form, not a new meaning: for every golden compile case, the documents
// assembled from the split parts are byte for byte what serialising the compiled snapshot gives,
// and workloads of one view share its parts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { compileServed } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { filterConfigJson, partsNeeded, snapshotJson } from "../../control/served/assemble.ts";
import { splitMesh } from "../../control/served/split.ts";
import { targetPorts } from "../../control/xds/template.ts";
import { GOLDEN_CASES } from "../filters/support.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";

for (const name of readdirSync(GOLDEN_CASES).sort()) {
  test(`parts: ${name} assembles to the compiled snapshot`, () => {
    const config = configFromYaml(readFileSync(`${GOLDEN_CASES}${name}/input.yaml`, "utf8"));
    const registry = buildRegistry(config);
    const compiled = compileServed(config, registry, 3);
    const split = splitMesh(compiled, targetPorts(registry));
    for (const [key, w] of Object.entries(compiled.snapshot.workloads)) {
      const own = split.workloads.get(key)!.parts;
      const view = split.views.get(own.view)!.parts;
      const part = (h: string) => split.parts.get(h)!;
      for (const h of partsNeeded(view, own)) assert.ok(split.parts.has(h), `${key}: part ${h} missing`);
      assert.equal(snapshotJson(view, own, part), JSON.stringify(w), key);
      assert.equal(filterConfigJson(key, 7, view, own, part), JSON.stringify({ version: 7, workload: key, router: w.router, authz: w.authz }), key);
    }
  });
}

test("parts: proxies of one namespace share one view, and one copy of each virtual host", () => {
  const config = configFromYaml(readFileSync(`${GOLDEN_CASES}all-v1/input.yaml`, "utf8"));
  const registry = buildRegistry(config);
  const split = splitMesh(compileServed(config, registry, 1), targetPorts(registry));
  const sidecars = [...split.workloads.values()].filter((w) => w.kind === "sidecar");
  assert.ok(sidecars.length >= 6);
  const views = new Set(sidecars.map((w) => w.parts.view));
  assert.deepEqual([...views], ["sidecar|default|"]);
  const copies = [...split.parts.values()].filter((p) => p.includes('"name":"reviews.default.svc.cluster.local:9080"')).length;
  assert.equal(copies, 1);
});
