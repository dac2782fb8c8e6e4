// The configured traffic split toward a host, read from one workload's compiled snapshot: the
// weights of the route that takes requests without conditions (a VirtualService's last catch-all
// http route, an HTTPRoute rule without matches), each destination named by its subset's
// `version` label so it lines up with the metrics' destination_version.
import type { ClusterSpec, Route, WorkloadSnapshot } from "../mesh/snapshot.ts";

export interface ConfiguredShare {
  /** The destination's `version` label (its subset's labels), or "any" when the cluster selects every version. */
  version: string;
  /** The DestinationRule subset, empty for the host's whole cluster. */
  subset: string;
  /** Host of the destination when it is not the split's own host (a route may send to another service). */
  host?: string;
  percent: number;
}

export interface ConfiguredSplit {
  /** `VirtualService default/reviews, http[0]`, or `default route` when no route object applies. */
  origin: string;
  shares: ConfiguredShare[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function originOf(route: Route): string {
  const o = route.origin;
  if (o.kind === "default") return "default route";
  return `${o.kind} ${o.namespace}/${o.name}, ${o.kind === "HTTPRoute" ? "rules" : "http"}[${o.rule}]`;
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → host (the cluster list may not have it). */
const hostOfCluster = (name: string) => name.split("|")[3] ?? name;

function versionOf(cluster: ClusterSpec | undefined, subset: string): string {
  if (cluster?.endpoints.kind === "workloads" && cluster.endpoints.labels.version) return cluster.endpoints.labels.version;
  return subset || "any";
}

/** The split a workload's proxy applies to requests for `host` without special headers, or undefined if it routes none there. */
export function configuredSplit(snapshot: WorkloadSnapshot, host: string): ConfiguredSplit | undefined {
  const routes = snapshot.router.ports
    .flatMap((p) => p.virtualHosts)
    .filter((vh) => vh.name === host || vh.name.startsWith(`${host}:`))
    .flatMap((vh) => vh.routes)
    .filter((r) => (r.destinations ?? []).length > 0);
  const route = routes.find((r) => r.matches.length === 0) ?? routes.at(-1);
  if (!route) return undefined;
  const destinations = route.destinations!;
  const total = destinations.reduce((s, d) => s + d.weight, 0);
  const clusters = new Map(snapshot.clusters.map((c) => [c.name, c]));
  const shares = destinations.map((d): ConfiguredShare => {
    const subset = d.cluster.split("|")[2] ?? "";
    const to = hostOfCluster(d.cluster);
    return {
      version: versionOf(clusters.get(d.cluster), subset),
      subset,
      ...(to !== host ? { host: to } : {}),
      percent: total > 0 ? round1((d.weight / total) * 100) : 0,
    };
  });
  return { origin: originOf(route), shares };
}
