// The proxy read path: which document a workload gets, and whether it changed. It is a lookup
// in immutable published state, never a computation, and never moves a client backwards:
// a client that already holds a newer version than this location has seen gets a 304.
import type { WorkloadIndex } from "../store/workload-state.ts";
import { mayRead, type Caller } from "./caller.ts";

/** `xds`: the workload's Envoy resources, with placeholders (control/xds/template.ts). */
export type DocumentKind = "filter-config" | "snapshot" | "xds";

export interface ServedWorkload {
  revision: number;
  serviceAccount: string;
  filterConfig: string;
  snapshot: string;
  /** Absent only for stores older than the xDS documents. */
  xds?: string;
}

/** Where the read path looks, cheapest first. */
export interface ReadPathSources {
  /** The newest fully published revision (cached per location for a few seconds). */
  pointer(): Promise<number>;
  /** The immutable index for a revision, or null when this location's KV does not have it yet. */
  index(revision: number): Promise<WorkloadIndex | null>;
  /** An immutable document, or null when not replicated here yet. */
  document(kind: DocumentKind, revision: number, workload: string): Promise<string | null>;
  /** The Durable Object's current state for a workload (the fallback on any miss). */
  authoritative(workload: string): Promise<ServedWorkload | null>;
}

export type ReadResult =
  | { status: 200; etag: string; body: string }
  | { status: 304; etag: string }
  | { status: 403 | 404; message: string };

/** `"12"`, `W/"12"` or `12` → 12; anything else → undefined. */
export function parseETag(header: string | undefined): number | undefined {
  const m = header && /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  return m ? Number(m[1]) : undefined;
}

export const etagOf = (revision: number) => `"${revision}"`;

export async function readWorkloadDocument(
  sources: ReadPathSources,
  workload: string,
  kind: DocumentKind,
  caller: Caller,
  ifNoneMatch: string | undefined,
): Promise<ReadResult> {
  const namespace = workload.split("/")[0];
  const index = await sources.index(await sources.pointer());
  let entry = index?.workloads[workload];
  let authoritative: ServedWorkload | null = null;
  if (!entry) {
    // Not in this location's view yet (new workload, or KV still replicating): ask the source of truth.
    authoritative = await sources.authoritative(workload);
    if (!authoritative) return { status: 404, message: `workload ${workload} is not in the mesh` };
    entry = [authoritative.revision, authoritative.serviceAccount];
  }
  const [revision, serviceAccount] = entry;
  if (!mayRead(caller, namespace, serviceAccount))
    return { status: 403, message: `this token may not read the config of ${workload} (service account ${serviceAccount})` };
  const held = parseETag(ifNoneMatch);
  if (held !== undefined && held >= revision) return { status: 304, etag: etagOf(held) };
  const body = authoritative ? null : await sources.document(kind, revision, workload);
  if (body !== null) return { status: 200, etag: etagOf(revision), body };
  const current = authoritative ?? (await sources.authoritative(workload));
  if (!current) return { status: 404, message: `workload ${workload} is not in the mesh` };
  if (held !== undefined && held >= current.revision) return { status: 304, etag: etagOf(held) };
  return { status: 200, etag: etagOf(current.revision), body: kind === "snapshot" ? current.snapshot : kind === "xds" ? (current.xds ?? "{}") : current.filterConfig };
}
