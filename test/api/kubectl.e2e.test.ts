// The config API driven by the real kubectl, through the Bookinfo walkthrough's objects.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

const sample = (p: string) => `${SAMPLES}${p}`;

const STRICT_MESH_WIDE = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
});
after(async () => {
  await w?.stop();
});

/** The lines kubectl printed, for exact comparison. */
function lines(s: string): string[] {
  return s.trim().split("\n").map((l) => l.trim());
}

/** A `kubectl get` table as rows of whitespace-separated cells. */
function table(s: string): string[][] {
  return lines(s).map((l) => l.split(/\s{2,}/));
}

describe("kubectl apply / get / diff / delete against the Worker", () => {
  test("apply bookinfo.yaml creates every object", async () => {
    const r = await w.kubectl(["apply", "-f", sample("bookinfo/platform/kube/bookinfo.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      "service/details created",
      "serviceaccount/bookinfo-details created",
      "deployment.apps/details-v1 created",
      "service/ratings created",
      "serviceaccount/bookinfo-ratings created",
      "deployment.apps/ratings-v1 created",
      "service/reviews created",
      "serviceaccount/bookinfo-reviews created",
      "deployment.apps/reviews-v1 created",
      "deployment.apps/reviews-v2 created",
      "deployment.apps/reviews-v3 created",
      "service/productpage created",
      "serviceaccount/bookinfo-productpage created",
      "deployment.apps/productpage-v1 created",
    ]);
    const deploys = await w.kubectl(["get", "deploy", "-l", "app=reviews", "-o", "name"]);
    assert.deepEqual(lines(deploys.stdout), ["deployment.apps/reviews-v1", "deployment.apps/reviews-v2", "deployment.apps/reviews-v3"]);
  });

  test("created, then unchanged, then configured", async () => {
    const files = ["-f", sample("bookinfo/networking/destination-rule-all.yaml"), "-f", sample("bookinfo/networking/virtual-service-all-v1.yaml")];
    const first = await w.kubectl(["apply", ...files]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(lines(first.stdout).every((l) => l.endsWith(" created")), first.stdout);
    assert.equal(lines(first.stdout).length, 8);

    const again = await w.kubectl(["apply", ...files]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(lines(again.stdout).every((l) => l.endsWith(" unchanged")), again.stdout);

    const split = await w.kubectl(["apply", "-f", sample("bookinfo/networking/virtual-service-reviews-50-v3.yaml")]);
    assert.equal(split.code, 0, split.stderr);
    assert.deepEqual(lines(split.stdout), ["virtualservice.networking.istio.io/reviews configured"]);
  });

  test("kubectl get vs prints Istio's columns", async () => {
    const r = await w.kubectl(["get", "vs"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = table(r.stdout);
    assert.deepEqual(rows[0], ["NAME", "GATEWAYS", "HOSTS", "AGE"]);
    const reviews = rows.find((row) => row[0] === "reviews");
    assert.ok(reviews, r.stdout);
    assert.equal(reviews[1], '["reviews"]');
    assert.match(reviews[2], /^\d+s$/);

    const dr = table((await w.kubectl(["get", "dr"])).stdout);
    assert.deepEqual(dr[0], ["NAME", "HOST", "AGE"]);
    assert.deepEqual(dr.find((row) => row[0] === "reviews")?.slice(0, 2), ["reviews", "reviews"]);

    const all = await w.kubectl(["get", "istio-io", "-A"]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /virtualservice\.networking\.istio\.io\/reviews/);
    assert.match(all.stdout, /destinationrule\.networking\.istio\.io\/reviews/);
  });

  test("-o yaml round trip: v1, last-applied, server metadata", async () => {
    const r = await w.kubectl(["get", "vs", "reviews", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const vs = JSON.parse(r.stdout);
    assert.equal(vs.apiVersion, "networking.istio.io/v1");
    assert.equal(vs.metadata.generation, 2);
    assert.match(vs.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(vs.metadata.resourceVersion, /^\d+$/);
    assert.match(vs.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const lastApplied = JSON.parse(vs.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]);
    assert.deepEqual(lastApplied.spec.http[0].route.map((r: { weight: number }) => r.weight), [50, 50]);

    // What `get -o yaml` printed applies back unchanged.
    const yaml = await w.kubectl(["get", "vs", "reviews", "-o", "yaml"]);
    const reapply = await w.kubectl(["apply", "-f", "-"], { input: yaml.stdout });
    assert.equal(reapply.code, 0, reapply.stderr);
    const after = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    assert.equal(after.metadata.generation, 2);
  });

  test("old apiVersions are accepted and come back as v1", async () => {
    const v1alpha3 = readFileSync(sample("bookinfo/networking/virtual-service-details-v2.yaml"), "utf8").replace(
      "networking.istio.io/v1",
      "networking.istio.io/v1alpha3",
    );
    const created = await w.kubectl(["apply", "-f", "-"], { input: v1alpha3.replace("name: details", "name: details-old") });
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(lines(created.stdout), ["virtualservice.networking.istio.io/details-old created"]);
    const again = await w.kubectl(["apply", "-f", "-"], { input: v1alpha3.replace("name: details", "name: details-old") });
    assert.deepEqual(lines(again.stdout), ["virtualservice.networking.istio.io/details-old unchanged"]);
    const got = JSON.parse((await w.kubectl(["get", "vs", "details-old", "-o", "json"])).stdout);
    assert.equal(got.apiVersion, "networking.istio.io/v1");

    const pa = await w.kubectl(["apply", "-f", "-"], { input: STRICT_MESH_WIDE.replace("security.istio.io/v1", "security.istio.io/v1beta1") });
    assert.equal(pa.code, 0, pa.stderr);
    const paTable = table((await w.kubectl(["get", "pa", "-n", "istio-system"])).stdout);
    assert.deepEqual(paTable[0], ["NAME", "MODE", "AGE"]);
    assert.deepEqual(paTable[1].slice(0, 2), ["default", "STRICT"]);
    const paObj = JSON.parse((await w.kubectl(["get", "pa", "default", "-n", "istio-system", "-o", "json"])).stdout);
    assert.equal(paObj.apiVersion, "security.istio.io/v1");
  });

  test("Gateway API: bookinfo Gateway + HTTPRoute", async () => {
    const r = await w.kubectl(["apply", "-f", sample("bookinfo/gateway-api/bookinfo-gateway.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      "gateway.gateway.networking.k8s.io/bookinfo-gateway created",
      "httproute.gateway.networking.k8s.io/bookinfo created",
    ]);
    const routes = table((await w.kubectl(["get", "httproute"])).stdout);
    assert.deepEqual(routes[0], ["NAME", "HOSTNAMES", "AGE"]);
    const gtw = table((await w.kubectl(["get", "gtw"])).stdout);
    assert.deepEqual(gtw[0], ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]);
    assert.equal(gtw[1][1], "istio");
  });

  test("diff shows the change and persists nothing", async () => {
    const before = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    const r = await w.kubectl(["diff", "-f", sample("bookinfo/networking/virtual-service-reviews-v3.yaml")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^-\s+subset: v1$/m);
    const after = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual(after.spec, before.spec);

    const same = await w.kubectl(["diff", "-f", sample("bookinfo/networking/virtual-service-reviews-50-v3.yaml")]);
    assert.equal(same.code, 0, same.stdout + same.stderr);
  });

  test("apply --dry-run=server persists nothing", async () => {
    const r = await w.kubectl(["apply", "--dry-run=server", "-f", sample("bookinfo/networking/virtual-service-reviews-v3.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ["virtualservice.networking.istio.io/reviews configured (server dry run)"]);
    const vs = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    assert.equal(vs.spec.http[0].route.length, 2);
    const created = await w.kubectl(["apply", "--dry-run=server", "-f", sample("bookinfo/networking/virtual-service-ratings-db.yaml")]);
    assert.equal(created.code, 0, created.stderr);
    const missing = await w.kubectl(["get", "vs", "ratings", "-o", "json"]);
    assert.deepEqual(JSON.parse(missing.stdout).spec.http[0].route[0].destination.subset, "v1");
  });

  test("apply --server-side", async () => {
    const r = await w.kubectl(["apply", "--server-side", "-f", sample("bookinfo/networking/virtual-service-reviews-v3.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ["virtualservice.networking.istio.io/reviews serverside-applied"]);
    const vs = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    assert.deepEqual(vs.spec.http[0].route, [{ destination: { host: "reviews", subset: "v3" } }]);
    const created = await w.kubectl(["apply", "--server-side", "-f", sample("bookinfo/networking/virtual-service-reviews-jason-v2-v3.yaml")]);
    assert.equal(created.code, 0, created.stderr);
  });

  test("writing into a missing namespace is NotFound", async () => {
    const r = await w.kubectl(["apply", "-n", "nowhere", "-f", sample("bookinfo/networking/virtual-service-ratings-db.yaml")]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(NotFound\).*namespaces "nowhere" not found/);
  });

  test("namespaces: create, use, delete", async () => {
    const ns = await w.kubectl(["apply", "-f", "-"], { input: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookinfo\n" });
    assert.deepEqual(lines(ns.stdout), ["namespace/bookinfo created"]);
    const vs = await w.kubectl(["apply", "-n", "bookinfo", "-f", sample("bookinfo/networking/virtual-service-ratings-db.yaml")]);
    assert.equal(vs.code, 0, vs.stderr);
    const labeled = await w.kubectl(["label", "namespace", "bookinfo", "istio-injection=enabled"]);
    assert.deepEqual(lines(labeled.stdout), ["namespace/bookinfo labeled"]);
    const del = await w.kubectl(["delete", "namespace", "bookinfo"]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await w.kubectl(["get", "namespace", "bookinfo"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /NotFound/);
    const forbidden = await w.kubectl(["delete", "namespace", "default"]);
    assert.match(forbidden.stderr, /Forbidden/);
  });

  test("delete -f, then NotFound", async () => {
    const r = await w.kubectl(["delete", "-f", sample("bookinfo/networking/virtual-service-all-v1.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      'virtualservice.networking.istio.io "productpage" deleted',
      'virtualservice.networking.istio.io "reviews" deleted',
      'virtualservice.networking.istio.io "ratings" deleted',
      'virtualservice.networking.istio.io "details" deleted',
    ]);
    const got = await w.kubectl(["get", "vs", "reviews"]);
    assert.equal(got.code, 1);
    assert.match(got.stderr, /Error from server \(NotFound\): virtualservices\.networking\.istio\.io "reviews" not found/);
  });

  test("state survives a restart of wrangler dev", async () => {
    await w.kubectl(["apply", "-f", sample("bookinfo/networking/destination-rule-reviews.yaml")]);
    const before = await w.kubectl(["get", "dr", "-o", "json"]);
    assert.ok(JSON.parse(before.stdout).items.length >= 1);
    await w.restart();
    const after = await w.kubectl(["get", "dr", "-o", "json"]);
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(JSON.parse(after.stdout).items, JSON.parse(before.stdout).items);
  });
});
