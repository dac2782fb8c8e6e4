// Istio's destinationrule.SubsetSelectPodAnalyzer: a DestinationRule host must name a service
// (IST0174), and each subset must select at least one workload (IST0173).
// A subset's endpoints are the service's workloads (its selector, in its namespace) that carry
// the subset labels, as the proxy computes them; a ServiceEntry's inline endpoints count too.
// Istio's analyzer matches the subset labels alone against every pod of every namespace, so it
// misses a subset whose labels only occur on another service's pods (Bookinfo's ratings `v2`,
// which reviews-v2's `version: v2` satisfies); we report those.
import { specOf } from "../config.ts";
import type { Subset } from "../compile/destination-rules.ts";
import { resolveHost } from "../hosts.ts";
import { visibleFrom, type MeshService, type Registry } from "../registry/types.ts";
import { labelsSelect, namespaceOf, servicesForHost, serviceWorkloads, subjectOf, type AnalysisInput, type Finding } from "./finding.ts";
import { destinationRuleSubsetNotSelectPods, unknownDestinationRuleHost } from "./messages.ts";

function subsetSelects(registry: Registry, service: MeshService, labels: Record<string, string> | undefined): boolean {
  if (serviceWorkloads(registry, service).some((w) => labelsSelect(labels, w.labels))) return true;
  return (service.staticEndpoints ?? []).some((e) => labelsSelect(labels, e.labels ?? {}));
}

export function analyzeSubsets({ config, registry }: AnalysisInput): Finding[] {
  const out: Finding[] = [];
  for (const dr of config.destinationRules) {
    const spec = specOf<{ host: string; subsets?: Subset[] }>(dr);
    const host = resolveHost(spec.host, namespaceOf(dr));
    const services = servicesForHost(registry, host, true).filter((s) => visibleFrom(s, namespaceOf(dr)));
    if (services.length === 0) {
      out.push(unknownDestinationRuleHost(subjectOf(dr), spec.host, "spec.host"));
      continue;
    }
    (spec.subsets ?? []).forEach((subset, i) => {
      if (!services.some((s) => subsetSelects(registry, s, subset.labels)))
        out.push(destinationRuleSubsetNotSelectPods(subjectOf(dr), subset.name, `spec.subsets[${i}]`));
    });
  }
  return out;
}
