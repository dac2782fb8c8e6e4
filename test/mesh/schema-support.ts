// Shared by the schema-*.test.ts files: loading the upstream Istio samples, and validating objects against the
// real kinds registry (the same KindSpecs the API serves), so the tests see what a client would see.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { KINDS, apiVersionOf, kindForObject } from "../../control/mesh/kinds/index.ts";
import type { FieldError, KindSpec } from "../../control/mesh/kinds/types.ts";
import { validateObject } from "../../control/mesh/validate.ts";

export type { FieldError } from "../../control/mesh/kinds/types.ts";

/** The upstream samples, vendored in samples/ (see samples/README.md). */
export const SAMPLES = new URL("../../samples/", import.meta.url);

/** A document as read from YAML (or made by hand): loosely typed, since tests poke at any field. */
export type Doc = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; [field: string]: any } };

export interface LoadOptions {
  /** Text replacements applied before parsing, e.g. to make the `yaml` package read a fixture as go-yaml does. */
  rewrites?: readonly (readonly [from: string, to: string])[];
}

/** Every non-empty document of a samples file (path relative to SAMPLES). */
export function load(rel: string, opts: LoadOptions = {}): Doc[] {
  let text = readFileSync(new URL(rel, SAMPLES), "utf8");
  for (const [from, to] of opts.rewrites ?? []) text = text.replaceAll(from, to);
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null && typeof d === "object");
}

/** The files of a samples folder whose names pass `pick`, sorted, as paths relative to SAMPLES. */
export function sampleFiles(
  dir: string,
  pick: RegExp | ((name: string) => boolean) = /\.yaml$/,
  opts: { recursive?: boolean } = {},
): string[] {
  const keep = typeof pick === "function" ? pick : (name: string) => pick.test(name);
  return readdirSync(new URL(dir, SAMPLES), { recursive: opts.recursive ?? false, encoding: "utf8" })
    .filter(keep)
    .sort()
    .map((f) => dir + f);
}

/** The registered kind of a document, by its apiVersion and kind (undefined when the API does not serve it). */
export function kindOf(doc: { apiVersion?: unknown; kind?: unknown }): KindSpec | undefined {
  if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") return undefined;
  return kindForObject(doc.apiVersion, doc.kind);
}

/** A predicate for documents of a registered kind in one of `groups` ("" is the core group). */
export function inGroups(...groups: string[]): (doc: Doc) => boolean {
  return (doc) => {
    const spec = kindOf(doc);
    return spec !== undefined && groups.includes(spec.group);
  };
}

/** Validates a document against its registered kind; a kind the API does not serve fails the test. */
export function validate(doc: Doc): FieldError[] {
  const spec = kindOf(doc);
  assert.ok(spec, `no schema for ${doc.apiVersion} ${doc.kind}`);
  return validateObject(spec, doc);
}

/** Asserts every document of `files` that passes `ours` is valid; returns how many were checked, by kind. */
export function assertAllValid(files: string[], ours: (doc: Doc) => boolean): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of files)
    for (const doc of load(f)) {
      if (!ours(doc)) continue;
      assert.deepEqual(validate(doc), [], `${f} ${doc.kind}/${doc.metadata?.name} should be valid`);
      counts[doc.kind] = (counts[doc.kind] ?? 0) + 1;
    }
  return counts;
}

export interface ObjectDefaults {
  /** Picks the kind where a name is served by several groups (Istio's Gateway and Gateway API's). */
  group?: string;
  namespace?: string;
}

/** The one registered kind called `kind` (in `group`, when given). */
function kindNamed(kind: string, group?: string): KindSpec {
  const found = KINDS.filter((k) => k.kind === kind && (group === undefined || k.group === group));
  assert.equal(found.length, 1, `${found.length} registered kinds named ${kind}${group === undefined ? "" : ` in ${group}`}`);
  return found[0];
}

/** Validates a hand-made object of `kind`, at its storage version: `body` is everything but apiVersion, kind and metadata. */
export function errorsOf(kind: string, body: Record<string, unknown>, name = "x", defaults: ObjectDefaults = {}): FieldError[] {
  const apiVersion = apiVersionOf(kindNamed(kind, defaults.group));
  return validate({ apiVersion, kind, metadata: { name, namespace: defaults.namespace ?? "default" }, ...body } as Doc);
}

/** An `errorsOf` for files whose hand-made objects differ only in spec. */
export function specErrorsOf(defaults: ObjectDefaults = {}): (kind: string, spec: unknown) => FieldError[] {
  return (kind, spec) => errorsOf(kind, { spec }, "x", defaults);
}

/** Expects an error at `field`, optionally with `reason` and a message matching `message` (a RegExp, or a substring). */
export function expectError(errors: FieldError[], field: string, reason?: FieldError["reason"], message?: RegExp | string): FieldError {
  const hit = errors.find((e) => e.field === field);
  assert.ok(hit, `expected an error at ${field}, got ${JSON.stringify(errors, null, 2)}`);
  if (reason) assert.equal(hit.reason, reason, JSON.stringify(hit));
  if (typeof message === "string")
    assert.ok(hit.message.includes(message), `message ${JSON.stringify(hit.message)} lacks ${JSON.stringify(message)}`);
  else if (message) assert.match(hit.message, message);
  return hit;
}
