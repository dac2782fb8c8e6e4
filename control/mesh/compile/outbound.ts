// A sidecar's outbound side: one virtual host per reachable service port, with the routes of
// the VirtualServices and GAMMA HTTPRoutes that bind to the mesh, and the clusters they use.
// Everything a service contributes is computed once per compile and shared by every proxy that
// sees it the same way (clusters by DestinationRule, routes by the client facts they depend on).
import { specOf } from "../config.ts";
import { serviceDomains } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
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

/** Per-compile memo of what services contribute, keyed by everything the result depends on. */
export class OutboundMemo {
  private readonly clusters = new Map<string, ClusterSpec[]>();
  private readonly routes = new Map<string, Route[]>();
  private readonly domains = new Map<string, string[]>();
  /** Per service: how its view depends on the client, and its views by `<port>|<view>|<labels>`. */
  readonly services = new Map<MeshService, { dependence: "all" | Set<string>; views: Map<string, ServicePortView> }>();

  get<T>(map: "clusters" | "routes" | "domains", key: string, make: () => T): T {
    const m = this[map] as unknown as Map<string, T>;
    let v = m.get(key);
    if (v === undefined) {
      v = make();
      m.set(key, v);
    }
    return v;
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
function gammaRoutes(routes: KubeObject[], service: MeshService, port: number, clientNamespace: string): KubeObject[] {
  return routes.filter((r) => {
    const ns = r.metadata.namespace;
    if (ns !== service.namespace && ns !== clientNamespace) return false;
    return (specOf<HTTPRouteSpec>(r).parentRefs ?? []).some((p) => p.kind === "Service" && (p.port === undefined || p.port === port));
  });
}

function namesOf(objects: KubeObject[]): string {
  return objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).join(",");
}

function routesFor(workload: Workload, service: MeshService, port: number, index: CompileIndex, memo: OutboundMemo, labelKey: string): Route[] {
  const gamma = gammaRoutes(index.httpRoutesByService.get(service.hostname) ?? [], service, port, workload.namespace);
  if (gamma.length) return memo.get("routes", `gamma|${service.hostname}|${port}|${namesOf(gamma)}`, () => orderByPrecedence(gamma.flatMap(compileHttpRouteRules)));
  const vss = index.meshVirtualServices(service.hostname, workload.namespace);
  if (!vss.length) return memo.get("routes", `default|${service.hostname}|${port}`, () => [defaultRoute(service, port)]);
  // Routes depend on the client only through sourceNamespace and sourceLabels matches.
  const clientKey = vss.some((vs) => index.matchesOnSourceNamespace(vs)) ? `${workload.namespace}|${labelKey}` : labelKey;
  return memo.get("routes", `vs|${service.hostname}|${port}|${namesOf(vss)}|${clientKey}`, () => {
    const ctx: RouteContext = { workload, gateway: "mesh", port, defaultPort: index.defaultPort };
    return vss.flatMap((vs) => compileVirtualServiceRoutes(vs, ctx));
  });
}

/** What one service port contributes to the proxies of one view: its clusters and (HTTP) virtual host. */
interface ServicePortView {
  clusters: ClusterSpec[];
  vhost?: VirtualHost;
}

function servicePortView(workload: Workload, service: MeshService, port: number, protocol: string, index: CompileIndex, memo: OutboundMemo, labelKey: string): ServicePortView {
  const dr = findDestinationRule(index.destinationRulesFor(service.hostname), service.hostname, workload.namespace, service.namespace);
  const clusters = memo.get("clusters", `${service.hostname}|${port}|${dr?.origin ?? ""}`, () => serviceClusters(service, port, dr));
  if (!isHttp(protocol)) return { clusters };
  const sameNamespace = service.namespace === workload.namespace;
  const domains = memo.get("domains", `${service.hostname}|${port}|${sameNamespace}`, () => serviceDomains(service.hostname, port, workload.namespace));
  return { clusters, vhost: { name: `${service.hostname}:${port}`, domains, routes: routesFor(workload, service, port, index, memo, labelKey) } };
}

export function compileOutbound(workload: Workload, services: MeshService[], index: CompileIndex, memo: OutboundMemo, labelKey: string): OutboundConfig {
  const byPort = new Map<number, VirtualHost[]>();
  const clusters: ClusterSpec[] = [];
  for (const service of services) {
    // Most proxies see a service the same way: share that view, unless this namespace is special.
    let known = memo.services.get(service);
    if (!known) {
      known = { dependence: index.viewDependence(service), views: new Map() };
      memo.services.set(service, known);
    }
    const special = known.dependence === "all" || known.dependence.has(workload.namespace);
    const viewKey = special ? workload.namespace : service.namespace === workload.namespace ? "own" : "*";
    for (const { port, protocol } of service.ports) {
      const key = labelKey ? `${port}|${viewKey}|${labelKey}` : viewKey === "*" ? String(port) : `${port}|${viewKey}`;
      let view = known.views.get(key);
      if (!view) {
        view = servicePortView(workload, service, port, protocol, index, memo, labelKey);
        known.views.set(key, view);
      }
      for (const c of view.clusters) clusters.push(c);
      if (!view.vhost) continue;
      const list = byPort.get(port);
      if (list) list.push(view.vhost);
      else byPort.set(port, [view.vhost]);
    }
  }
  const ports: PortRoutes[] = [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, virtualHosts]) => ({ port, virtualHosts }));
  return { router: { ports }, clusters };
}
