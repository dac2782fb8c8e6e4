// Per-request decisions of the REAL compiled router/authz modules, run in control/wasmhost, with
// each golden compile case's FilterConfig fed through the config channel (decision-cases.ts).
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import type { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { DECISION_CASES, type DecisionCase } from "./decision-cases.ts";
import { filterConfig, GOLDEN_CASES, hostWithConfig, seededRandom, send } from "./support.ts";

const hosts = new Map<string, Promise<ProxyWasmHost>>();

/** One host per (case, workload, filter), seeded so weighted draws reproduce. */
function hostFor(c: DecisionCase): Promise<ProxyWasmHost> {
  const key = `${c.case}|${c.workload}|${c.filter}`;
  let h = hosts.get(key);
  if (!h) {
    h = hostWithConfig(c.filter, filterConfig(c.case, c.workload), { random: seededRandom(hosts.size + 1) });
    hosts.set(key, h);
  }
  return h;
}

async function check(c: DecisionCase): Promise<void> {
  const host = await hostFor(c);
  const { expect } = c;
  if (expect.distribution) {
    const n = c.samples ?? 2000;
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const o = send(host, c.request);
      assert.equal(o.action, "continue");
      counts[o.cluster ?? "none"] = (counts[o.cluster ?? "none"] ?? 0) + 1;
      o.stream.done();
    }
    assert.deepEqual(Object.keys(counts).sort(), Object.keys(expect.distribution).sort(), JSON.stringify(counts));
    for (const [cluster, share] of Object.entries(expect.distribution)) {
      const got = counts[cluster] / n;
      assert.ok(Math.abs(got - share) <= 0.05, `${cluster}: ${got} of ${n}, expected ${share} ± 0.05`);
    }
    return;
  }
  const o = send(host, c.request);
  if (expect.localReply) {
    assert.equal(o.action, "reply", `expected a local reply, got ${o.action} (cluster ${o.cluster})`);
    assert.equal(o.status, expect.localReply.status);
    if (expect.localReply.body !== undefined) assert.equal(o.body, expect.localReply.body);
  } else if (expect.delayMs !== undefined) {
    assert.equal(o.action, "pause");
    assert.equal(o.cluster, expect.cluster);
    await host.tick(expect.delayMs - 20);
    assert.equal(o.stream.paused, true, "still paused just before the delay ends");
    await host.tick(40);
    assert.equal(o.stream.paused, false, "resumed within the tick granularity after the delay");
    assert.ok(o.stream.trace.some((e) => e.kind === "continue" && e.stream === "request"));
  } else if (expect.cluster !== undefined) {
    assert.equal(o.action, "continue", `expected continue, got ${o.action} ${o.status ?? ""}`);
    assert.equal(o.cluster, expect.cluster);
    assert.deepEqual(o.stream.request.getAll("x-mesh-cluster"), [expect.cluster]);
  } else if (expect.allowed) {
    assert.equal(o.action, "continue", `expected allowed, got ${o.action} ${o.status ?? ""}`);
  }
  o.stream.done();
  assert.deepEqual(host.violations, []);
  assert.equal(host.failure, undefined);
}

describe("filter decisions on the golden compile cases", () => {
  for (const c of DECISION_CASES) {
    it(`${c.case} ${c.filter}@${c.workload}: ${c.name}`, () => check(c));
  }

  it("every golden compile case has decision entries", () => {
    const covered = new Set(DECISION_CASES.map((c) => c.case));
    const missing = readdirSync(GOLDEN_CASES).filter((name) => !covered.has(name));
    assert.deepEqual(missing, []);
  });
});
