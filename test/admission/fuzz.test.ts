// 10,000 mutated AdmissionReviews through reviewAdmission: never a throw, never a status but 200 or
// 400, and every patch applies (validated by fast-json-patch) and adds each of our containers once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { reviewAdmission } from "../../admission/review.ts";
import { mutate, prng, seedReviews } from "./fuzz.ts";
import { patchedPod, SETTINGS } from "./support.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20260501);
const RUNS = 10_000;

test(`fuzz: ${RUNS} mutated reviews (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const rand = prng(SEED);
  const seeds = seedReviews();
  const seen = { injected: 0, allowedUnchanged: 0, rejected: 0 };
  for (let i = 0; i < RUNS; i++) {
    const review = mutate(seeds[i % seeds.length], rand) as { request?: { object?: unknown; uid?: unknown } };
    const where = `run ${i} (seed ${SEED}): ${JSON.stringify(review).slice(0, 400)}`;
    const result = await reviewAdmission(review, SETTINGS);
    if (result.status === 400) {
      assert.equal(result.body.kind, "Status", where);
      seen.rejected++;
      continue;
    }
    assert.equal(result.status, 200, where);
    assert.equal(result.body.response.uid, review.request?.uid, where);
    if (!result.body.response.patch) {
      seen.allowedUnchanged++;
      continue;
    }
    const pod = patchedPod(review.request!.object, result.body);
    const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name);
    for (const ours of ["istio-init", "istio-bootstrap", "istio-proxy"])
      assert.equal(names.filter((n) => n === ours).length, 1, `${ours} in ${names.join(",")}; ${where}`);
    seen.injected++;
  }
  // The mutations must exercise every outcome, or the fuzz proves little.
  for (const [outcome, n] of Object.entries(seen)) assert.ok(n > RUNS / 50, `${outcome}: ${n} of ${RUNS}`);
  console.log(`# fuzz outcomes: ${JSON.stringify(seen)}`);
});
