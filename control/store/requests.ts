// What the API asks of the store. Plain data, because it crosses the Durable Object RPC boundary.
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { KubeStatus } from "../api/status.ts";

export interface ResourceRef {
  group: string;
  plural: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
}

export type PatchType = "merge" | "strategic" | "json" | "apply";

export type WriteRequest = ResourceRef & { dryRun: boolean } & (
    | { op: "create"; body: KubeObject }
    | { op: "replace"; name: string; body: KubeObject }
    | { op: "patch"; name: string; patchType: PatchType; patch: unknown }
    | { op: "delete"; name: string; preconditions?: { resourceVersion?: string; uid?: string } }
  );

export type WriteResult = { ok: true; code: 200 | 201; object: KubeObject } | { ok: false; status: KubeStatus };

export interface ListResult {
  items: KubeObject[];
  /** The mesh revision the list was read at (a list's resourceVersion). */
  revision: number;
}
