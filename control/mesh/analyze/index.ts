// `istioctl analyze` for the mesh: pure functions over the configuration and the registry.
// One analyzer per file, after Istio's pkg/config/analysis/analyzers; codes, levels and message
// texts are Istio's (messages.ts).
import type { MeshConfig } from "../config.ts";
import type { Registry } from "../registry/types.ts";
import { analyzeSubsets } from "./dr-subsets.ts";
import { CLUSTER_SCOPED, type Analyzer, type Finding, type Level } from "./finding.ts";
import { analyzeHttpRouteRefs } from "./httproute-refs.ts";
import { analyzeMtlsConflicts } from "./mtls-conflict.ts";
import { analyzeNamespaceInjection } from "./namespace-injection.ts";
import { analyzePolicySelectors } from "./policy-selectors.ts";
import { analyzeConflictingMeshHosts } from "./vs-conflicting-mesh-hosts.ts";
import { analyzeDestinationHosts } from "./vs-destination-hosts.ts";
import { analyzeDestinationSubsets } from "./vs-destination-rules.ts";
import { analyzeVirtualServiceGateways } from "./vs-gateways.ts";
import { analyzeUnreachableRules } from "./vs-unreachable-rules.ts";
import { analyzeWorkloadSelectors } from "./workload-selectors.ts";

export type { Finding, Level } from "./finding.ts";

const ANALYZERS: Analyzer[] = [
  analyzeDestinationHosts,
  analyzeDestinationSubsets,
  analyzeVirtualServiceGateways,
  analyzeConflictingMeshHosts,
  analyzeUnreachableRules,
  analyzeHttpRouteRefs,
  analyzeSubsets,
  analyzePolicySelectors,
  analyzeWorkloadSelectors,
  analyzeMtlsConflicts,
  analyzeNamespaceInjection,
];

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** istioctl's origin: `VirtualService default/reviews`, or `Namespace default` for cluster-scoped kinds. */
function origin(f: Finding): string {
  return CLUSTER_SCOPED.has(f.kind) ? `${f.kind} ${f.name}` : `${f.kind} ${f.namespace}/${f.name}`;
}

function line(f: Finding): string {
  return `${f.level} [${f.code}] (${origin(f)}) ${f.message}`;
}

/**
 * Every finding for the configuration, or only for objects in `namespace` (istioctl analyze -n;
 * the analysis still sees every namespace). Sorted by namespace, kind, name and code, each
 * object's findings otherwise in the order its analyzer met them; a finding identical to an
 * earlier one in all but its field is dropped, as istioctl drops repeated messages.
 */
export function analyze(config: MeshConfig, registry: Registry, namespace?: string): Finding[] {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const f of ANALYZERS.flatMap((a) => a({ config, registry }))) {
    if (namespace !== undefined && f.namespace !== namespace) continue;
    const key = line(f);
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(f);
  }
  return findings.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.kind, b.kind) || compare(a.name, b.name) || compare(a.code, b.code));
}

const LEVEL_ORDER: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };

/**
 * istioctl's text output: one `<Level> [<code>] (<Kind> <ns>/<name>) <message>` line per finding,
 * in istioctl's order (level, code, then kind/name/namespace); with no findings, its success line.
 */
export function formatText(findings: Finding[], namespace?: string): string {
  if (findings.length === 0) return `✔ No validation issues found when analyzing ${namespace === undefined ? "all namespaces" : `namespace: ${namespace}`}.`;
  const comparator = (f: Finding) => `${f.kind}/${f.name}/${f.namespace}`;
  return [...findings]
    .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || compare(a.code, b.code) || compare(comparator(a), comparator(b)) || compare(line(a), line(b)))
    .map(line)
    .join("\n");
}
