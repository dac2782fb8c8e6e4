// The proxy read path: which documents a workload gets, and whether they changed. It is a lookup
// in immutable published state (control/served/model.ts) plus string concatenation, never a
// compile, and never moves a client backwards: a client that already holds a newer version
// than this location has seen gets a 304.
import { filterConfigJson, partsNeeded, snapshotJson, type PartText } from "../served/assemble.ts";
import { servedVersion, shardOf, type ServedIndex, type ServedWorkload, type ViewParts, type WorkloadEntry } from "../served/model.ts";
import { mayRead, type Caller } from "./caller.ts";

export type DocumentKind = "filter-config" | "snapshot";

/** Where the read path looks, cheapest first. */
export interface ReadPathSources {
  /** The newest fully published revision (cached per location for a few seconds). */
  pointer(): Promise<number>;
  /** The immutable index of a revision, or null when this location's KV does not have it yet. */
  index(revision: number): Promise<ServedIndex | null>;
  /** One immutable shard of workload entries, or null when not replicated here yet. */
  shard(n: number, revision: number): Promise<Record<string, WorkloadEntry> | null>;
  /** Immutable parts by hash; null when any is not replicated here yet. */
  parts(hashes: string[]): Promise<PartText | null>;
  /** A view, its index and chunks read (parts too); null when not replicated here yet. */
  view(hash: string): Promise<ViewParts | null>;
  /** The router table of a view, assembled once per view and location. */
  router(hash: string, view: ViewParts, part: PartText): string;
  /** The Durable Object's current state for a workload (the fallback on any miss). */
  authoritative(workload: string): Promise<ServedWorkload | null>;
}

export type ReadResult =
  | { status: 200; etag: string; version: number; served: ServedDocuments }
  | { status: 304; etag: string }
  | { status: 403 | 404; message: string };

/** A workload's documents, each assembled only when asked for. */
export interface ServedDocuments {
  filterConfig(): string;
  snapshot(): string;
  targetPorts: Record<string, number | string>;
}

/** `"12"`, `W/"12"` or `12` → 12; anything else → undefined. */
export function parseETag(header: string | undefined): number | undefined {
  const m = header && /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  return m ? Number(m[1]) : undefined;
}

export const etagOf = (revision: number) => `"${revision}"`;

const notInMesh = (workload: string): ReadResult => ({ status: 404, message: `workload ${workload} is not in the mesh` });
const forbidden = (workload: string, serviceAccount: string): ReadResult => ({
  status: 403,
  message: `this token may not read the config of ${workload} (service account ${serviceAccount})`,
});

export async function readWorkload(sources: ReadPathSources, workload: string, caller: Caller, ifNoneMatch: string | undefined): Promise<ReadResult> {
  const namespace = workload.split("/")[0];
  const held = parseETag(ifNoneMatch);
  const index = await sources.index(await sources.pointer());
  const entry = index ? (await sources.shard(shardOf(workload), index.shards[shardOf(workload)]))?.[workload] : undefined;
  const view = entry && index!.views[entry[2].view];
  if (entry && view) {
    const [, serviceAccount, own] = entry;
    if (!mayRead(caller, namespace, serviceAccount)) return forbidden(workload, serviceAccount);
    const version = servedVersion(entry, view);
    if (held !== undefined && held >= version) return { status: 304, etag: etagOf(held) };
    const viewIndex = await sources.view(view[1]);
    const part = viewIndex && (await sources.parts(partsNeeded(viewIndex, own)));
    if (viewIndex && part) {
      const router = sources.router(view[1], viewIndex, part);
      return {
        status: 200,
        etag: etagOf(version),
        version,
        served: {
          filterConfig: () => filterConfigJson(workload, version, viewIndex, own, part, router),
          snapshot: () => snapshotJson(viewIndex, own, part, router),
          targetPorts: viewIndex.targetPorts,
        },
      };
    }
  }
  // Not in this location's view yet (new workload, or KV still replicating): ask the source of truth.
  const current = await sources.authoritative(workload);
  if (!current) return notInMesh(workload);
  if (!mayRead(caller, namespace, current.serviceAccount)) return forbidden(workload, current.serviceAccount);
  if (held !== undefined && held >= current.revision) return { status: 304, etag: etagOf(held) };
  return {
    status: 200,
    etag: etagOf(current.revision),
    version: current.revision,
    served: { filterConfig: () => current.filterConfig, snapshot: () => current.snapshot, targetPorts: current.targetPorts },
  };
}
