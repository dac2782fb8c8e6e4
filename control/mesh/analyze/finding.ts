// What an analyzer reports, and the helpers every analyzer shares. A finding names the object
// it is about the way istioctl does (`VirtualService default/reviews`); for a Namespace the
// namespace is the Namespace's own name, as in Istio.
import type { MeshConfig } from "../config.ts";
import { hostMatches } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
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
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * The service a (resolved) host names, as seen from `namespace`: an exact hostname first, then a
 * wildcard ServiceEntry host that covers it. Hidden services (exportTo) are not found.
 */
export function findService(registry: Registry, host: string, namespace: string): MeshService | undefined {
  const visible = registry.services.filter((s) => visibleFrom(s, namespace));
  return visible.find((s) => s.hostname === host) ?? visible.find((s) => hostMatches(s.hostname, host));
}

/** The workloads behind a service: its selector, in its namespace (undefined selector: none). */
export function serviceWorkloads(registry: Registry, service: MeshService): Workload[] {
  if (!service.selector) return [];
  return registry.workloads.filter((w) => w.namespace === service.namespace && labelsSelect(service.selector, w.labels));
}
