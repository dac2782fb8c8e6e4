// Gateway API HTTPRoute conformance through the Worker: the vendored manifests are applied with
// kubectl to a Worker under `wrangler dev`, and each row of their expected tables is asked of
// POST /mesh/v1/explain (the bundled router.wasm on the stored, served config), judged as the
// in-process harness (httproute.test.ts) judges it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Explanation } from "../../control/explain/explain.ts";
import { objectsFromYaml } from "../support/mesh-fixtures.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";
import { CONFORMANCE_CASES, CONFORMANCE_NAMESPACE, type ConformanceCase } from "./gateway-api/cases.ts";
import { explainInput, judge, listenerPorts, passTable } from "./judge.ts";
import { SUITE_SECRETS } from "./suite-secrets.ts";

const DIR = new URL("./gateway-api/", import.meta.url).pathname;
/** Hostnames, redirects (Location through the Worker), rewrites with header edits, and a
 *  cross-namespace backendRef refused and then granted (the grant stays: it comes last). */
const MANIFESTS = [
  "httproute-hostname-intersection.yaml",
  "httproute-redirect-port-and-scheme.yaml",
  "httproute-rewrite-path.yaml",
  "httproute-invalid-cross-namespace-backend-ref.yaml",
  "httproute-reference-grant.yaml",
];

let w: TestWorker;
const results: { c: ConformanceCase; failure: string | null }[] = [];
before(async () => {
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  await w.apply(`${DIR}base.yaml`);
  const secrets = await w.kubectl(["apply", "-f", "-"], { input: SUITE_SECRETS });
  assert.equal(secrets.code, 0, secrets.stderr);
});
after(async () => {
  console.log(`\nGateway API HTTPRoute conformance (explain, through the Worker):\n${passTable(results)}\n`);
  await w?.stop();
});

for (const manifest of MANIFESTS) {
  describe(`conformance through the Worker: ${manifest}`, () => {
    const ports = listenerPorts(objectsFromYaml(`${readFileSync(`${DIR}base.yaml`, "utf8")}\n---\n${readFileSync(DIR + manifest, "utf8")}`));
    before(async () => {
      const r = await w.kubectl(["delete", "-n", CONFORMANCE_NAMESPACE, "httproute", "--all"]);
      assert.equal(r.code, 0, r.stderr);
      await w.apply(DIR + manifest);
    });
    for (const c of CONFORMANCE_CASES.filter((x) => x.manifest === manifest))
      test(`${c.test}: ${c.request.host ?? c.request.gateway} ${c.request.path}`, async () => {
        const r = await w.request("/mesh/v1/explain", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(explainInput(c, ports.get(c.request.gateway)!)) });
        assert.equal(r.status, 200, r.body);
        const answer = r.json() as Explanation;
        const failure = judge(c, answer);
        results.push({ c, failure });
        assert.equal(failure, null, answer.trace.join("\n"));
      });
  });
}
