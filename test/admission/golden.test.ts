// Golden tests: each case is an AdmissionReview (review.json, pinned) and the pod the API server
// would create after applying our patch (pod.json). `UPDATE_GOLDEN=1` rebuilds both from the
// sources (Bookinfo's Deployments and Istio's injection inputs); review the diff by eye.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import type { Pod } from "../../admission/pod.ts";
import { reviewAdmission } from "../../admission/review.ts";
import { podProblems } from "./pod-schema.ts";
import { patchedPod, podFromDeployment, podReview, sampleObjects, SETTINGS } from "./support.ts";

const GOLDEN = new URL("../golden/admission/", import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === "1";

type Obj = Record<string, any>;

function withAnnotations(deployment: Obj, annotations: Record<string, string>): Obj {
  const template = deployment.spec.template;
  return { ...deployment, spec: { ...deployment.spec, template: { ...template, metadata: { ...template.metadata, annotations } } } };
}

/** Where each case's review comes from (used only with UPDATE_GOLDEN=1). */
function sources(): Record<string, Obj> {
  const cases: Record<string, Obj> = {};
  for (const d of sampleObjects("bookinfo/platform/kube/bookinfo.yaml").filter((o) => o.kind === "Deployment"))
    cases[`bookinfo-${d.metadata.name}`] = podReview(podFromDeployment(d));
  const istio = (file: string) => sampleObjects(`inject/testdata/${file}`)[0];
  cases["istio-hello-probes"] = podReview(podFromDeployment(istio("hello-probes.yaml"), "test"));
  cases["istio-traffic-annotations"] = podReview(podFromDeployment(istio("traffic-annotations.yaml")));
  cases["istio-resource-annotations"] = podReview(podFromDeployment(istio("resource_annotations.yaml")));
  cases["istio-injected-reinjected"] = podReview(podFromDeployment(istio("merge-probers.yaml")));
  cases["native-sidecar"] = podReview(podFromDeployment(withAnnotations(istio("hello.yaml"), { "sidecar.istio.io/nativeSidecar": "true" })));
  return cases;
}

const names = update
  ? Object.keys(sources())
  : existsSync(GOLDEN)
    ? readdirSync(GOLDEN)
    : [];
const built = update ? sources() : {};

test("there are golden cases", () => assert.ok(names.length >= 11, `found ${names.length} cases in ${GOLDEN}`));

for (const name of names) {
  test(`golden: ${name}`, async () => {
    const dir = `${GOLDEN}${name}/`;
    const review = update ? built[name] : JSON.parse(readFileSync(`${dir}review.json`, "utf8"));
    const result = await reviewAdmission(review, SETTINGS);
    assert.equal(result.status, 200);
    if (result.status !== 200) return;
    assert.equal(result.body.response.uid, review.request.uid);
    assert.equal(result.body.response.warnings?.some((w) => w.startsWith("sidecar not injected")) ?? false, false, String(result.body.response.warnings));
    const pod = patchedPod(review.request.object, result.body);
    if (update) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}review.json`, JSON.stringify(review, null, 2) + "\n");
      writeFileSync(`${dir}pod.json`, JSON.stringify(pod, null, 2) + "\n");
    }
    assert.deepEqual(pod, JSON.parse(readFileSync(`${dir}pod.json`, "utf8")));
    assert.deepEqual(podProblems(pod), []);

    // What `kubectl get pods` counts: the app containers plus istio-proxy (READY 2/2 for Bookinfo).
    const proxyIsNative = pod.spec.initContainers?.some((c) => c.name === "istio-proxy") ?? false;
    const apps = (review.request.object as Pod).spec.containers.filter((c) => c.name !== "istio-proxy").length;
    assert.equal(pod.spec.containers.length, apps + (proxyIsNative ? 0 : 1));
    assert.deepEqual(pod.spec.initContainers!.slice(0, 2).map((c) => c.name), ["istio-init", "istio-bootstrap"]);
    if (name.startsWith("bookinfo-")) assert.deepEqual(pod.spec.containers.map((c) => c.name).slice(-1), ["istio-proxy"]);

    // Re-injection changes nothing.
    const again = await reviewAdmission(podReview(pod, { uid: "again" }), SETTINGS);
    assert.deepEqual(patchedPod(pod, again.body as never), pod);
  });
}
