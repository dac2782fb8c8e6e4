// compile(config, registry) → Snapshot: the pure function at the heart of the mesh. No I/O,
// deterministic output (same input, same JSON), one WorkloadSnapshot per proxy.
import type { MeshConfig } from "../config.ts";
import { getOrInsert } from "../maps.ts";
import type { MeshService, Registry, Workload } from "../registry/types.ts";
import { workloadKey } from "../registry/types.ts";
import type { InboundPort, Snapshot, WorkloadSnapshot } from "../snapshot.ts";
import { secretLookup } from "./certificate-refs.ts";
import { inboundCluster } from "./clusters.ts";
import { compileGateway, istioGatewaySelects } from "./gateway.ts";
import { buildIndex, type CompileIndex } from "./index-config.ts";
import { compileOutbound, OutboundMemo, sourceLabelKey, type OutboundConfig } from "./outbound.ts";
import { WorkloadPolicies } from "./workload-policies.ts";

/** The ports a workload receives on: the target ports of the Services that select it. Workloads
 *  selected by one Service with numeric target ports (most) share the list of that Service. */
function inboundPorts(workload: Workload, index: CompileIndex, byService: Map<MeshService, InboundPort[]>): InboundPort[] {
  const services = index.servicesSelecting(workload);
  if (services.length === 1 && services[0].ports.every((p) => typeof p.targetPort === "number"))
    return getOrInsert(byService, services[0], () => targetPorts(services, workload));
  return targetPorts(services, workload);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Istio's SortServicesByCreationTime: oldest first, then by name and namespace (timestamps have
 *  1 s resolution, so ties are common). istio/proxy's stats take the destination service of an
 *  inbound request from the first Service on the port. */
const byCreation = (a: MeshService, b: MeshService) => compare(a.created ?? "", b.created ?? "") || compare(a.name, b.name) || compare(a.namespace, b.namespace);

function targetPorts(services: MeshService[], workload: Workload): InboundPort[] {
  const ports = new Map<number, InboundPort>();
  for (const s of [...services].sort(byCreation)) {
    for (const p of s.ports) {
      const target = typeof p.targetPort === "number" ? p.targetPort : workload.namedPorts[p.targetPort];
      if (target === undefined) continue;
      const port = getOrInsert(ports, target, () => ({ port: target, cluster: inboundCluster(target), protocol: p.protocol, services: [] }));
      if (!port.services.some((x) => x.host === s.hostname)) port.services.push({ host: s.hostname, name: s.name, namespace: s.namespace });
    }
  }
  return [...ports.values()].sort((a, b) => a.port - b.port);
}

function isGatewayProxy(workload: Workload, config: MeshConfig): boolean {
  if (workload.kind === "Gateway") return true;
  for (const gw of config.gateways) if (istioGatewaySelects(gw, workload)) return true;
  return false;
}

function namespaceLabelsOf(config: MeshConfig): (ns: string) => Record<string, string> {
  const labels = new Map(config.namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  return (ns) => labels.get(ns) ?? {};
}

/** Sidecars whose outbound view is the same (same visible services, same source labels) share one computed table. */
function outboundFor(workload: Workload, index: CompileIndex, cache: Map<MeshService[], Map<string, OutboundConfig>>, memo: OutboundMemo): OutboundConfig {
  const services = index.visibleServices(workload);
  const labelKey = sourceLabelKey(workload, index);
  const byLabels = getOrInsert(cache, services, () => new Map<string, OutboundConfig>());
  return getOrInsert(byLabels, labelKey, () => compileOutbound(workload, services, index, memo));
}

/**
 * A snapshot, and for each workload the name of its outbound view: proxies with the same view
 * (same namespace, Sidecar scope and source labels; or one gateway) get the same routes and
 * clusters. The name says what decides the view, not what it holds, so it stays put while the
 * view's content changes: the store shares one copy per view and publishes a change once.
 */
export interface ServedCompile {
  snapshot: Snapshot;
  views: Record<string, string>;
}

export function compile(config: MeshConfig, registry: Registry, revision: number): Snapshot {
  return compileServed(config, registry, revision).snapshot;
}

export function compileServed(config: MeshConfig, registry: Registry, revision: number): ServedCompile {
  const index = buildIndex(config, registry);
  const namespaceLabels = namespaceLabelsOf(config);
  const secrets = secretLookup(config.secrets, config.referenceGrants);
  const outboundCache = new Map<MeshService[], Map<string, OutboundConfig>>();
  const memo = new OutboundMemo();
  const inboundPolicies = new WorkloadPolicies(config, registry);
  const inboundByService = new Map<MeshService, InboundPort[]>();
  const workloads: Record<string, WorkloadSnapshot> = {};
  const views: Record<string, string> = {};
  for (const w of registry.workloads) {
    const key = workloadKey(w);
    const gateway = isGatewayProxy(w, config);
    const authz = inboundPolicies.of(w);
    const identity = { namespace: w.namespace, name: w.name, serviceAccount: w.serviceAccount, labels: w.labels, kind: gateway ? ("gateway" as const) : ("sidecar" as const) };
    if (gateway) {
      const gw = compileGateway(w, config.k8sGateways, config.gateways, config.httpRoutes, config.virtualServices, index, namespaceLabels, secrets);
      workloads[key] = { workload: identity, router: { ports: gw.ports, ignoreHostPort: true }, authz, clusters: gw.clusters, inbound: [], listeners: gw.listeners };
      views[key] = `gateway|${key}`;
    } else {
      const outbound = outboundFor(w, index, outboundCache, memo);
      workloads[key] = { workload: identity, router: outbound.router, authz, clusters: outbound.clusters, inbound: inboundPorts(w, index, inboundByService) };
      views[key] = `sidecar|${index.visibilityScope(w)}|${sourceLabelKey(w, index)}`;
    }
  }
  return { snapshot: { revision, workloads }, views };
}
