// What an analyzer reports, and the helpers every analyzer shares. A finding names the object
// it is about the way istioctl does (`VirtualService default/reviews`); for a Namespace the
// namespace is the Namespace's own name, as in Istio.
import { specOf, type MeshConfig } from "../config.ts";
import { hostMatches, hostsIntersect, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { getOrInsert, push } from "../maps.ts";
import { visibleFrom, type MeshService, type Registry, type Workload } from "../registry/types.ts";

export type Level = "Error" | "Warning" | "Info";

export interface Finding {
  code: string;
  level: Level;
  kind: string;
  namespace: string;
  name: string;
  message: string;
  /** Path of the offending field, e.g. `spec.http[0].route[0].destination.subset`. */
  field?: string;
}

/** The object a finding is about. */
export interface Subject {
  kind: string;
  namespace: string;
  name: string;
}

export interface AnalysisInput {
  config: MeshConfig;
  registry: Registry;
}

export type Analyzer = (input: AnalysisInput) => Finding[];

/** Kinds without a namespace; istioctl names them `<Kind> <name>`. */
export const CLUSTER_SCOPED = new Set(["Namespace", "GatewayClass"]);

export function subjectOf(obj: KubeObject): Subject {
  const namespace = CLUSTER_SCOPED.has(obj.kind) ? obj.metadata.name : (obj.metadata.namespace ?? "default");
  return { kind: obj.kind, namespace, name: obj.metadata.name };
}

export function namespaceOf(obj: KubeObject): string {
  return obj.metadata.namespace ?? "default";
}

/** Go's `%q` for the strings we quote (ASCII names and hosts). */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** `labels.SelectorFromSet(m).String()`: `k=v` pairs sorted by key, comma-separated. */
export function selectorString(labels: Record<string, string> | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels![k]}`)
    .join(",");
}

/** A Kubernetes label selector built from a map: every pair must hold; an empty map selects everything. */
export function labelsSelect(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** The workloads of `namespace` (or of every namespace), in registry order, whose labels include all
 *  of `selector` (no selector: all of them). Looked up by one of the selector's labels, not scanned. */
export function workloadsSelectedBy(registry: Registry, selector: Record<string, string> | undefined, namespace?: string): Workload[] {
  const { workloadsByNamespace, workloadsByLabel } = lookups(registry);
  const first = selector && Object.entries(selector)[0];
  const selected: Workload[] = [];
  for (const ns of namespace === undefined ? workloadsByNamespace.keys() : [namespace]) {
    const candidates = first ? workloadsByLabel.get(ns)?.get(first[0])?.get(first[1]) : workloadsByNamespace.get(ns);
    for (const w of candidates ?? []) if (labelsSelect(selector, w.labels)) selected.push(w);
  }
  return selected;
}

/**
 * The service a (resolved) host names, as seen from `namespace`: an exact hostname first, then a
 * wildcard ServiceEntry host that covers it. Hidden services (exportTo) are not found.
 */
export function findService(registry: Registry, host: string, namespace: string): MeshService | undefined {
  const { byHost, wildcards } = lookups(registry);
  for (const s of byHost.get(host) ?? []) if (visibleFrom(s, namespace)) return s;
  return wildcards.find((s) => visibleFrom(s, namespace) && hostMatches(s.hostname, host));
}

/** The workloads behind a service: its selector, in its namespace (undefined selector: none). */
export function serviceWorkloads(registry: Registry, service: MeshService): Workload[] {
  if (!service.selector) return [];
  const memo = lookups(registry).workloadsByService;
  let found = memo.get(service);
  if (!found) {
    found = workloadsSelectedBy(registry, service.selector, service.namespace);
    memo.set(service, found);
  }
  return found;
}

/** Services whose hostname a host pattern covers (or, with `intersect`, shares any host with). */
export function servicesForHost(registry: Registry, pattern: string, intersect = false): MeshService[] {
  const { byHost, wildcards } = lookups(registry);
  if (pattern.startsWith("*")) return registry.services.filter((s) => (intersect ? hostsIntersect(s.hostname, pattern) : hostMatches(pattern, s.hostname)));
  const exact = byHost.get(pattern) ?? [];
  return intersect ? [...exact, ...wildcards.filter((s) => hostMatches(s.hostname, pattern))] : exact;
}

/** The workloads of one namespace. */
export function workloadsIn(registry: Registry, namespace: string): Workload[] {
  return lookups(registry).workloadsByNamespace.get(namespace) ?? [];
}

interface RegistryLookups {
  byHost: Map<string, MeshService[]>;
  wildcards: MeshService[];
  workloadsByNamespace: Map<string, Workload[]>;
  /** Workloads by namespace, then label key, then label value. */
  workloadsByLabel: Map<string, Map<string, Map<string, Workload[]>>>;
  workloadsByService: Map<MeshService, Workload[]>;
}

// Built once per registry: analyzers look services and workloads up per reference, and a scan
// per lookup would make analysis quadratic in the size of the mesh.
const registryLookups = new WeakMap<Registry, RegistryLookups>();

function lookups(registry: Registry): RegistryLookups {
  let l = registryLookups.get(registry);
  if (!l) {
    l = { byHost: new Map(), wildcards: [], workloadsByNamespace: new Map(), workloadsByLabel: new Map(), workloadsByService: new Map() };
    for (const s of registry.services) {
      if (s.hostname.startsWith("*")) l.wildcards.push(s);
      else push(l.byHost, s.hostname, s);
    }
    for (const w of registry.workloads) {
      push(l.workloadsByNamespace, w.namespace, w);
      const byKey = getOrInsert(l.workloadsByLabel, w.namespace, () => new Map<string, Map<string, Workload[]>>());
      for (const k in w.labels) push(getOrInsert(byKey, k, () => new Map<string, Workload[]>()), w.labels[k], w);
    }
    registryLookups.set(registry, l);
  }
  return l;
}

// DestinationRules by resolved host (plus the wildcard ones), built once per config.
const ruleLookups = new WeakMap<MeshConfig, { byHost: Map<string, KubeObject[]>; wildcards: KubeObject[] }>();

/** The DestinationRules that may apply to a host: those naming it exactly, and every wildcard rule. */
export function destinationRulesFor(config: MeshConfig, host: string): KubeObject[] {
  let l = ruleLookups.get(config);
  if (!l) {
    l = { byHost: new Map(), wildcards: [] };
    for (const dr of config.destinationRules) {
      const h = resolveHost(specOf<{ host: string }>(dr).host, dr.metadata.namespace ?? "default");
      if (h.startsWith("*")) l.wildcards.push(dr);
      else push(l.byHost, h, dr);
    }
    ruleLookups.set(config, l);
  }
  return [...(l.byHost.get(host) ?? []), ...l.wildcards];
}
