// Gateway proxies: the listeners and routes of the Gateway API Gateway they implement, or of
// the Istio Gateways whose selector picks them, with the VirtualServices bound to those. HTTPS
// listeners (Gateway API `tls.mode: Terminate`, Istio `tls.mode: SIMPLE`) are served when their
// certificate Secrets resolve; otherwise they open nothing and take no routes.
import { specOf } from "../config.ts";
import { hostsIntersect, listenerRouteHostnames, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { hasKeys } from "../objects.ts";
import { gatewayWorkloadName } from "../registry/index.ts";
import { selectorMatches, type Workload } from "../registry/types.ts";
import type { ClusterSpec, GatewayListener, PortRoutes, Route, VirtualHost } from "../snapshot.ts";
import { resolveCertificateRefs, type CertificateRef, type ResolvedCertificates, type SecretLookup } from "./certificate-refs.ts";
import { serviceClusters } from "./clusters.ts";
import { findDestinationRule } from "./destination-rules.ts";
import { compileHttpRouteRules, orderByPrecedence, type HTTPRouteSpec, type ParentRef } from "./http-routes.ts";
import type { CompileIndex } from "./index-config.ts";
import { boundGateways, compileVirtualServiceRoutes, type VirtualServiceSpec } from "./virtual-services.ts";

interface Listener {
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
  tls?: { mode?: "Terminate" | "Passthrough"; certificateRefs?: CertificateRef[] };
  allowedRoutes?: { namespaces?: { from?: "Same" | "All" | "Selector"; selector?: { matchLabels?: Record<string, string> } } };
}

interface IstioServer {
  port: { number: number; name?: string; protocol?: string };
  hosts: string[];
  name?: string;
  tls?: { mode?: string; credentialName?: string; httpsRedirect?: boolean };
}

export interface GatewayConfig {
  listeners: GatewayListener[];
  ports: PortRoutes[];
  clusters: ClusterSpec[];
}

function addHost(byPort: Map<number, Map<string, Route[]>>, port: number, host: string, routes: Route[]): void {
  const hosts = byPort.get(port) ?? new Map<string, Route[]>();
  hosts.set(host, [...(hosts.get(host) ?? []), ...routes]);
  byPort.set(port, hosts);
}

function attaches(ref: ParentRef, route: KubeObject, gateway: KubeObject, listener: Listener): boolean {
  if ((ref.kind ?? "Gateway") !== "Gateway" || ref.name !== gateway.metadata.name) return false;
  if ((ref.namespace ?? route.metadata.namespace) !== gateway.metadata.namespace) return false;
  if (ref.sectionName !== undefined && ref.sectionName !== listener.name) return false;
  return ref.port === undefined || ref.port === listener.port;
}

function namespaceAllowed(listener: Listener, gateway: KubeObject, routeNamespace: string, namespaceLabels: (ns: string) => Record<string, string>): boolean {
  const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return routeNamespace === gateway.metadata.namespace;
  return selectorMatches(listener.allowedRoutes?.namespaces?.selector?.matchLabels ?? {}, namespaceLabels(routeNamespace));
}

/** An HTTPS listener's certificates as Gateway API resolves them (undefined for other protocols). */
export function listenerCertificates(listener: Pick<Listener, "protocol" | "tls">, gatewayNamespace: string, lookup: SecretLookup): ResolvedCertificates | undefined {
  if (listener.protocol !== "HTTPS") return undefined;
  return resolveCertificateRefs(listener.tls?.certificateRefs ?? [], gatewayNamespace, lookup);
}

/** An HTTPS server's `tls.credentialName`: a Secret in the gateway proxy's namespace (SIMPLE mode
 *  only). Other servers' `tls` (an HTTP server's `httpsRedirect`) is not about certificates. */
function serverCertificates(server: IstioServer, workloadNamespace: string, lookup: SecretLookup): ResolvedCertificates | undefined {
  if ((server.port.protocol ?? "").toUpperCase() !== "HTTPS") return undefined;
  if (server.tls?.mode !== "SIMPLE" || !server.tls.credentialName)
    return { ok: false, reason: "InvalidCertificateRef", message: "only tls.mode SIMPLE with a credentialName is served" };
  return resolveCertificateRefs([{ name: server.tls.credentialName }], workloadNamespace, lookup);
}

const tlsOf = (resolved: ResolvedCertificates | undefined) => (resolved?.ok ? { tls: { certificates: resolved.certificates } } : {});

function k8sGatewayRoutes(gateway: KubeObject, httpRoutes: KubeObject[], byPort: Map<number, Map<string, Route[]>>, namespaceLabels: (ns: string) => Record<string, string>, index: CompileIndex, lookup: SecretLookup): GatewayListener[] {
  const listeners = specOf<{ listeners?: Listener[] }>(gateway).listeners ?? [];
  const certificates = listeners.map((l) => listenerCertificates(l, gateway.metadata.namespace ?? "default", lookup));
  for (const [i, listener] of listeners.entries()) {
    if (listener.protocol !== "HTTP" && !certificates[i]?.ok) continue;
    for (const route of httpRoutes) {
      const spec = specOf<HTTPRouteSpec>(route);
      if (!(spec.parentRefs ?? []).some((ref) => attaches(ref, route, gateway, listener))) continue;
      if (!namespaceAllowed(listener, gateway, route.metadata.namespace ?? "", namespaceLabels)) continue;
      const hosts = listenerRouteHostnames(listener.hostname, spec.hostnames ?? []);
      if (!hosts.length) continue;
      const routes = compileHttpRouteRules(route, { servicesByHost: index.servicesByHost, referenceGrants: index.referenceGrants, listener });
      for (const host of hosts) addHost(byPort, listener.port, host, routes);
    }
  }
  const origin = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
  return listeners.map((l, i) => ({ name: l.name, port: l.port, protocol: l.protocol, hostnames: l.hostname ? [l.hostname] : ["*"], origin, ...tlsOf(certificates[i]) }));
}

function istioGatewayRoutes(gateway: KubeObject, workload: Workload, virtualServices: KubeObject[], index: CompileIndex, byPort: Map<number, Map<string, Route[]>>, lookup: SecretLookup): GatewayListener[] {
  const qualified = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
  const servers = specOf<{ servers?: IstioServer[] }>(gateway).servers ?? [];
  const bound = virtualServices.filter((vs) => boundGateways(vs).includes(qualified));
  const certificates = servers.map((s) => serverCertificates(s, workload.namespace, lookup));
  for (const [i, server] of servers.entries()) {
    if (certificates[i] && !certificates[i].ok) continue;
    const serverHosts = server.hosts.map((h) => (h.includes("/") ? h.split("/")[1] : h));
    for (const vs of bound) {
      const ctx = { workload, gateway: qualified, port: server.port.number, defaultPort: index.defaultPort };
      const routes = compileVirtualServiceRoutes(vs, ctx);
      for (const h of specOf<VirtualServiceSpec>(vs).hosts ?? []) {
        const host = h === "*" ? "*" : h.includes(".") ? h : resolveHost(h, vs.metadata.namespace ?? "default");
        if (serverHosts.some((sh) => hostsIntersect(sh, host))) addHost(byPort, server.port.number, host, routes);
      }
    }
  }
  return servers.map((s, i) => ({
    name: s.name ?? s.port.name ?? `server-${i}`,
    port: s.port.number,
    protocol: s.port.protocol ?? "HTTP",
    hostnames: s.hosts,
    origin: qualified,
    ...tlsOf(certificates[i]),
  }));
}

/** The clusters a gateway's routes send to, with their DestinationRule policies. */
function referencedClusters(ports: PortRoutes[], workload: Workload, index: CompileIndex): ClusterSpec[] {
  const wanted = new Set(ports.flatMap((p) => p.virtualHosts.flatMap((v) => v.routes.flatMap((r) => (r.destinations ?? []).map((d) => d.cluster)))));
  const out = new Map<string, ClusterSpec>();
  for (const name of [...wanted].sort()) {
    const [, port, , host] = name.split("|");
    const service = index.servicesByHost.get(host);
    if (!service) continue;
    const dr = findDestinationRule(index.destinationRulesFor(host), host, workload.namespace, service.namespace);
    for (const c of serviceClusters(service, Number(port), dr)) if (!out.has(c.name)) out.set(c.name, c);
  }
  return [...out.values()];
}

/** Does an Istio Gateway run on this workload? Its non-empty selector must match the workload's labels. */
export function istioGatewaySelects(gw: KubeObject, workload: Workload): boolean {
  const selector = specOf<{ selector?: Record<string, string> }>(gw).selector;
  return hasKeys(selector) && selectorMatches(selector, workload.labels);
}

export function compileGateway(
  workload: Workload,
  k8sGateways: KubeObject[],
  istioGateways: KubeObject[],
  httpRoutes: KubeObject[],
  virtualServices: KubeObject[],
  index: CompileIndex,
  namespaceLabels: (ns: string) => Record<string, string>,
  lookup: SecretLookup,
): GatewayConfig {
  const byPort = new Map<number, Map<string, Route[]>>();
  const listeners: GatewayListener[] = [];
  for (const gw of k8sGateways)
    if (gw.metadata.namespace === workload.namespace && gatewayWorkloadName(gw.metadata.name) === workload.name)
      listeners.push(...k8sGatewayRoutes(gw, httpRoutes, byPort, namespaceLabels, index, lookup));
  for (const gw of istioGateways)
    if (istioGatewaySelects(gw, workload)) listeners.push(...istioGatewayRoutes(gw, workload, virtualServices, index, byPort, lookup));
  const ports: PortRoutes[] = [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, hosts]) => ({
      port,
      virtualHosts: [...hosts.entries()]
        // Exact names before wildcards, `*` last: the most specific host answers. Gateways match the
        // authority without its port (RouterTable.ignoreHostPort), so a domain needs no `:port` form.
        .sort(([a], [b]) => (a === "*" ? 1 : b === "*" ? -1 : a.startsWith("*") !== b.startsWith("*") ? (a.startsWith("*") ? 1 : -1) : a < b ? -1 : a > b ? 1 : 0))
        .map(([host, routes]): VirtualHost => ({ name: `${host}:${port}`, domains: [host], routes: routes.every((r) => r.origin.kind === "HTTPRoute") ? orderByPrecedence(routes) : routes })),
    }));
  return { listeners, ports, clusters: referencedClusters(ports, workload, index) };
}
