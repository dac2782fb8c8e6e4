// Gateway API HTTPRoute conformance, in process: each vendored upstream manifest (with the base
// manifests) is compiled, and every row of the upstream test's expected request/response table is
// asked of explain, which runs the real router.wasm on the gateway's served config. Prints the
// passes per upstream test. (httproute.e2e.test.ts asks the same rows through the Worker.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { explain, type ExplainSources } from "../../control/explain/explain.ts";
import { compile } from "../../control/mesh/compile/index.ts";
import { meshConfig } from "../../control/mesh/config.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { selectorMatches, workloadKey } from "../../control/mesh/registry/types.ts";
import { withGatewayApiStatus } from "../../control/xds/gateway-status.ts";
import { objectsFromYaml } from "../support/mesh-fixtures.ts";
import { filterModule } from "../wasmhost/support.ts";
import { CONFORMANCE_CASES, type ConformanceCase } from "./gateway-api/cases.ts";
import { explainInput, judge, listenerPorts, passTable } from "./judge.ts";
import { SUITE_SECRETS } from "./suite-secrets.ts";

const DIR = new URL("./gateway-api/", import.meta.url).pathname;
const modules = { router: filterModule("router"), authz: filterModule("authz") };

const manifestText = (manifest: string) => `${readFileSync(`${DIR}base.yaml`, "utf8")}\n---\n${SUITE_SECRETS}---\n${readFileSync(DIR + manifest, "utf8")}`;

function compiled(manifest: string): { ports: Map<string, number>; sources: ExplainSources } {
  const objects = objectsFromYaml(manifestText(manifest));
  const config = meshConfig(objects);
  const registry = buildRegistry(config);
  const snapshot = compile(config, registry, 1);
  const sources: ExplainSources = {
    async workload(key) {
      const w = snapshot.workloads[key];
      if (!w) return null;
      return { key, serviceAccount: w.workload.serviceAccount, filterConfig: { version: 1, workload: key, router: w.router, authz: w.authz }, inboundPorts: w.inbound.map((p) => p.port) };
    },
    async clusterWorkloads(source, cluster) {
      const endpoints = snapshot.workloads[source]?.clusters.find((c) => c.name === cluster)?.endpoints;
      if (endpoints?.kind !== "workloads") return [];
      return registry.workloads.filter((w) => w.namespace === endpoints.namespace && selectorMatches(endpoints.labels, w.labels)).map(workloadKey).sort();
    },
  };
  return { ports: listenerPorts(objects), sources };
}

const results: { c: ConformanceCase; failure: string | null }[] = [];
after(() => console.log(`\nGateway API HTTPRoute conformance (explain, in process):\n${passTable(results)}\n`));

for (const manifest of [...new Set(CONFORMANCE_CASES.map((c) => c.manifest))]) {
  describe(`conformance: ${manifest}`, () => {
    const { ports, sources } = compiled(manifest);
    CONFORMANCE_CASES.filter((c) => c.manifest === manifest).forEach((c, i) => {
      test(`${c.test} #${i}: ${c.request.host ?? c.request.gateway} ${c.request.path}`, async () => {
        const port = ports.get(c.request.gateway)!;
        const answer = await explain(modules, sources, explainInput(c, port));
        const failure = judge(c, answer);
        results.push({ c, failure });
        assert.equal(failure, null, answer.trace.join("\n"));
      });
    });
  });
}

describe("conformance: status", () => {
  type Status = { parents?: { conditions: { type: string; status: string; reason: string }[] }[]; listeners?: { name: string; attachedRoutes: number }[] };
  function statusOf(manifest: string, kind: string, name: string): Status {
    const objects = objectsFromYaml(manifestText(manifest));
    const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
    assert.ok(obj, `${kind} ${name}`);
    return withGatewayApiStatus(obj, objects).status as Status;
  }
  const condition = (s: Status, type: string) => s.parents?.[0].conditions.find((c) => c.type === type);

  test("HTTPRouteHostnameIntersection: a route with no intersecting hostname is not accepted and attaches to no listener", () => {
    const route = statusOf("httproute-hostname-intersection.yaml", "HTTPRoute", "no-intersecting-hosts");
    const accepted = condition(route, "Accepted");
    assert.equal(accepted?.status, "False");
    assert.equal(accepted?.reason, "NoMatchingListenerHostname");
    const gw = statusOf("httproute-hostname-intersection.yaml", "Gateway", "httproute-hostname-intersection");
    assert.deepEqual(gw.listeners?.map((l) => [l.name, l.attachedRoutes]), [["listener-1", 2], ["listener-2", 1], ["listener-3", 1]]);
    assert.equal(condition(statusOf("httproute-hostname-intersection.yaml", "HTTPRoute", "wildcard-host-matches-listener-specific-host"), "Accepted")?.status, "True");
  });

  test("HTTPRouteInvalidBackendRefUnknownKind / NonExistentBackendRef: ResolvedRefs False with InvalidKind / BackendNotFound", () => {
    assert.equal(condition(statusOf("httproute-invalid-backendref-unknown-kind.yaml", "HTTPRoute", "invalid-backend-ref-unknown-kind"), "ResolvedRefs")?.reason, "InvalidKind");
    assert.equal(condition(statusOf("httproute-invalid-nonexistent-backendref.yaml", "HTTPRoute", "invalid-nonexistent-backend-ref"), "ResolvedRefs")?.reason, "BackendNotFound");
  });
});
