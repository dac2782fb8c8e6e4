// What one workload may be served, and what one part may hold (issue 18, item 7). Shared parts
// (control/served/) keep storage from multiplying, but a workload's documents still grow with
// what it sees: every virtual host and cluster of its view, and every policy that selects it.
// Two budgets, checked on the write that would pass them, with a Status naming the object:
//   - a workload's assembled snapshot: at most MESH_MAX_SERVED_BYTES_PER_WORKLOAD (default
//     64 MiB): the filters parse it whole, in a wasm heap, on every proxy of the workload (a
//     sidecar that sees all of a 5,000-service mesh is served ~15 MB);
//   - one part (a virtual host, a workload's authorization table...): at most 1.75 MiB, under
//     the Durable Object's 2 MB limit on one SQLite value, past which a compile fails for all.
// Checking means compiling the config as the write would leave it, so it runs only when the
// write could come near a budget: a large object, or when the largest workload as last measured
// (by a compile or a check) plus GROWTH_FACTOR times what was written since could pass it.
import { status, type KubeStatus, qualifiedResource } from "../api/status.ts";
import type { Env } from "../env.ts";
import { compilerReads } from "../mesh/config.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { compileSplit, meshInputs } from "../served/compile-split.ts";
import type { SplitMesh } from "../served/split.ts";
import { storedBytes } from "./quota.ts";

const DEFAULT_MAX_SERVED_BYTES_PER_WORKLOAD = 64 * 1024 * 1024;
/** How much a written object can add to one workload's documents, per stored byte: a Service's
 *  virtual host (its domains) and clusters come to ~10x its size; a rule, about its own size. */
const GROWTH_FACTOR = 16;
/** Below the 2 MB a Durable Object stores in one SQLite value. */
export const MAX_PART_BYTES = 1.75 * 1024 * 1024;
/** A written object this large is checked whatever the mesh's size. */
const CHECK_OBJECTS_FROM_BYTES = 16 * 1024;

export function maxServedBytesPerWorkload(env: Pick<Env, "MESH_MAX_SERVED_BYTES_PER_WORKLOAD">): number {
  const n = Number(env.MESH_MAX_SERVED_BYTES_PER_WORKLOAD ?? DEFAULT_MAX_SERVED_BYTES_PER_WORKLOAD);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_SERVED_BYTES_PER_WORKLOAD;
}

/** The largest workload and the largest part of a compile. */
export interface ServedSizes {
  workload: { key: string; bytes: number };
  part: { bytes: number; usedBy: string };
}

/** Sizes of a split compile: each workload's parts summed (its snapshot's size, but for punctuation); views counted once. */
export function servedSizes(split: SplitMesh): ServedSizes {
  const sizes: ServedSizes = { workload: { key: "", bytes: 0 }, part: { bytes: 0, usedBy: "" } };
  const partBytes = (hash: string, usedBy: string) => {
    const length = split.parts.get(hash)?.length ?? 0;
    if (length > sizes.part.bytes) sizes.part = { bytes: length, usedBy };
    return length;
  };
  const viewBytes = new Map<string, number>();
  for (const [key, w] of split.workloads) {
    let view = viewBytes.get(w.parts.view);
    if (view === undefined) {
      const { router, clusters } = split.views.get(w.parts.view)!.parts;
      view = [...router.flatMap(([, hosts]) => hosts), ...clusters].reduce((n, hash) => n + partBytes(hash, key), 0);
      viewBytes.set(w.parts.view, view);
    }
    const own = [w.parts.identity, w.parts.authz, w.parts.inbound, ...(w.parts.listeners ? [w.parts.listeners] : [])];
    const bytes = view + own.reduce((n, hash) => n + partBytes(hash, key), 0);
    if (bytes > sizes.workload.bytes) sizes.workload = { key, bytes };
  }
  return sizes;
}

/**
 * The budgets of one store: what the last compile served at most, and what was written since,
 * decide whether a write must be checked by compiling.
 */
export class ServedBudget {
  private largest = 0;
  private writtenSince = 0;

  constructor(readonly maxPerWorkload: number) {}

  compiled(split: SplitMesh): void {
    this.largest = servedSizes(split).workload.bytes;
    this.writtenSince = 0;
  }

  /** A Status when the write of `written` (serialized as `json`; the config then being `after()`) would pass a budget. */
  check(spec: KindSpec, written: KubeObject, json: string, after: () => Iterable<KubeObject>): KubeStatus | undefined {
    if (!compilerReads(written)) return undefined;
    const bytes = storedBytes(json);
    this.writtenSince += bytes;
    if (bytes < CHECK_OBJECTS_FROM_BYTES && this.largest + GROWTH_FACTOR * this.writtenSince <= this.maxPerWorkload) return undefined;
    const sizes = servedSizes(compileSplit(meshInputs(after()), 0));
    const problem = budgetProblem(sizes, spec, written.metadata.name, this.maxPerWorkload);
    // A check is a measurement too: the next one waits until enough is written to matter again.
    if (!problem) {
      this.largest = sizes.workload.bytes;
      this.writtenSince = 0;
    }
    return problem;
  }
}

/** The budget a config of these sizes passes, as a Status naming the object written; undefined within budget. */
function budgetProblem(sizes: ServedSizes, spec: KindSpec, name: string, budget: number): KubeStatus | undefined {
  const what = `${qualifiedResource(spec)} "${name}"`;
  const details = { name, group: spec.group, kind: spec.plural };
  if (sizes.workload.bytes > budget)
    return status(
      413,
      "RequestEntityTooLarge",
      `Request entity too large: with ${what} workload ${sizes.workload.key} would be served ${sizes.workload.bytes} bytes of configuration; ` +
        `a workload may be served at most ${budget} bytes (MESH_MAX_SERVED_BYTES_PER_WORKLOAD): narrow what it sees (exportTo, a Sidecar's egress hosts) or split the object`,
      details,
    );
  if (sizes.part.bytes > MAX_PART_BYTES)
    return status(
      413,
      "RequestEntityTooLarge",
      `Request entity too large: with ${what} one part of workload ${sizes.part.usedBy}'s configuration (a virtual host, or its authorization policies) ` +
        `would be ${sizes.part.bytes} bytes; a part may be at most ${MAX_PART_BYTES} bytes`,
      details,
    );
  return undefined;
}
