// Lookups built once per compile, so compiling each proxy costs what it reads, not the size
// of the whole configuration.
import { type MeshConfig, ROOT_NAMESPACE, specOf } from "../config.ts";
import { hostMatches, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { getOrInsert, push } from "../maps.ts";
import { selectorMatches, visibleFrom, type MeshService, type Registry, type Workload } from "../registry/types.ts";
import { qualifiedHost } from "./destination-rules.ts";
import type { HTTPRouteSpec } from "./http-routes.ts";
import { boundGateways, virtualServiceVisible, type VirtualServiceSpec } from "./virtual-services.ts";

interface SidecarSpec {
  workloadSelector?: { labels?: Record<string, string> };
  egress?: { hosts: string[] }[];
}

const NONE: never[] = [];
const NO_NAMESPACES: ReadonlySet<string> = new Set();

export interface CompileIndex {
  servicesByHost: Map<string, MeshService>;
  /** Cross-namespace references (backendRefs, certificateRefs) hold only with one of these. */
  referenceGrants: readonly KubeObject[];
  destinationRulesFor(host: string): KubeObject[];
  httpRoutesByService: Map<string, KubeObject[]>;
  meshVirtualServices(host: string, clientNamespace: string): KubeObject[];
  defaultPort(host: string, listenerPort: number): number;
  /** The services a sidecar can reach: the same array for every sidecar with the same view. */
  visibleServices(workload: Workload): MeshService[];
  /** What decides `visibleServices`: the namespace, and the Sidecar resource scoping the proxy if any. */
  visibilityScope(workload: Workload): string;
  /** Label keys some VirtualService matches with `sourceLabels`: the only labels that make two proxies' routes differ. */
  sourceLabelKeys: string[];
  /** Does the VirtualService match on `sourceNamespace` (so its routes differ by client namespace)? */
  matchesOnSourceNamespace(vs: KubeObject): boolean;
  /** The Services (not ServiceEntries) in the workload's namespace whose selector picks it. */
  servicesSelecting(workload: Workload): MeshService[];
  /**
   * The client namespaces that see this service differently from the rest (their own
   * DestinationRule or consumer HTTPRoute), or "all" when the view depends on the client's
   * namespace throughout (restricted exportTo, sourceNamespace matches).
   */
  viewDependence(service: MeshService): "all" | ReadonlySet<string>;
}

export function buildIndex(config: MeshConfig, registry: Registry): CompileIndex {
  const servicesByHost = new Map<string, MeshService>();
  for (const s of registry.services) if (!servicesByHost.has(s.hostname)) servicesByHost.set(s.hostname, s);

  const drByHost = new Map<string, KubeObject[]>();
  const drWildcards: KubeObject[] = [];
  for (const dr of config.destinationRules) {
    const host = qualifiedHost(dr);
    if (host.startsWith("*")) drWildcards.push(dr);
    else push(drByHost, host, dr);
  }

  const vsByHost = new Map<string, KubeObject[]>();
  const vsWildcards: KubeObject[] = [];
  const labelKeys = new Set<string>();
  const bySourceNamespace = new Set<KubeObject>();
  for (const vs of config.virtualServices) {
    if (!boundGateways(vs).includes("mesh")) continue;
    const spec = specOf<VirtualServiceSpec>(vs);
    for (const rule of spec.http ?? [])
      for (const m of rule.match ?? []) {
        for (const k of Object.keys(m.sourceLabels ?? {})) labelKeys.add(k);
        if (m.sourceNamespace !== undefined) bySourceNamespace.add(vs);
      }
    for (const h of spec.hosts ?? []) {
      const host = resolveHost(h, vs.metadata.namespace ?? "default");
      if (host.startsWith("*")) vsWildcards.push(vs);
      else push(vsByHost, host, vs);
    }
  }

  /** Routes differ by client namespace under a sourceNamespace match or a restricted exportTo. */
  const differsByClient = (vs: KubeObject) => bySourceNamespace.has(vs) || (specOf<VirtualServiceSpec>(vs).exportTo ?? []).some((e) => e !== "*");

  const httpRoutesByService = new Map<string, KubeObject[]>();
  for (const r of config.httpRoutes)
    for (const p of specOf<HTTPRouteSpec>(r).parentRefs ?? [])
      if (p.kind === "Service" && (p.group ?? "") === "")
        push(httpRoutesByService, `${p.name}.${p.namespace ?? r.metadata.namespace}.svc.cluster.local`, r);

  // Services by namespace, then by the key and value of one label of their selector: a workload
  // only checks the services keyed by its own labels (nested maps: no key string per lookup).
  const servicesByLabel = new Map<string, Map<string, Map<string, MeshService[]>>>();
  for (const s of registry.services) {
    const first = s.kind === "Service" && s.selector && Object.entries(s.selector)[0];
    if (!first) continue;
    const inNamespace = getOrInsert(servicesByLabel, s.namespace, () => new Map<string, Map<string, MeshService[]>>());
    push(getOrInsert(inNamespace, first[0], () => new Map<string, MeshService[]>()), first[1], s);
  }

  const sidecars = config.sidecars;
  const visibleCache = new Map<string, MeshService[]>();

  function sidecarFor(workload: Workload): KubeObject | undefined {
    if (!sidecars.length) return undefined;
    const inNs = sidecars.filter((s) => s.metadata.namespace === workload.namespace);
    return (
      inNs.find((s) => selectorMatches(specOf<SidecarSpec>(s).workloadSelector?.labels, workload.labels)) ??
      inNs.find((s) => !specOf<SidecarSpec>(s).workloadSelector) ??
      sidecars.find((s) => s.metadata.namespace === ROOT_NAMESPACE && !specOf<SidecarSpec>(s).workloadSelector)
    );
  }

  function visibilityScope(workload: Workload): string {
    const sidecar = sidecarFor(workload);
    return sidecar ? `${workload.namespace}|${sidecar.metadata.namespace}/${sidecar.metadata.name}` : workload.namespace;
  }

  /** Sidecar egress hosts are `<namespace>/<dns name>`; `.` is the Sidecar's namespace, `*` any. */
  function egressAllows(sidecar: KubeObject, service: MeshService): boolean {
    const own = sidecar.metadata.namespace;
    return (specOf<SidecarSpec>(sidecar).egress ?? []).some((e) =>
      e.hosts.some((h) => {
        const [ns, host] = h.includes("/") ? h.split("/", 2) : ["*", h];
        const nsOk = ns === "*" || ns === service.namespace || (ns === "." && own === service.namespace);
        return nsOk && hostMatches(host, service.hostname);
      }),
    );
  }

  return {
    servicesByHost,
    referenceGrants: config.referenceGrants,
    destinationRulesFor: (host) => (drWildcards.length ? [...(drByHost.get(host) ?? []), ...drWildcards] : (drByHost.get(host) ?? NONE)),
    httpRoutesByService,
    meshVirtualServices(host, clientNamespace) {
      const exact = vsByHost.get(host) ?? NONE;
      const wild = vsWildcards.filter((vs) =>
        (specOf<VirtualServiceSpec>(vs).hosts ?? []).some((h) => hostMatches(resolveHost(h, vs.metadata.namespace ?? "default"), host)),
      );
      const all = wild.length ? [...exact, ...wild] : exact;
      // The index's own list when every rule is visible (the common case): callers only read it.
      for (const vs of all) if (!virtualServiceVisible(vs, clientNamespace)) return all.filter((v) => virtualServiceVisible(v, clientNamespace));
      return all;
    },
    defaultPort(host, listenerPort) {
      const ports = servicesByHost.get(host)?.ports ?? [];
      if (ports.length === 1) return ports[0].port;
      return listenerPort;
    },
    visibleServices(workload) {
      return getOrInsert(visibleCache, visibilityScope(workload), () => {
        const sidecar = sidecarFor(workload);
        return registry.services.filter((s) => visibleFrom(s, workload.namespace) && (!sidecar || egressAllows(sidecar, s)));
      });
    },
    visibilityScope,
    viewDependence(service) {
      if ((vsByHost.get(service.hostname) ?? NONE).some(differsByClient) || vsWildcards.some(differsByClient)) return "all";
      let namespaces: Set<string> | undefined;
      for (const dr of drByHost.get(service.hostname) ?? NONE)
        if (dr.metadata.namespace !== service.namespace) (namespaces ??= new Set()).add(dr.metadata.namespace ?? "");
      for (const dr of drWildcards)
        if (dr.metadata.namespace !== service.namespace && hostMatches(qualifiedHost(dr), service.hostname)) (namespaces ??= new Set()).add(dr.metadata.namespace ?? "");
      for (const r of httpRoutesByService.get(service.hostname) ?? NONE)
        if (r.metadata.namespace !== service.namespace) (namespaces ??= new Set()).add(r.metadata.namespace ?? "");
      return namespaces ?? NO_NAMESPACES;
    },
    sourceLabelKeys: [...labelKeys].sort(),
    matchesOnSourceNamespace: (vs) => bySourceNamespace.has(vs),
    servicesSelecting(workload) {
      const found: MeshService[] = [];
      const inNamespace = servicesByLabel.get(workload.namespace);
      if (!inNamespace) return found;
      for (const k in workload.labels)
        for (const s of inNamespace.get(k)?.get(workload.labels[k]) ?? NONE) if (!found.includes(s) && selectorMatches(s.selector, workload.labels)) found.push(s);
      // In registry order (by hostname), so output does not depend on label order.
      return found.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
    },
  };
}
