// A sidecar's outbound side: one virtual host per reachable service port, with the routes of
// the VirtualServices and GAMMA HTTPRoutes that bind to the mesh, and the clusters they use.
// Proxies in one namespace whose labels no `sourceLabels` distinguishes get the very same table
// objects: computed once, shared (and fingerprinted once).
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

function defaultRoute(service: MeshService, port: number): Route {
  return {
    origin: { kind: "default", namespace: service.namespace, name: service.name, rule: 0 },
    matches: [],
    destinations: [{ cluster: outboundCluster(port, "", service.hostname), weight: 1 }],
  };
}

/** GAMMA: a route in the service's namespace serves every client; one elsewhere only its own namespace. */
function gammaRoutesFor(index: CompileIndex, service: MeshService, port: number, clientNamespace: string): Route[] {
  const routes = (index.httpRoutesByService.get(service.hostname) ?? []).filter((r) => {
    const ns = r.metadata.namespace;
    if (ns !== service.namespace && ns !== clientNamespace) return false;
    return (specOf<HTTPRouteSpec>(r).parentRefs ?? []).some((p) => p.kind === "Service" && (p.port === undefined || p.port === port));
  });
  return routes.length ? orderByPrecedence(routes.flatMap(compileHttpRouteRules)) : [];
}

function virtualServiceRoutes(vss: KubeObject[], workload: Workload, service: MeshService, port: number, index: CompileIndex): Route[] {
  const ctx: RouteContext = { workload, gateway: "mesh", port, defaultPort: (host, listenerPort) => index.defaultPort(host, listenerPort) };
  return vss.flatMap((vs) => compileVirtualServiceRoutes(vs, ctx));
}

export function compileOutbound(workload: Workload, services: MeshService[], index: CompileIndex): OutboundConfig {
  const byPort = new Map<number, VirtualHost[]>();
  const clusters: ClusterSpec[] = [];
  for (const service of services) {
    const dr = findDestinationRule(index.destinationRulesFor(service.hostname), service.hostname, workload.namespace, service.namespace);
    for (const { port, protocol } of service.ports) {
      clusters.push(...serviceClusters(service, port, dr));
      if (!isHttp(protocol)) continue;
      const vss = index.meshVirtualServices(service.hostname, workload.namespace);
      const gamma = gammaRoutesFor(index, service, port, workload.namespace);
      const routes = gamma.length ? gamma : vss.length ? virtualServiceRoutes(vss, workload, service, port, index) : [defaultRoute(service, port)];
      const vhost: VirtualHost = { name: `${service.hostname}:${port}`, domains: serviceDomains(service.hostname, port, workload.namespace), routes };
      const list = byPort.get(port) ?? [];
      list.push(vhost);
      byPort.set(port, list);
    }
  }
  const ports: PortRoutes[] = [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, virtualHosts]) => ({ port, virtualHosts }));
  return { router: { ports }, clusters };
}
