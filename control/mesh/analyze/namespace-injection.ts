// Istio's injection.Analyzer, NamespaceNotInjected part (IST0102, Info): a namespace with
// Deployments but neither an `istio-injection` label (any value: `disabled` is a deliberate
// choice) nor an `istio.io/rev` label. Istio checks every Namespace object; we check the
// namespaces that run Deployments, with or without a stored Namespace object. Istio's and
// Kubernetes' system namespaces and ambient namespaces are skipped.
import { ROOT_NAMESPACE } from "../config.ts";
import type { AnalysisInput, Finding } from "./finding.ts";
import { namespaceOf } from "./finding.ts";
import { namespaceNotInjected } from "./messages.ts";

/** Istio's inject.IgnoredNamespaces plus its own namespace. */
const SKIPPED = new Set([ROOT_NAMESPACE, "kube-system", "kube-public", "kube-node-lease", "local-path-storage"]);

export function analyzeNamespaceInjection({ config }: AnalysisInput): Finding[] {
  const labels = new Map(config.namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const namespaces = [...new Set(config.deployments.map(namespaceOf))].sort();
  return namespaces
    .filter((ns) => {
      const l = labels.get(ns) ?? {};
      if (SKIPPED.has(ns) || l["istio.io/dataplane-mode"] === "ambient") return false;
      return l["istio-injection"] === undefined && l["istio.io/rev"] === undefined;
    })
    .map((ns) => namespaceNotInjected({ kind: "Namespace", namespace: ns, name: ns }, ns, "metadata.labels"));
}
