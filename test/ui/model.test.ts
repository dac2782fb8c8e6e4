// The dashboard's pure helpers (control/ui/app/model.ts): what the views compute from API answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  age,
  configRows,
  describeMatches,
  lineDiff,
  parseHeaderLines,
  tokenKind,
  traceStepText,
  validationOf,
  weightSplit,
  workloadsOf,
  type Finding,
  type KubeObject,
} from "../../control/ui/app/model.ts";

const vs = (name: string, namespace = "default"): KubeObject => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name, namespace, creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: {},
});
const finding = (name: string, level: Finding["level"], code: string): Finding => ({ code, level, kind: "VirtualService", namespace: "default", name, message: "m" });

test("config rows: only mesh config, filtered, with the worst finding as the state", () => {
  const items = [vs("reviews"), vs("ratings"), vs("other", "prod"), { apiVersion: "v1", kind: "Service", metadata: { name: "reviews", namespace: "default" } }];
  const findings = [finding("reviews", "Error", "IST0101"), finding("reviews", "Warning", "IST0109"), finding("ratings", "Info", "IST0118")];
  const rows = configRows(items, findings, { namespace: "", kind: "", name: "" });
  assert.deepEqual(
    rows.map((r) => [r.namespace, r.name, r.validation.state]),
    [
      ["default", "ratings", "valid"],
      ["default", "reviews", "error"],
      ["prod", "other", "valid"],
    ],
  );
  assert.equal(configRows(items, findings, { namespace: "prod", kind: "", name: "" }).length, 1);
  assert.equal(configRows(items, findings, { namespace: "", kind: "VirtualService", name: "REV" }).length, 1);
  assert.equal(validationOf([finding("x", "Warning", "IST0109")]).state, "warning");
});

test("age reads like kubectl's", () => {
  const t = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(age("2026-01-01T00:00:00Z", t + 45_000), "45s");
  assert.equal(age("2026-01-01T00:00:00Z", t + 12 * 60_000), "12m");
  assert.equal(age("2026-01-01T00:00:00Z", t + 5 * 3600_000), "5h");
  assert.equal(age("2026-01-01T00:00:00Z", t + 3 * 86400_000), "3d");
});

test("weight split: relative weights as percentages, labelled by subset", () => {
  const host = "reviews.default.svc.cluster.local";
  assert.deepEqual(
    weightSplit(
      [
        { cluster: `outbound|9080|v1|${host}`, weight: 50 },
        { cluster: `outbound|9080|v3|${host}`, weight: 50 },
      ],
      host,
    ).map((s) => `${s.label} ${s.percent} %`),
    ["v1 50 %", "v3 50 %"],
  );
  assert.deepEqual(
    weightSplit(
      [
        { cluster: `outbound|9080|v1|${host}`, weight: 2 },
        { cluster: "outbound|9080||ratings.default.svc.cluster.local", weight: 1 },
      ],
      host,
    ).map((s) => `${s.label} ${s.percent} %`),
    ["v1 66.7 %", "ratings.default 33.3 %"],
  );
});

test("matches read as conditions", () => {
  const origin = { kind: "VirtualService" as const, namespace: "default", name: "reviews", rule: 0 };
  assert.deepEqual(describeMatches({ origin, matches: [] }), ["any request"]);
  assert.deepEqual(
    describeMatches({ origin, matches: [{ uri: { prefix: "/api" }, headers: [{ name: "end-user", value: { exact: "jason" } }] }, { method: { exact: "POST" } }] }),
    ['path starts with "/api" and header end-user = "jason"', 'method = "POST"'],
  );
});

test("workloads from Deployments' pod templates and WorkloadEntries", () => {
  const items: KubeObject[] = [
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "reviews-v1", namespace: "default" }, spec: { template: { metadata: { labels: { app: "reviews" } } } } },
    { apiVersion: "networking.istio.io/v1", kind: "WorkloadEntry", metadata: { name: "vm", namespace: "default" }, spec: { labels: { app: "vm" } } },
  ];
  assert.deepEqual(
    workloadsOf(items).map((w) => [w.name, w.labels.app]),
    [
      ["reviews-v1", "reviews"],
      ["vm", "vm"],
    ],
  );
});

test("explain helpers: header lines and trace steps", () => {
  assert.deepEqual(parseHeaderLines("End-User: jason\n\nx-a: b: c\n"), { headers: { "end-user": "jason", "x-a": "b: c" } });
  assert.ok("error" in parseHeaderLines("no colon here"));
  assert.deepEqual(traceStepText("router: matched"), { text: "router: matched", details: [] });
  assert.deepEqual(traceStepText({ filter: "router", message: "route 0", cluster: "c" }), {
    text: "route 0",
    details: [
      ["filter", "router"],
      ["cluster", "c"],
    ],
  });
});

test("line diff keeps common lines and marks the rest", () => {
  assert.deepEqual(
    lineDiff(["a", "b", "c"], ["a", "c", "d"]).map((d) => d.op + d.text),
    [" a", "-b", " c", "+d"],
  );
});

test("token kind: read tokens are JWTs with kind read", () => {
  const jwt = (payload: object) => `e30.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.sig`;
  assert.equal(tokenKind(jwt({ kind: "read" })), "read");
  assert.equal(tokenKind(jwt({ ns: "default" })), "admin");
  assert.equal(tokenKind("plain-admin-token"), "admin");
});
