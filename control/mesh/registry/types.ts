// The service registry: what exists in the mesh, derived from Services, ServiceEntries,
// Deployments, WorkloadEntries and Gateways. The compiler reads only this and the config.

export interface ServicePort {
  name: string;
  port: number;
  /** The port on the workload (numeric); a named targetPort resolves per workload. */
  targetPort: number | string;
  /** HTTP, HTTP2, GRPC, HTTPS, TLS, TCP, ... from appProtocol or the port-name prefix. */
  protocol: string;
}

export interface MeshService {
  /** FQDN: `reviews.default.svc.cluster.local`, or the ServiceEntry host. */
  hostname: string;
  namespace: string;
  /** The Service or ServiceEntry name. */
  name: string;
  kind: "Service" | "ServiceEntry";
  /** metadata.creationTimestamp: Istio lists the Services on a workload's port oldest first. */
  created?: string;
  ports: ServicePort[];
  /** Pod selector (Service) or workloadSelector (ServiceEntry); undefined selects nothing. */
  selector?: Record<string, string>;
  /** Namespaces that may see this service: ["*"] (all), or names. */
  exportTo: string[];
  /** ServiceEntry only. */
  location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  resolution?: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
  staticEndpoints?: { address: string; ports?: Record<string, number>; labels?: Record<string, string> }[];
}

export interface Workload {
  namespace: string;
  /** Deployment, WorkloadEntry or gateway deployment name. */
  name: string;
  kind: "Deployment" | "WorkloadEntry" | "Gateway";
  labels: Record<string, string>;
  serviceAccount: string;
  /** Container ports by name, to resolve named targetPorts. */
  namedPorts: Record<string, number>;
  address?: string;
}

export interface Registry {
  services: MeshService[];
  workloads: Workload[];
}

/** `<namespace>/<name>`: how workloads are named everywhere (snapshot keys, URLs, tokens). */
export function workloadKey(w: Pick<Workload, "namespace" | "name">): string {
  return `${w.namespace}/${w.name}`;
}

/** Every key/value of `selector` is in `labels` (an empty selector matches everything). */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** Istio's exportTo: is an object of `ownNamespace` visible to clients in `namespace`? No list
 *  exports it everywhere; `.` is its own namespace. */
export function exportedTo(exportTo: readonly string[] | undefined, ownNamespace: string | undefined, namespace: string): boolean {
  if (!exportTo) return true;
  return exportTo.some((e) => e === "*" || e === namespace || (e === "." && ownNamespace === namespace));
}

/** Is the service visible from a namespace, by its exportTo? */
export function visibleFrom(service: Pick<MeshService, "exportTo" | "namespace">, namespace: string): boolean {
  return exportedTo(service.exportTo, service.namespace, namespace);
}
