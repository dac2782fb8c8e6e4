// The proxy-status rules (control/proxy/sync-status.ts), as istioctl proxy-status states them:
// NOT SENT, SYNCED, STALE (including never acknowledged), and ERROR for an Envoy NACK.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeSync, proxySync } from "../../control/proxy/sync-status.ts";
import { podOfNode } from "../../control/proxy/sync-report.ts";

const at = 1_700_000_000_000;

test("a proxy that fetched nothing is NOT SENT for every type", () => {
  const s = proxySync({}, 7);
  assert.equal(s.state, "NOT SENT");
  assert.equal(describeSync(s), "CDS NOT SENT, LDS NOT SENT, EDS NOT SENT, RDS NOT SENT, ECDS NOT SENT");
});

test("holding the workload's current version is SYNCED; an older one, or none yet, is STALE", () => {
  assert.equal(proxySync({ listeners: { held: "7", sent: "7", at } }, 7).types.LDS.state, "SYNCED");
  assert.equal(proxySync({ listeners: { held: "5", sent: "5", at } }, 7).types.LDS.state, "STALE");
  assert.equal(proxySync({ listeners: { held: "", sent: "7", at } }, 7).types.LDS.state, "STALE");
});

test("the snapshot poll stands for CDS and LDS; ECDS is the worse of the two filters", () => {
  const s = proxySync({ snapshot: { held: "7", sent: "7", at }, router: { held: "7", sent: "7", at }, authz: { held: "6", sent: "7", at: at + 5 } }, 7);
  assert.deepEqual([s.types.CDS.state, s.types.LDS.state, s.types.ECDS.state, s.types.RDS.state], ["SYNCED", "SYNCED", "STALE", "NOT SENT"]);
  assert.equal(s.types.ECDS.at, at + 5);
  assert.equal(s.state, "STALE");
});

test("a NACK of a version not yet held is ERROR, and outranks STALE", () => {
  const s = proxySync({ listeners: { held: "5", sent: "7", nack: "bad listener", at }, clusters: { held: "5", sent: "7", at } }, 7);
  assert.deepEqual([s.types.LDS.state, s.types.CDS.state, s.state], ["ERROR", "STALE", "ERROR"]);
  assert.equal(proxySync({ listeners: { held: "7", sent: "7", nack: "bad listener", at } }, 7).types.LDS.state, "SYNCED");
});

test("EDS (versioned by content) is SYNCED when the proxy holds what it was last sent", () => {
  assert.equal(proxySync({ endpoints: { held: "9a1f", sent: "9a1f", at } }, 7).types.EDS.state, "SYNCED");
  assert.equal(proxySync({ endpoints: { held: "", sent: "9a1f", at } }, 7).types.EDS.state, "STALE");
});

test("Istio's node id names the pod; another namespace's, or another shape, names none", () => {
  assert.equal(podOfNode("sidecar~10.1.0.5~productpage-v1-5d8f9c-x1.default~default.svc.cluster.local", "default"), "productpage-v1-5d8f9c-x1");
  assert.equal(podOfNode("router~10.1.0.9~gw.v2.istio-system~istio-system.svc.cluster.local", "istio-system"), "gw.v2");
  assert.equal(podOfNode("sidecar~10.1.0.5~productpage-v1.default~default.svc.cluster.local", "other"), undefined);
  assert.equal(podOfNode("sidecar~productpage-v1.default", "default"), undefined);
  assert.equal(podOfNode("sidecar~1~UPPER.default~x", "default"), undefined);
});
