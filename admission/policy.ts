// Should this pod get a sidecar? Istio's precedence, first match wins:
//   system namespace / hostNetwork → no;
//   namespace label istio-injection=disabled (when the config API knows the namespace) → no;
//   pod label sidecar.istio.io/inject → its value (the label beats the annotation);
//   pod annotation sidecar.istio.io/inject → its value;
//   otherwise yes: the API server only calls the webhook when Istio's selectors (webhook-config.ts)
//   opted the namespace or the pod in, so being asked means it did.
import type { Pod } from "./pod.ts";

export const INJECT_KEY = "sidecar.istio.io/inject";
export const NAMESPACE_LABEL = "istio-injection";

/** Namespaces whose pods are never injected (the cluster's own machinery). */
export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(["kube-system", "kube-public", "kube-node-lease", "local-path-storage"]);

export interface InjectionDecision {
  inject: boolean;
  reason: string;
}

/** Istio reads YAML 1.1 booleans: y, yes, true, on (any case) mean true; anything else false
 *  (an empty value counts as unset). */
function truthy(value: string): boolean {
  return ["y", "yes", "true", "on"].includes(value.toLowerCase());
}

/**
 * @param namespaceLabels the namespace's labels when the config API knows the namespace, else undefined.
 */
export function injectionDecision(pod: Pod, namespace: string, namespaceLabels: Record<string, string> | undefined): InjectionDecision {
  if (SYSTEM_NAMESPACES.has(namespace)) return { inject: false, reason: `namespace ${namespace} is a system namespace` };
  if (pod.spec.hostNetwork === true) return { inject: false, reason: "the pod uses the host network" };
  if (namespaceLabels?.[NAMESPACE_LABEL] === "disabled")
    return { inject: false, reason: `namespace ${namespace} has ${NAMESPACE_LABEL}=disabled` };
  const label = pod.metadata?.labels?.[INJECT_KEY];
  if (label) return { inject: truthy(label), reason: `pod label ${INJECT_KEY}=${label}` };
  const annotation = pod.metadata?.annotations?.[INJECT_KEY];
  if (annotation) return { inject: truthy(annotation), reason: `pod annotation ${INJECT_KEY}=${annotation}` };
  return { inject: true, reason: `namespace ${namespace} is selected for injection (${NAMESPACE_LABEL}=enabled)` };
}
