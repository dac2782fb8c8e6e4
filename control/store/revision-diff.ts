// The difference between two configs (two revisions), object by object; resourceVersion
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

function identity(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/** What changed from one config to another, object by object. */
export function diffConfigs(from: KubeObject[], to: KubeObject[]): ObjectChange[] {
  const before = new Map(from.map((o) => [identity(o), o]));
  const after = new Map(to.map((o) => [identity(o), o]));
  const describe = (o: KubeObject) => ({ kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name });
  const changes: ObjectChange[] = [];
  for (const [key, o] of before) {
    const n = after.get(key);
    if (!n) changes.push({ verb: "delete", ...describe(o), before: o });
    else if (!sameContent(o, n)) changes.push({ verb: "update", ...describe(o), before: o, after: n });
  }
  for (const [key, n] of after) if (!before.has(key)) changes.push({ verb: "create", ...describe(n), after: n });
  return changes;
}
