// The answer's JSON text: the base64 patch is spliced in rather than re-serialised, so check that
// the text is exactly the review's JSON value, with a patch and without one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createAdmissionApp } from "../../admission/index.ts";
import { admissionReviewJson } from "../../admission/review-json.ts";
import { reviewAdmission, type AdmissionReviewOut } from "../../admission/review.ts";
import { podFromDeployment, podReview, sampleObjects, SETTINGS } from "./support.ts";

const deployment = sampleObjects("bookinfo/platform/kube/bookinfo.yaml").find((o) => o.kind === "Deployment")!;

test("the answer's JSON text is the answer, with and without a patch", async () => {
  const injected = await reviewAdmission(podReview(podFromDeployment(deployment)), SETTINGS);
  const skipped = await reviewAdmission(podReview(podFromDeployment(deployment), { namespace: "kube-system" }), SETTINGS);
  for (const result of [injected, skipped]) {
    assert.equal(result.status, 200);
    const review = result.body as AdmissionReviewOut;
    assert.deepEqual(JSON.parse(admissionReviewJson(review)), review);
  }
  assert.ok((injected.body as AdmissionReviewOut).response.patch);
  assert.equal((skipped.body as AdmissionReviewOut).response.patch, undefined);
});

test("POST /inject answers application/json", async () => {
  const res = await createAdmissionApp().request("https://mesh.example.com/inject", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(podReview(podFromDeployment(deployment))),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(JSON.parse(await res.text()).response.patchType, "JSONPatch");
});
