// Objects never exist without their namespace. Deleting a namespace deletes its contents a
// moment later (a pending cascade, config-store.ts); a rollback makes the whole config what it
// was at a revision at once, so it supersedes every pending cascade: a namespace it restores keeps
// its objects, and objects of a namespace that is gone at that revision are not restored.
import type { KubeObject } from "../mesh/kinds/types.ts";
import { objectKey } from "./tables.ts";

const NAMESPACES = "/namespaces";

/** The config without the namespaced objects whose namespace it does not hold. */
export function withoutOrphans(config: Map<string, KubeObject>): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const [key, obj] of config) {
    const namespace = key.split("|")[1];
    if (namespace === "" || config.has(objectKey(NAMESPACES, "", namespace))) out.set(key, obj);
  }
  return out;
}

/** Drops every pending cascade: the rollback that calls this leaves no orphan for one to remove. */
export function cancelPendingCascades(sql: SqlStorage): void {
  sql.exec("DELETE FROM pending_cascades");
}
