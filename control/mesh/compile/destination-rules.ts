// DestinationRule lookup and subsets, as Istio resolves them for a client: the rule in the
// client's namespace first, then the service's namespace, then the root namespace; an exact
// host beats a wildcard. Subset endpoints are the service selector AND the subset labels.
import { ROOT_NAMESPACE, specOf } from "../config.ts";
import { hostMatches, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { hasKeys } from "../objects.ts";
import { exportedTo } from "../registry/types.ts";

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

/** A rule's host, fully qualified in its own namespace; memoised per object, as lookups run per service per view. */
const qualifiedHosts = new WeakMap<KubeObject, string>();
export function qualifiedHost(dr: KubeObject): string {
  let host = qualifiedHosts.get(dr);
  if (host === undefined) {
    host = resolveHost(specOf<DestinationRuleSpec>(dr).host, dr.metadata.namespace ?? "");
    qualifiedHosts.set(dr, host);
  }
  return host;
}

/** The rule for `hostname` among those of namespace `ns` visible to the client: an exact host beats a
 *  wildcard; among equals the oldest wins (rules arrive sorted by age). */
function ruleInNamespace(rules: KubeObject[], hostname: string, ns: string, clientNamespace: string): KubeObject | undefined {
  let wildcard: KubeObject | undefined;
  for (const dr of rules) {
    if (dr.metadata.namespace !== ns || !exportedTo(specOf<DestinationRuleSpec>(dr).exportTo, ns, clientNamespace)) continue;
    const host = qualifiedHost(dr);
    if (host === hostname) return dr;
    if (!wildcard && hostMatches(host, hostname)) wildcard = dr;
  }
  return wildcard;
}

export function findDestinationRule(
  rules: KubeObject[],
  hostname: string,
  clientNamespace: string,
  serviceNamespace: string,
): ResolvedDestinationRule | undefined {
  const chosen =
    ruleInNamespace(rules, hostname, clientNamespace, clientNamespace) ??
    ruleInNamespace(rules, hostname, serviceNamespace, clientNamespace) ??
    ruleInNamespace(rules, hostname, ROOT_NAMESPACE, clientNamespace);
  return chosen && { origin: `${chosen.metadata.namespace}/${chosen.metadata.name}`, spec: specOf<DestinationRuleSpec>(chosen) };
}

/** A policy with the settings for `port` merged in and the port-level list dropped (the policy
 *  itself when it has no such list: clusters share it rather than hold copies). */
function withoutPortLevel(policy: TrafficPolicy | undefined, port: number): Record<string, unknown> | undefined {
  if (!policy) return undefined;
  if (!("portLevelSettings" in policy)) return policy;
  const { portLevelSettings, ...rest } = policy;
  const forPort = portLevelSettings?.find((p) => p.port?.number === port);
  if (!forPort) return rest;
  const { port: _port, ...settings } = forPort;
  return { ...rest, ...settings };
}

/** The rule's traffic policy for one port (its port-level settings merged in), if it sets anything. */
export function portTrafficPolicy(dr: ResolvedDestinationRule, port: number): Record<string, unknown> | undefined {
  const policy = withoutPortLevel(dr.spec.trafficPolicy, port);
  return policy && hasKeys(policy) ? policy : undefined;
}

/** A subset's cluster policy: the port's, overridden field by field by the subset's own. */
export function subsetTrafficPolicy(portPolicy: Record<string, unknown> | undefined, subset: Subset, port: number): Record<string, unknown> | undefined {
  const own = withoutPortLevel(subset.trafficPolicy, port);
  return own && hasKeys(own) ? { ...portPolicy, ...own } : portPolicy;
}
