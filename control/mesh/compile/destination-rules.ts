// DestinationRule lookup and subsets, as Istio resolves them for a client: the rule in the
// client's namespace first, then the service's namespace, then the root namespace; an exact
// host beats a wildcard. Subset endpoints are the service selector AND the subset labels.
import { ROOT_NAMESPACE, specOf } from "../config.ts";
import { hostMatches, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";

export interface TrafficPolicy {
  portLevelSettings?: ({ port?: { number?: number } } & Record<string, unknown>)[];
  [field: string]: unknown;
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
}

export interface ResolvedDestinationRule {
  origin: string;
  spec: DestinationRuleSpec;
}

function exportedTo(dr: KubeObject, namespace: string): boolean {
  const exportTo = specOf<DestinationRuleSpec>(dr).exportTo ?? ["*"];
  const own = dr.metadata.namespace;
  return exportTo.some((e) => e === "*" || e === namespace || (e === "." && own === namespace));
}

export function findDestinationRule(
  rules: KubeObject[],
  hostname: string,
  clientNamespace: string,
  serviceNamespace: string,
): ResolvedDestinationRule | undefined {
  for (const ns of [clientNamespace, serviceNamespace, ROOT_NAMESPACE]) {
    const candidates = rules.filter(
      (dr) => dr.metadata.namespace === ns && exportedTo(dr, clientNamespace) && hostMatches(resolveHost(specOf<DestinationRuleSpec>(dr).host, ns), hostname),
    );
    // An exact host beats a wildcard; among equals the oldest wins (rules arrive sorted by age).
    const exact = candidates.find((dr) => resolveHost(specOf<DestinationRuleSpec>(dr).host, ns) === hostname);
    const chosen = exact ?? candidates[0];
    if (chosen) return { origin: `${chosen.metadata.namespace}/${chosen.metadata.name}`, spec: specOf<DestinationRuleSpec>(chosen) };
  }
  return undefined;
}

function withoutPortLevel(policy: TrafficPolicy | undefined, port: number): Record<string, unknown> | undefined {
  if (!policy) return undefined;
  const { portLevelSettings, ...rest } = policy;
  const forPort = portLevelSettings?.find((p) => p.port?.number === port);
  if (!forPort) return rest;
  const { port: _port, ...settings } = forPort;
  return { ...rest, ...settings };
}

/** The traffic policy of one cluster: the rule's policy, its port-level settings, then the subset's. */
export function clusterTrafficPolicy(dr: ResolvedDestinationRule, port: number, subset?: Subset): Record<string, unknown> | undefined {
  const base = withoutPortLevel(dr.spec.trafficPolicy, port);
  const own = withoutPortLevel(subset?.trafficPolicy, port);
  const merged = { ...(base ?? {}), ...(own ?? {}) };
  return Object.keys(merged).length > 0 ? merged : undefined;
}
