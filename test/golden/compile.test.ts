// Golden tests for the compiler: test/golden/compile/<case>/input.yaml → snapshot.json.
// Reviewed by hand once, then pinned; a change to a golden file is a conscious diff
// (regenerate with UPDATE_GOLDEN=1 and read the diff before committing).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildIndex } from "../../control/mesh/compile/index-config.ts";
import { compileOutbound, OutboundMemo } from "../../control/mesh/compile/outbound.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { workloadKey } from "../../control/mesh/registry/types.ts";
import { foldSharedFields, goldenJson } from "../support/golden-json.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";

const CASES = fileURLToPath(new URL("./compile/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

for (const name of readdirSync(CASES).sort()) {
  test(`compile: ${name}`, () => {
    const config = configFromYaml(readFileSync(join(CASES, name, "input.yaml"), "utf8"));
    const snapshot = compile(config, buildRegistry(config), 1);
    const folded = { ...snapshot, workloads: foldSharedFields(snapshot.workloads as never, ["router", "clusters", "authz"]) };
    const actual = goldenJson(folded) + "\n";
    const goldenPath = join(CASES, name, "snapshot.json");
    if (update) writeFileSync(goldenPath, actual);
    assert.ok(existsSync(goldenPath), `no golden file for ${name}: run with UPDATE_GOLDEN=1 and review it`);
    assert.equal(actual, readFileSync(goldenPath, "utf8"));
  });
}

test("outbound views shared across proxies equal each proxy's table computed alone", () => {
  for (const name of readdirSync(CASES).sort()) {
    const config = configFromYaml(readFileSync(join(CASES, name, "input.yaml"), "utf8"));
    const registry = buildRegistry(config);
    const snapshot = compile(config, registry, 1);
    const index = buildIndex(config, registry);
    for (const w of registry.workloads) {
      const shared = snapshot.workloads[workloadKey(w)];
      if (shared.workload.kind !== "sidecar") continue;
      const alone = compileOutbound(w, index.visibleServices(w), index, new OutboundMemo());
      assert.deepEqual(alone, { router: shared.router, clusters: shared.clusters }, `${name}: ${workloadKey(w)}`);
    }
  }
});

test("compile is deterministic and pure: same input, same bytes", () => {
  const text = readFileSync(join(CASES, "reviews-50-v3", "input.yaml"), "utf8");
  const a = configFromYaml(text);
  const b = configFromYaml(text);
  const first = JSON.stringify(compile(a, buildRegistry(a), 7));
  assert.equal(JSON.stringify(compile(b, buildRegistry(b), 7)), first);
  // The input is not mutated.
  assert.deepEqual(a, configFromYaml(text));
});
