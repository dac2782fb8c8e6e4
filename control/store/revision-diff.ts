// The difference between two revisions, object by object; resourceVersion
// alone does not make an object "changed".
import type { KubeObject } from "../mesh/kinds/types.ts";
import { sortKeys } from "./objects.ts";

export interface ObjectChange {
  verb: "create" | "update" | "delete";
  kind: string;
  namespace: string;
  name: string;
  before?: KubeObject;
  after?: KubeObject;
}

function comparable(o: KubeObject): string {
  return JSON.stringify(sortKeys({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } }));
}

/** Equal but for resourceVersion. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  return comparable(a) === comparable(b);
}

function describe(o: KubeObject) {
  return { kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name };
}

/** How one object changed between two revisions (null where it did not exist); none when only its resourceVersion did. */
export function objectChange(before: KubeObject | null, after: KubeObject | null): ObjectChange[] {
  if (before && after) return sameContent(before, after) ? [] : [{ verb: "update", ...describe(before), before, after }];
  if (before) return [{ verb: "delete", ...describe(before), before }];
  if (after) return [{ verb: "create", ...describe(after), after }];
  return [];
}
