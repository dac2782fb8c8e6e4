// Istio's auth.AuthorizationPoliciesAnalyzer (no-matching-workloads part), applied to the three
// security policies that select workloads the same way: AuthorizationPolicy (as Istio does),
// PeerAuthentication and RequestAuthentication (IST0127).
// - root namespace with a selector: some workload anywhere must match;
// - root namespace without one: mesh-wide, always fine;
// - other namespaces without a selector: the namespace must have a workload;
// - other namespaces with one: a workload of the namespace must match.
// Policies that use targetRef(s) are not checked here.
import { ROOT_NAMESPACE, specOf } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";
import type { Registry } from "../registry/types.ts";
import { namespaceOf, selectorString, subjectOf, workloadsIn, workloadsSelectedBy, type AnalysisInput, type Finding } from "./finding.ts";
import { noMatchingWorkloadsFound } from "./messages.ts";

interface SelectingPolicy {
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: unknown;
  targetRefs?: unknown[];
}

function check(policy: KubeObject, registry: Registry): Finding | undefined {
  const spec = specOf<SelectingPolicy>(policy);
  if (spec.targetRef || spec.targetRefs?.length) return undefined;
  const ns = namespaceOf(policy);
  const labels = spec.selector?.matchLabels;
  if (ns === ROOT_NAMESPACE) {
    if (!spec.selector || workloadsSelectedBy(registry, labels).length) return undefined;
    return noMatchingWorkloadsFound(subjectOf(policy), selectorString(labels), "spec.selector");
  }
  const local = workloadsIn(registry, ns);
  if (!spec.selector) return local.length ? undefined : noMatchingWorkloadsFound(subjectOf(policy), "");
  if (workloadsSelectedBy(registry, labels, ns).length) return undefined;
  return noMatchingWorkloadsFound(subjectOf(policy), selectorString(labels), "spec.selector");
}

export function analyzePolicySelectors({ config, registry }: AnalysisInput): Finding[] {
  const policies = [...config.authorizationPolicies, ...config.peerAuthentications, ...config.requestAuthentications];
  return policies.flatMap((p) => check(p, registry) ?? []);
}
