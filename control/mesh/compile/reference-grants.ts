// Gateway API ReferenceGrant: a reference to an object in another namespace holds only when a
// ReferenceGrant in the target's namespace lets the referring kind and namespace (`from`) reach
// the target's kind and, when it names one, its name (`to`). Same-namespace references need none.
import { specOf } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

export interface ReferenceGrantSpec {
  from: { group: string; kind: string; namespace: string }[];
  to: { group: string; kind: string; name?: string }[];
}

/** Who refers: the referring object's group, kind and namespace. */
export interface Referrer {
  group: string;
  kind: string;
  namespace: string;
}

/** What is referred to (group "" is the core group). */
export interface Referent {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export function referencePermitted(grants: readonly KubeObject[], from: Referrer, to: Referent): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some((grant) => {
    if (grant.metadata.namespace !== to.namespace) return false;
    const spec = specOf<ReferenceGrantSpec>(grant);
    return (
      spec.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      spec.to.some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === "" || t.name === to.name))
    );
  });
}
