// Explain answers through the Worker match the filters' own decision tables: for several golden
// cases, the config is applied with kubectl and each decision is asked of POST /mesh/v1/explain,
// which runs the same compiled router.wasm / authz.wasm inside the Worker.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DECISION_CASES, type DecisionCase } from "../filters/decision-cases.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

const CASES = ["reviews-test-v2", "reviews-jason-v2-v3", "ratings-test-abort", "fault-injection-details-v1", "security-allow-deny", "security-strict-mesh-wide"];
const GOLDEN = new URL("../golden/compile/", import.meta.url).pathname;

let w: TestWorker;
before(async () => {
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
});
after(async () => {
  await w?.stop();
});

async function explain(body: object) {
  const r = await w.request("/mesh/v1/explain", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: r.json() };
}

/** Makes the mesh hold exactly one golden case's config. */
async function useCase(name: string) {
  for (const ns of ["default", "istio-system"]) {
    const r = await w.kubectl(["delete", "-n", ns, "vs,dr,pa,ap,ra,gw,httproute,gtw,se", "--all"]);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await w.kubectl(["apply", "-f", `${GOLDEN}${name}/input.yaml`]);
  assert.equal(r.code, 0, r.stderr);
}

function request(d: DecisionCase) {
  return { authority: d.request.authority, path: d.request.path, method: d.request.method, headers: d.request.headers ?? {} };
}

for (const name of CASES) {
  describe(`explain agrees with the decision table: ${name}`, () => {
    before(() => useCase(name));
    const decisions = DECISION_CASES.filter((d) => d.case === name && !d.expect.distribution && d.expect.delayMs === undefined && !d.request.jwt);
    for (const d of decisions)
      test(`${d.filter}: ${d.name}`, async () => {
        const [namespace, workload] = (d.filter === "router" ? d.workload : "default/productpage-v1").split("/");
        const input: Record<string, unknown> = { source: { namespace, workload }, request: request(d), port: d.request.port };
        if (d.filter === "authz") {
          input.mtls = d.request.mtls ?? d.request.peer?.principal !== undefined;
          if (d.request.peer?.principal) input.peer = d.request.peer.principal;
        }
        const { status, body } = await explain(input);
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body.engine, "wasm");
        if (d.filter === "router") {
          if (d.expect.cluster) assert.equal(body.cluster, d.expect.cluster, body.trace.join("\n"));
          if (d.expect.localReply) assert.equal(body.localReply?.status, d.expect.localReply.status, body.trace.join("\n"));
          if (d.expect.cluster) assert.ok(body.trace.some((l: string) => /route (VirtualService|HTTPRoute|default) /.test(l)), body.trace.join("\n"));
          return;
        }
        assert.equal(body.destination, d.workload, body.trace.join("\n"));
        if (d.expect.allowed) assert.equal(body.authz.allowed, true, body.trace.join("\n"));
        if (d.expect.localReply) {
          assert.equal(body.authz.allowed, false, body.trace.join("\n"));
          assert.equal(body.authz.localReply.status, d.expect.localReply.status);
        }
      });
  });
}

describe("issue 18: AuthorizationPolicy path templates are enforced, not compared literally", () => {
  const policy = (name: string, paths: string[]) =>
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: ratings\n  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: ${JSON.stringify(paths)}\n`;
  const ask = (path: string) => explain({ source: { namespace: "default", workload: "productpage-v1" }, request: { authority: "ratings:9080", path, method: "GET" } });
  before(async () => {
    await useCase("reviews-test-v2");
    const r = await w.kubectl(["apply", "-f", "-"], { input: policy("deny-templates", ["/admin/{**}", "/api/{*}/secret"]) });
    assert.equal(r.code, 0, r.stderr);
  });

  test("DENY /admin/{**} and /api/{*}/secret deny what they cover and nothing else", async () => {
    for (const [path, allowed] of [["/admin/x", false], ["/admin/x/y", false], ["/api/v1/secret", false], ["/admin", true], ["/api/v1/x/secret", true], ["/ratings/0", true]] as const) {
      const { status, body } = await ask(path);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.destination, "default/ratings-v1");
      assert.equal(body.authz.allowed, allowed, `${path}: ${body.trace.join("\n")}`);
      if (!allowed) assert.equal(body.authz.policy, "default/deny-templates");
    }
  });

  test("a template the filter cannot enforce is refused with the field named (dry run too)", async () => {
    for (const args of [["apply", "-f", "-"], ["apply", "--dry-run=server", "-f", "-"]]) {
      const r = await w.kubectl(args, { input: policy("bad-template", ["/ok/{*}", "/admin/{**}/{*}"]) });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /spec\.rules\[0\]\.to\[0\]\.operation\.paths\[1\]: Invalid value: .*invalid path template "\/admin\/\{\*\*\}\/\{\*\}": \{\*\*\} must be the last operator/);
    }
  });
});

describe("issue 18: the API accepts exactly the regexes the filters run", () => {
  const vs = (regex: string) =>
    `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ratings-re\n  namespace: default\nspec:\n  hosts: [ratings]\n  http:\n  - match:\n    - uri:\n        regex: ${JSON.stringify(regex)}\n    route:\n    - destination:\n        host: ratings\n  - directResponse:\n      status: 418\n`;
  before(() => useCase("reviews-test-v2"));

  test("RE2 syntax JS lacks ([[:alpha:]], (?s), (?i:...)) is accepted and the proxies run it", async () => {
    const r = await w.kubectl(["apply", "-f", "-"], { input: vs("/ratings/[[:alpha:]]+(?s:.)?(?i:X)") });
    assert.equal(r.code, 0, r.stderr);
    for (const [path, routed] of [["/ratings/abcX", true], ["/ratings/abcx", true], ["/ratings/0", false]] as const) {
      const { status, body } = await explain({ source: { namespace: "default", workload: "productpage-v1" }, request: { authority: "ratings:9080", path, method: "GET" } });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.cluster, routed ? "outbound|9080||ratings.default.svc.cluster.local" : null, `${path}: ${body.trace.join("\n")}`);
      if (!routed) assert.equal(body.localReply.status, 418);
    }
  });

  test("regexes the filters cannot run are refused with the field named, on dry run too", async () => {
    const cases: [string, RegExp][] = [
      ["\\p{L}+", /Unicode character classes/],
      ["a{2000}", /counts are limited to 1000/],
      ["(a|b|c|d|e|f|g|h)".repeat(40), /regex program too large: more than 100 instructions/],
    ];
    for (const [regex, why] of cases)
      for (const args of [["apply", "--dry-run=server", "-f", "-"], ["apply", "-f", "-"]]) {
        const r = await w.kubectl(args, { input: vs(regex) });
        assert.notEqual(r.code, 0, `${regex} was accepted (${args.join(" ")})`);
        assert.match(r.stderr, /spec\.http\[0\]\.match\[0\]\.uri\.regex: Invalid value: .*invalid regex/);
        assert.match(r.stderr, why);
      }
  });
});

describe("explain input errors", () => {
  test("bad bodies → 400, unknown workloads → 404", async () => {
    assert.equal((await explain({})).status, 400);
    assert.equal((await explain({ source: { namespace: "default", workload: "productpage-v1" }, request: { authority: "reviews", path: "nope" } })).status, 400);
    assert.equal((await explain({ source: { namespace: "default", workload: "nope" }, request: { authority: "reviews", path: "/" } })).status, 404);
    const r = await w.request("/mesh/v1/explain", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    assert.equal(r.status, 400);
  });
  test("explain needs a token", async () => {
    const r = await w.request("/mesh/v1/explain", { method: "POST", token: null, body: "{}" });
    assert.equal(r.status, 401);
  });
});
