// Builds the service registry from the configuration.
import { type MeshConfig, ROOT_NAMESPACE, specOf } from "../config.ts";
import { CLUSTER_DOMAIN, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { portProtocol } from "./protocol.ts";
import type { MeshService, Registry, ServicePort, Workload } from "./types.ts";

interface ServiceSpec {
  selector?: Record<string, string>;
  ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }[];
}

interface ServiceEntrySpec {
  hosts: string[];
  ports?: { number: number; name: string; protocol?: string; targetPort?: number }[];
  location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  resolution?: MeshService["resolution"];
  endpoints?: { address?: string; ports?: Record<string, number>; labels?: Record<string, string> }[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { serviceAccountName?: string; serviceAccount?: string; containers?: { ports?: { name?: string; containerPort: number }[] }[] };
}

/** Istio's default ingress gateway, which every Istio install has and Istio `Gateway`s select. */
export const DEFAULT_INGRESS: Workload = {
  namespace: ROOT_NAMESPACE,
  name: "istio-ingressgateway",
  kind: "Gateway",
  labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
  serviceAccount: "istio-ingressgateway-service-account",
  namedPorts: {},
};

function exportToOf(obj: KubeObject, declared?: string[]): string[] {
  const annotation = obj.metadata.annotations?.["networking.istio.io/exportTo"];
  const list = declared ?? (annotation ? annotation.split(",").map((s) => s.trim()) : ["*"]);
  return list.map((e) => (e === "." ? (obj.metadata.namespace ?? "") : e)).filter((e) => e !== "~");
}

function fromService(obj: KubeObject): MeshService {
  const spec = specOf<ServiceSpec>(obj);
  const namespace = obj.metadata.namespace ?? "default";
  return {
    hostname: `${obj.metadata.name}.${namespace}.svc.${CLUSTER_DOMAIN}`,
    namespace,
    name: obj.metadata.name,
    kind: "Service",
    created: obj.metadata.creationTimestamp,
    ports: (spec.ports ?? []).map(
      (p): ServicePort => ({ name: p.name ?? "", port: p.port, targetPort: p.targetPort ?? p.port, protocol: portProtocol(p.name, p.appProtocol, p.protocol) }),
    ),
    selector: spec.selector,
    exportTo: exportToOf(obj),
  };
}

function fromServiceEntry(obj: KubeObject): MeshService[] {
  const spec = specOf<ServiceEntrySpec>(obj);
  const namespace = obj.metadata.namespace ?? "default";
  return spec.hosts.map((host) => ({
    hostname: resolveHost(host, namespace),
    namespace,
    name: obj.metadata.name,
    kind: "ServiceEntry" as const,
    created: obj.metadata.creationTimestamp,
    ports: (spec.ports ?? []).map((p) => ({ name: p.name, port: p.number, targetPort: p.targetPort ?? p.number, protocol: portProtocol(p.name, undefined, p.protocol) })),
    selector: spec.workloadSelector?.labels,
    exportTo: exportToOf(obj, spec.exportTo),
    location: spec.location ?? "MESH_EXTERNAL",
    resolution: spec.resolution ?? "NONE",
    staticEndpoints: spec.endpoints?.filter((e) => e.address).map((e) => ({ address: e.address!, ports: e.ports, labels: e.labels })),
  }));
}

function fromDeployment(obj: KubeObject): Workload {
  const template = ((obj.spec as { template?: PodTemplate })?.template ?? {}) as PodTemplate;
  const namedPorts: Record<string, number> = {};
  for (const c of template.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
  return {
    namespace: obj.metadata.namespace ?? "default",
    name: obj.metadata.name,
    kind: "Deployment",
    labels: template.metadata?.labels ?? {},
    serviceAccount: template.spec?.serviceAccountName ?? template.spec?.serviceAccount ?? "default",
    namedPorts,
  };
}

function fromWorkloadEntry(obj: KubeObject): Workload {
  const spec = specOf<{ address?: string; labels?: Record<string, string>; serviceAccount?: string; ports?: Record<string, number> }>(obj);
  return {
    namespace: obj.metadata.namespace ?? "default",
    name: obj.metadata.name,
    kind: "WorkloadEntry",
    labels: spec.labels ?? {},
    serviceAccount: spec.serviceAccount ?? "default",
    namedPorts: spec.ports ?? {},
    address: spec.address,
  };
}

/** Istio deploys `<gateway>-istio` for each Gateway API Gateway; we model that deployment. */
export function gatewayWorkloadName(gatewayName: string): string {
  return `${gatewayName}-istio`;
}

function fromK8sGateway(obj: KubeObject): Workload {
  return {
    namespace: obj.metadata.namespace ?? "default",
    name: gatewayWorkloadName(obj.metadata.name),
    kind: "Gateway",
    labels: { "gateway.networking.k8s.io/gateway-name": obj.metadata.name, "istio.io/gateway-name": obj.metadata.name },
    serviceAccount: gatewayWorkloadName(obj.metadata.name),
    namedPorts: {},
  };
}

/** Sorted by a string key computed once per item (not once per comparison). */
function sortedBy<T>(items: T[], key: (item: T) => string): T[] {
  return items
    .map((item) => [key(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}

export function buildRegistry(config: MeshConfig): Registry {
  const services = [...config.services.map(fromService), ...config.serviceEntries.flatMap(fromServiceEntry)];
  const workloads = [
    ...config.deployments.map(fromDeployment),
    ...config.workloadEntries.map(fromWorkloadEntry),
    ...config.k8sGateways.map(fromK8sGateway),
    DEFAULT_INGRESS,
  ];
  return {
    services: sortedBy(services, (s) => `${s.hostname} ${s.namespace}`),
    workloads: sortedBy(workloads, (w) => `${w.namespace}/${w.name}`),
  };
}

export type { MeshService, Registry, ServicePort, Workload } from "./types.ts";
