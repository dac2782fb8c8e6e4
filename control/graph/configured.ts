// The configured traffic splits of one workload, read from its compiled snapshot: per host its
// proxy routes, the weights of the route that takes requests without conditions (a VirtualService's
// catch-all http route, an HTTPRoute rule without matches), each destination named by its service
// and its `version` label so it lines up with the metrics' destination_service and
// destination_version. A destination may be another service than the host (Gateway API splits
// across reviews-v1 and reviews-v3 Services).
import type { ClusterSpec, Route, WorkloadSnapshot } from "../mesh/snapshot.ts";

export interface ConfiguredShare {
  /** `<namespace>/<name>` of the destination service, or its host when it is not a cluster service. */
  service: string;
  /** The DestinationRule subset, empty for the service's whole cluster. */
  subset: string;
  /** The destination's `version` label (from the service selector and subset labels), or "any". */
  version: string;
  percent: number;
}

export interface ConfiguredSplit {
  /** The host requested, as `<namespace>/<name>` for a cluster service. */
  service: string;
  /** `VirtualService default/reviews, http[0]`, or `default route` when no route object applies. */
  origin: string;
  shares: ConfiguredShare[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const SVC = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/;

/** `reviews.default.svc.cluster.local` → `default/reviews`; other hosts stay as they are. */
export function serviceOfHost(host: string): string {
  const m = SVC.exec(host);
  return m ? `${m[2]}/${m[1]}` : host;
}

function originOf(route: Route): string {
  const o = route.origin;
  if (o.kind === "default") return "default route";
  return `${o.kind} ${o.namespace}/${o.name}, ${o.kind === "HTTPRoute" ? "rules" : "http"}[${o.rule}]`;
}

function versionOf(cluster: ClusterSpec | undefined, subset: string): string {
  if (cluster?.endpoints.kind === "workloads" && cluster.endpoints.labels.version) return cluster.endpoints.labels.version;
  return subset || "any";
}

/** Each host's split for requests without special headers (one per host, its first port that routes). */
export function configuredSplits(snapshot: WorkloadSnapshot): ConfiguredSplit[] {
  const clusters = new Map(snapshot.clusters.map((c) => [c.name, c]));
  const byService = new Map<string, ConfiguredSplit>();
  for (const vh of snapshot.router.ports.flatMap((p) => p.virtualHosts)) {
    const service = serviceOfHost(vh.name.replace(/:\d+$/, ""));
    if (byService.has(service)) continue;
    const routes = vh.routes.filter((r) => (r.destinations ?? []).length > 0);
    const route = routes.find((r) => r.matches.length === 0) ?? routes.at(-1);
    if (!route) continue;
    const destinations = route.destinations!;
    const total = destinations.reduce((s, d) => s + d.weight, 0);
    const shares = destinations.map((d): ConfiguredShare => {
      // `outbound|9080|v1|reviews.default.svc.cluster.local`
      const [, , subset = "", host = d.cluster] = d.cluster.split("|");
      return { service: serviceOfHost(host), subset, version: versionOf(clusters.get(d.cluster), subset), percent: total > 0 ? round1((d.weight / total) * 100) : 0 };
    });
    byService.set(service, { service, origin: originOf(route), shares });
  }
  return [...byService.values()];
}
