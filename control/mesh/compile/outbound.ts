// A sidecar's outbound side: one virtual host per reachable service port, with the routes of
// the VirtualServices and GAMMA HTTPRoutes that bind to the mesh, and the clusters they use.
// Everything a service contributes is computed once per compile and shared by every proxy that
// sees it the same way (clusters by DestinationRule, routes by the client facts they depend on).
// The memo is keyed by the service object and short per-service keys: this loop runs
// services × views times, and building and hashing long composite string keys cost more than
// the work they saved.
import { specOf } from "../config.ts";
import { serviceDomains, shortServiceNames } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { getOrInsert } from "../maps.ts";
import { isHttp } from "../registry/protocol.ts";
import type { MeshService, Workload } from "../registry/types.ts";
import type { ClusterSpec, PortRoutes, Route, RouterTable, VirtualHost } from "../snapshot.ts";
import { outboundCluster, serviceClusters } from "./clusters.ts";
import { findDestinationRule } from "./destination-rules.ts";
import { compileHttpRouteRules, orderByPrecedence, type HTTPRouteSpec } from "./http-routes.ts";
import type { CompileIndex } from "./index-config.ts";
import { compileVirtualServiceRoutes, type RouteContext } from "./virtual-services.ts";

export interface OutboundConfig {
  router: RouterTable;
  clusters: ClusterSpec[];
}

/** What one service port contributes to the proxies of one view: its clusters and (HTTP) virtual host. */
interface ServicePortView {
  clusters: ClusterSpec[];
  vhost?: VirtualHost;
}

/** One service's contributions, by the facts they depend on. */
interface ServiceMemo {
  /** The client namespaces that see this service differently ("all": every namespace does). */
  dependence: "all" | ReadonlySet<string>;
  /** Per view key, the view of each port (aligned with `service.ports`). */
  views: Map<string, ServicePortView[]>;
  /** Per DestinationRule origin ("" for none), the clusters of each port. */
  clusters: Map<string, ClusterSpec[][]>;
  /** Per `<port>|<rules>|<client facts>`, the compiled routes. */
  routes: Map<string, Route[]>;
}

/** Per-compile memo of what services contribute. */
export class OutboundMemo {
  private readonly services = new Map<MeshService, ServiceMemo>();

  of(service: MeshService, index: CompileIndex): ServiceMemo {
    // Written out rather than getOrInsert: this runs for every service of every table, and the
    // common case should not make a closure.
    let memo = this.services.get(service);
    if (!memo) {
      memo = { dependence: index.viewDependence(service), views: new Map(), clusters: new Map(), routes: new Map() };
      this.services.set(service, memo);
    }
    return memo;
  }
}

function defaultRoute(service: MeshService, port: number): Route {
  return {
    origin: { kind: "default", namespace: service.namespace, name: service.name, rule: 0 },
    matches: [],
    destinations: [{ cluster: outboundCluster(port, "", service.hostname), weight: 1 }],
  };
}

/** GAMMA: a route in the service's namespace serves every client; one elsewhere only its own namespace. */
function gammaRoutes(routes: KubeObject[] | undefined, service: MeshService, port: number, clientNamespace: string): KubeObject[] | undefined {
  return routes?.filter((r) => {
    const ns = r.metadata.namespace;
    if (ns !== service.namespace && ns !== clientNamespace) return false;
    return (specOf<HTTPRouteSpec>(r).parentRefs ?? []).some((p) => p.kind === "Service" && (p.port === undefined || p.port === port));
  });
}

function namesOf(objects: KubeObject[]): string {
  return objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).join(",");
}

function routesFor(workload: Workload, service: MeshService, port: number, index: CompileIndex, memo: ServiceMemo, labelKey: string): Route[] {
  const gamma = gammaRoutes(index.httpRoutesByService.get(service.hostname), service, port, workload.namespace);
  if (gamma?.length) return getOrInsert(memo.routes, `gamma|${port}|${namesOf(gamma)}`, () => orderByPrecedence(gamma.flatMap((r) => compileHttpRouteRules(r, index))));
  const vss = index.meshVirtualServices(service.hostname, workload.namespace);
  if (!vss.length) return getOrInsert(memo.routes, `default|${port}`, () => [defaultRoute(service, port)]);
  // Routes depend on the client only through sourceNamespace and sourceLabels matches.
  const clientKey = vss.some((vs) => index.matchesOnSourceNamespace(vs)) ? `${workload.namespace}|${labelKey}` : labelKey;
  return getOrInsert(memo.routes, `vs|${port}|${namesOf(vss)}|${clientKey}`, () => {
    const ctx: RouteContext = { workload, gateway: "mesh", port, defaultPort: index.defaultPort };
    return vss.flatMap((vs) => compileVirtualServiceRoutes(vs, ctx));
  });
}

/** The views of every port of a service for one client (clusters shared across views with the same DestinationRule). */
function servicePortViews(workload: Workload, service: MeshService, index: CompileIndex, memo: ServiceMemo, labelKey: string): ServicePortView[] {
  const dr = findDestinationRule(index.destinationRulesFor(service.hostname), service.hostname, workload.namespace, service.namespace);
  const clusters = getOrInsert(memo.clusters, dr?.origin ?? "", () => service.ports.map(({ port }) => serviceClusters(service, port, dr)));
  return service.ports.map(({ port, protocol }, i): ServicePortView => {
    if (!isHttp(protocol)) return { clusters: clusters[i] };
    const domains = serviceDomains(service.hostname, port, workload.namespace);
    return { clusters: clusters[i], vhost: { name: `${service.hostname}:${port}`, domains, routes: routesFor(workload, service, port, index, memo, labelKey) } };
  });
}

/** The workload's values of the labels some `sourceLabels` match reads ("" when none does). */
export function sourceLabelKey(workload: Workload, index: CompileIndex): string {
  return index.sourceLabelKeys.length ? index.sourceLabelKeys.map((k) => `${k}=${workload.labels[k] ?? ""}`).join(",") : "";
}

/** A client in the service's own namespace sees what other (non-special) clients see, plus the
 *  service's short names among the domains: reuse their view (and domain strings) rather than
 *  resolve it again. */
function withShortNames(shared: ServicePortView[], service: MeshService, namespace: string): ServicePortView[] {
  return shared.map((view, i) =>
    view.vhost
      ? { clusters: view.clusters, vhost: { ...view.vhost, domains: view.vhost.domains.concat(shortServiceNames(service.hostname, service.ports[i].port, namespace)) } }
      : view,
  );
}

/** How this client sees the service: most proxies see a service the same way and share that
 *  view, unless their namespace is special to it. */
function viewsFor(workload: Workload, service: MeshService, index: CompileIndex, memo: OutboundMemo, labelKey: string): ServicePortView[] {
  const known = memo.of(service, index);
  const special = known.dependence === "all" || known.dependence.has(workload.namespace);
  const viewKey = special ? workload.namespace : service.namespace === workload.namespace ? "own" : "*";
  const key = labelKey ? `${viewKey}|${labelKey}` : viewKey;
  let views = known.views.get(key);
  if (!views) {
    const shared = viewKey === "own" ? known.views.get(labelKey ? `*|${labelKey}` : "*") : undefined;
    views = shared ? withShortNames(shared, service, workload.namespace) : servicePortViews(workload, service, index, known, labelKey);
    known.views.set(key, views);
  }
  return views;
}

export function compileOutbound(workload: Workload, services: MeshService[], index: CompileIndex, memo: OutboundMemo): OutboundConfig {
  const labelKey = sourceLabelKey(workload, index);
  // First every view (computing the missing ones), then the tables in one tight pass: a loop that
  // also computes views is a large function V8 optimises late and deoptimises on the rare path.
  const views = services.map((service) => viewsFor(workload, service, index, memo, labelKey));
  const byPort = new Map<number, VirtualHost[]>();
  const clusters: ClusterSpec[] = [];
  for (let s = 0; s < services.length; s++) {
    const ports = services[s].ports;
    const serviceViews = views[s];
    for (let i = 0; i < serviceViews.length; i++) {
      const view = serviceViews[i];
      for (const c of view.clusters) clusters.push(c);
      if (!view.vhost) continue;
      const list = byPort.get(ports[i].port);
      if (list) list.push(view.vhost);
      else byPort.set(ports[i].port, [view.vhost]);
    }
  }
  const ports: PortRoutes[] = [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, virtualHosts]) => ({ port, virtualHosts }));
  return { router: { ports }, clusters };
}
