// Which policies apply to a workload: Istio's scoping by root namespace, namespace, selector
// and targetRefs, shared by PeerAuthentication, AuthorizationPolicy and RequestAuthentication.
import { ROOT_NAMESPACE, specOf } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";
import { hasKeys } from "../objects.ts";
import { gatewayWorkloadName } from "../registry/index.ts";
import { selectorMatches, type Registry, type Workload } from "../registry/types.ts";

interface Scoped {
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: TargetRef;
  targetRefs?: TargetRef[];
}

interface TargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** Does `target` name this workload: its Gateway API Gateway, or a Service that selects it? */
function targets(ref: TargetRef, policyNamespace: string, workload: Workload, registry: Registry): boolean {
  if ((ref.namespace ?? policyNamespace) !== workload.namespace) return false;
  if (ref.kind === "Gateway") return workload.kind === "Gateway" && workload.name === gatewayWorkloadName(ref.name);
  if (ref.kind === "Service")
    return registry.services.some(
      (s) => s.kind === "Service" && s.namespace === workload.namespace && s.name === ref.name && selectorMatches(s.selector, workload.labels),
    );
  return false;
}

/** The level a policy applies at for this workload, or undefined when it does not apply. */
export type Scope = "mesh" | "namespace" | "workload";

export function policyScope(policy: KubeObject, workload: Workload, registry: Registry): Scope | undefined {
  const spec = specOf<Scoped>(policy);
  const ns = policy.metadata.namespace ?? "";
  const refs = spec.targetRefs ?? (spec.targetRef && [spec.targetRef]);
  if (refs?.length) return refs.some((r) => targets(r, ns, workload, registry)) ? "workload" : undefined;
  const labels = spec.selector?.matchLabels;
  const hasSelector = hasKeys(labels);
  if (ns === ROOT_NAMESPACE) {
    if (!hasSelector) return "mesh";
    return selectorMatches(labels, workload.labels) ? "workload" : undefined;
  }
  if (ns !== workload.namespace) return undefined;
  if (!hasSelector) return "namespace";
  return selectorMatches(labels, workload.labels) ? "workload" : undefined;
}

export function applicablePolicies(policies: KubeObject[], workload: Workload, registry: Registry): KubeObject[] {
  return policies.filter((p) => policyScope(p, workload, registry) !== undefined);
}
