// Which workload a pod belongs to. Pods made by controllers arrive with generateName and no name,
// so the name comes from the controlling owner (a ReplicaSet's Deployment, found by stripping the
// pod-template-hash, as Istio does), else from generateName, else the pod's own name.
import type { Pod } from "./pod.ts";

export function workloadName(pod: Pod): string {
  const meta = pod.metadata ?? {};
  const owner = meta.generateName ? meta.ownerReferences?.find((r) => r.controller === true) : undefined;
  if (owner && typeof owner.name === "string" && owner.name !== "") {
    const hash = meta.labels?.["pod-template-hash"];
    if (owner.kind === "ReplicaSet" && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
    return owner.name;
  }
  if (meta.generateName) return meta.generateName.replace(/-+$/, "") || meta.generateName;
  return meta.name || "unknown";
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** service.istio.io/canonical-name and -revision, from the labels Istio reads, in its order; a
 *  workload name that is no valid label value (pod names may be longer) gives no canonical name. */
export function canonicalLabels(pod: Pod, workload: string): { name?: string; revision: string } {
  const labels = pod.metadata?.labels ?? {};
  const fallback = workload.length <= 63 && LABEL_VALUE.test(workload) ? workload : undefined;
  return {
    name: labels["service.istio.io/canonical-name"] ?? labels["app.kubernetes.io/name"] ?? labels.app ?? fallback,
    revision: labels["service.istio.io/canonical-revision"] ?? labels["app.kubernetes.io/version"] ?? labels.version ?? "latest",
  };
}
