// The Services on a workload's inbound port, in Istio's order (SortServicesByCreationTime: oldest
// first, ties by name then namespace): the stats filter reports the first as the destination
// service of every request the port receives, so the order decides destination_service.
import assert from "node:assert/strict";
import { test } from "node:test";
import { meshConfig } from "../../control/mesh/config.ts";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { objectsFromYaml } from "../support/mesh-fixtures.ts";

const service = (name: string, labels: string) => `
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec: { selector: { ${labels} }, ports: [{ name: http, port: 9080 }] }
---`;
const YAML = `${service("reviews-v3", "app: reviews, version: v3")}${service("reviews", "app: reviews")}
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v3, labels: { app: reviews, version: v3 } }
spec:
  selector: { matchLabels: { app: reviews, version: v3 } }
  template:
    metadata: { labels: { app: reviews, version: v3 } }
    spec: { serviceAccountName: bookinfo-reviews, containers: [{ name: reviews, image: reviews, ports: [{ containerPort: 9080 }] }] }
`;

function inboundServices(created: Record<string, string>): string[] {
  const objects = objectsFromYaml(YAML);
  for (const o of objects) if (o.kind === "Service") o.metadata.creationTimestamp = created[o.metadata.name];
  const config = meshConfig(objects);
  const w = compile(config, buildRegistry(config), 1).workloads["default/reviews-v3"];
  assert.ok(w, "reviews-v3 compiled");
  assert.deepEqual(w.inbound.map((p) => p.port), [9080]);
  return w.inbound[0].services.map((s) => `${s.namespace}/${s.name} ${s.host}`);
}

test("the Services selecting a workload's port: oldest first", () => {
  assert.deepEqual(inboundServices({ reviews: "2026-01-01T00:00:00Z", "reviews-v3": "2026-01-01T00:00:05Z" }), [
    "default/reviews reviews.default.svc.cluster.local",
    "default/reviews-v3 reviews-v3.default.svc.cluster.local",
  ]);
  assert.deepEqual(inboundServices({ reviews: "2026-01-01T00:00:05Z", "reviews-v3": "2026-01-01T00:00:00Z" }), [
    "default/reviews-v3 reviews-v3.default.svc.cluster.local",
    "default/reviews reviews.default.svc.cluster.local",
  ]);
});

test("created in the same second (kubectl apply of two files): by name, as Istio breaks the tie", () => {
  // By hostname, reviews-v3.… would sort before reviews.… ('-' < '.'); by name, reviews comes first.
  assert.deepEqual(inboundServices({ reviews: "2026-01-01T00:00:00Z", "reviews-v3": "2026-01-01T00:00:00Z" }), [
    "default/reviews reviews.default.svc.cluster.local",
    "default/reviews-v3 reviews-v3.default.svc.cluster.local",
  ]);
});
