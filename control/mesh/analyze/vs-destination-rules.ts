// Istio's virtualservice.DestinationRuleAnalyzer: a destination subset must be defined by the
// DestinationRule that applies to it (IST0101 "host+subset in destinationrule", or
// "mirror+subset in destinationrule"). Unlike Istio, which accepts a subset defined by any rule
// for the host, we look the rule up the way the proxy does: the VirtualService's namespace
// (standing for its clients), then the service's, then the root namespace.
import { findDestinationRule } from "../compile/destination-rules.ts";
import { CLUSTER_DOMAIN, resolveHost } from "../hosts.ts";
import { findService, namespaceOf, subjectOf, type AnalysisInput, type Finding, destinationRulesFor } from "./finding.ts";
import { referencedResourceNotFound } from "./messages.ts";
import { routeDestinations } from "./vs-destinations.ts";

/** `reviews.bar.svc.cluster.local` → `bar`; other hosts → undefined. */
function kubernetesNamespace(host: string): string | undefined {
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  return host.endsWith(suffix) ? host.slice(0, -suffix.length).split(".")[1] : undefined;
}

export function analyzeDestinationSubsets({ config, registry }: AnalysisInput): Finding[] {
  const out: Finding[] = [];
  for (const vs of config.virtualServices) {
    const namespace = namespaceOf(vs);
    for (const { destination: d, path, mirror } of routeDestinations(vs)) {
      if (!d.subset) continue;
      const host = resolveHost(d.host, namespace);
      const serviceNamespace = findService(registry, host, namespace)?.namespace ?? kubernetesNamespace(host) ?? namespace;
      const rule = findDestinationRule(destinationRulesFor(config, host), host, namespace, serviceNamespace);
      if (rule?.spec.subsets?.some((s) => s.name === d.subset)) continue;
      const reftype = mirror ? "mirror+subset in destinationrule" : "host+subset in destinationrule";
      out.push(referencedResourceNotFound(subjectOf(vs), reftype, `${d.host}+${d.subset}`, `${path}.subset`));
    }
  }
  return out;
}
