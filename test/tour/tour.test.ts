// The Bookinfo walkthrough end to end, as `npm run demo -- --tour` runs it: the real Worker under
// wrangler dev, Bookinfo applied with the real kubectl, pods through the admission webhook, the
// Bookinfo stand-ins behind dev proxies running the real router.wasm/authz.wasm, traffic through
// the ingress. Every step's observation is asserted (splits within ±7 points over 400 requests;
// all-or-nothing routes exactly), including the control plane going away mid-tour and an
// invalid VirtualService being refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DemoControlPlane } from "../../local/demo-control-plane.ts";
import type { DemoMesh } from "../../local/demo-mesh.ts";
import { readProductPage } from "../bookinfo/page.ts";
import { type MeshUnderTest, startMeshUnderTest } from "./mesh-under-test.ts";
import { TOUR, type TourContext } from "./tour.ts";
import { httpGet } from "./traffic.ts";

let run: MeshUnderTest | undefined;
let cp: DemoControlPlane | undefined;
let mesh: DemoMesh | undefined;
let ctx: TourContext;

before(async () => {
  run = await startMeshUnderTest("tour", 400);
  ({ ctx } = run);
  ({ cp, mesh } = ctx);
  assert.equal(ctx.applier.via, "kubectl", "kubectl is on PATH on these machines: the tour uses it");
});

after(async () => {
  await run?.stop();
});

describe("the mesh comes up", () => {
  test("every pod went through the webhook and registered (kubectl get pods: 2/2, the gateway 1/1) and the topology names every address", async () => {
    const got = await ctx.applier.get("pods", "default");
    assert.ok(got.ok, got.output);
    const table = got.output.split("\n");
    assert.deepEqual(table[0].split(/\s+/), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    const rows = table.slice(1).map((r) => r.split(/\s+/));
    assert.deepEqual(
      rows.map((r) => [r[0].replace(/-[a-z0-9]{10}-[a-z0-9]{5}$/, ""), r[1], r[2]]),
      [
        ["bookinfo-gateway-istio", "1/1", "Running"],
        ...["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"].map((w) => [w, "2/2", "Running"]),
      ],
    );
    for (const w of mesh!.workloads) {
      assert.deepEqual(w.pod.containers, [w.pod.service, "istio-proxy"]);
      assert.deepEqual(w.pod.initContainers, ["istio-init", "istio-bootstrap"]);
      assert.equal(w.pod.labels["security.istio.io/tlsMode"], "istio");
    }
    const t = mesh!.topology;
    assert.equal(t.controlPlane.url, cp!.url);
    assert.match(t.ingress, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(Object.keys(t.workloads).sort(), ["bookinfo-gateway-istio", "details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"]);
    for (const [name, w] of Object.entries(t.workloads)) {
      assert.match(w.sidecar, /^127\.0\.0\.1:\d+$/, name);
      if (name !== "bookinfo-gateway-istio") assert.match(w.app!, /^127\.0\.0\.1:\d+$/, name);
    }
  });

  test("proxies hold SPIFFE certificates from the mesh CA, the filters' config, and registered endpoints", async () => {
    for (const p of mesh!.proxies()) {
      const s = p.status();
      assert.equal(s.ready, true);
      assert.equal(s.certificate?.issuer, "mesh-ca", `${s.pod}: signed by ${s.certificate?.issuer}`);
      assert.equal(s.registered, true, `${s.pod} is registered with the control plane`);
      assert.match(s.certificate!.spiffeId, /^spiffe:\/\/cluster\.local\/ns\/(default|istio-system)\/sa\/[a-z0-9-]+$/);
      assert.ok(s.filters.router.version > 0 && s.filters.authz.version > 0 && s.snapshot.version > 0, JSON.stringify(s));
    }
    const reviews = mesh!.workloads.find((w) => w.pod.workload === "reviews-v2")!;
    assert.equal(reviews.proxy.status().certificate!.spiffeId, "spiffe://cluster.local/ns/default/sa/bookinfo-reviews");
  });

  test("productpage's API and session behave as the original's", async () => {
    const ingress = mesh!.ingressAddress;
    const products = await httpGet(ingress, "/api/v1/products");
    assert.equal(products.status, 200);
    assert.equal(JSON.parse(products.body)[0].title, "The Comedy of Errors");
    const login = await httpGet(ingress, "/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "username=jason&passwd=x" });
    assert.equal(login.status, 302);
    const cookie = String(login.headers["set-cookie"]).split(";")[0];
    const page = readProductPage((await httpGet(ingress, "/productpage", { headers: { cookie } })).body);
    assert.equal(page.user, "jason");
    assert.equal(page.detailsShown, true);
  });
});

describe("the walkthrough", () => {
  for (const step of TOUR) {
    test(step.title, async (t) => {
      const r = await step.run(ctx);
      for (const line of r.observed) t.diagnostic(line);
      assert.ok(r.ok, `${r.problems.join("\n")}\nobserved:\n${r.observed.join("\n")}`);
    });
  }
});
