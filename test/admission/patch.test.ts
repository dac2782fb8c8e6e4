// The patch and its proof. diff() must produce what fast-json-patch's compare produces (it is that
// walk without the copies), on the golden pods and on mutated ones; the proof must refuse any patch
// that does not give the injected pod exactly or that the API server would refuse to apply.
import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch, { type Operation } from "fast-json-patch";
import { diff } from "../../admission/diff.ts";
import type { JsonNode } from "../../admission/json-node.ts";
import { injectPod } from "../../admission/inject.ts";
import { base64Json } from "../../admission/base64-json.ts";
import { patchGives, provenPatch } from "../../admission/patch.ts";
import { readPod, type Pod } from "../../admission/pod.ts";
import { mutate, prng, seedReviews } from "./fuzz.ts";
import { SETTINGS } from "./support.ts";

type Review = { request?: { object?: unknown; namespace?: unknown } };

/** Pods and their injected versions: the golden cases, then mutated ones the injector accepts. */
function injections(mutated: number): { pod: Pod; injected: Pod }[] {
  const seeds = seedReviews() as Review[];
  const rand = prng(7);
  const reviews = [...seeds, ...Array.from({ length: mutated }, (_, i) => mutate(seeds[i % seeds.length] as never, rand) as Review)];
  const out: { pod: Pod; injected: Pod }[] = [];
  for (const review of reviews) {
    const read = readPod(review.request?.object);
    if ("problem" in read) continue;
    const result = injectPod(read.pod, { namespace: "default" }, SETTINGS);
    if (!("problem" in result)) out.push({ pod: read.pod, injected: result.pod });
  }
  return out;
}

test("diff gives the operations fast-json-patch's compare gives", () => {
  const cases = injections(2000);
  assert.ok(cases.length > 1000, `${cases.length} injectable pods`);
  for (const { pod, injected } of cases) {
    const ours = diff(pod as unknown as JsonNode, injected as unknown as JsonNode);
    assert.deepEqual(ours, jsonpatch.compare(pod, injected));
  }
});

test("diff shares the target's values instead of copying them", () => {
  const { pod, injected } = injections(0)[0];
  const added = diff(pod as unknown as JsonNode, injected as unknown as JsonNode).find((op) => op.path === "/spec/initContainers");
  assert.equal((added as { value: unknown } | undefined)?.value, injected.spec.initContainers);
});

test("every golden injection's patch is proved", () => {
  for (const { pod, injected } of injections(0)) assert.ok(provenPatch(pod, injected));
});

test("the proof refuses a patch that does not give the injected pod exactly", () => {
  const { pod, injected } = injections(0)[0];
  const patch = provenPatch(pod, injected)!;
  const wrong: Record<string, Operation[]> = {
    "an operation missing": patch.slice(1),
    "an operation twice": [...patch, patch.find((op) => op.path === "/spec/containers/1")!],
    "a value that differs": patch.map((op) => (op.path === "/spec/containers/1" ? { ...op, value: { name: "other" } } : op)) as Operation[],
    "an array index off by one": patch.map((op) =>
      op.path === "/spec/volumes/1" ? { ...op, path: "/spec/volumes/0" } : op,
    ),
    // Both give the injected pod when applied leniently; the API server refuses them, and so must the proof.
    "a replace of a member that is not there": patch.map((op) => (op.path === "/spec/initContainers" ? { ...op, op: "replace" } : op)) as Operation[],
    "a remove of a member that is not there": [...patch, { op: "remove", path: "/metadata/nothing" }],
    "an unknown operation": [...patch, { op: "merge", path: "/metadata", value: {} } as unknown as Operation],
    "an index past the end of an array": [...patch, { op: "add", path: "/spec/volumes/99", value: { name: "x" } }],
  };
  for (const [what, ops] of Object.entries(wrong)) assert.equal(patchGives(pod, ops, injected), false, what);
  assert.equal(patchGives(pod, patch, injected), true);
});

test("the proof refuses a value JSON cannot carry", () => {
  const { pod, injected } = injections(0)[0];
  // JSON.stringify would drop `a`, so the API server would get a pod without it.
  const unsendable = { ...injected, metadata: { ...injected.metadata, extra: { a: undefined } } } as Pod;
  assert.equal(provenPatch(pod, unsendable), undefined);
});

test("the proof writes neither the original nor the injected pod, whatever the patch", () => {
  const { pod, injected } = injections(0)[0];
  const [podBefore, injectedBefore] = [structuredClone(pod), structuredClone(injected)];
  const patch = provenPatch(pod, injected)!;
  const wrong: Record<string, Operation[]> = {
    // Writes into a value an earlier operation added, which is the injected pod's own object.
    "an edit inside an added value": [...patch, { op: "replace", path: "/spec/initContainers/0/name", value: "renamed" }],
    "a move out of the original": [...patch, { op: "move", from: "/spec/containers/0/name", path: "/metadata/moved" }],
    "a root replace, then an edit": [{ op: "replace", path: "", value: injected }, { op: "replace", path: "/spec/containers/0/name", value: "x" }],
  };
  for (const [what, ops] of Object.entries(wrong)) assert.equal(patchGives(pod, ops, injected), false, what);
  assert.ok(provenPatch(pod, injected));
  assert.deepEqual(pod, podBefore);
  assert.deepEqual(injected, injectedBefore);
});

test("base64Json is the base64 of the JSON, for ASCII and non-ASCII text of any length", () => {
  const decode = (b64: string): unknown => JSON.parse(Buffer.from(b64, "base64").toString("utf8"));
  for (const text of ["", "plain", "ü-√-💥", "x".repeat(70_000), `${"y".repeat(50_000)}é`, "\ud800 lone surrogate", "tab\tquote\"nul\u0000"]) {
    const value = [{ op: "add", path: "/metadata/labels/a", value: text }];
    const b64 = base64Json(value);
    assert.match(b64, /^[A-Za-z0-9+/]*={0,2}$/);
    assert.deepEqual(decode(b64), value, text.slice(0, 20));
  }
});
