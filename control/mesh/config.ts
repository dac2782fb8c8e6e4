// The mesh configuration a compile reads: every stored object, grouped by kind. Objects have
// passed validation, so the compiler reads their fields without re-checking shapes.
import type { KubeObject } from "./kinds/types.ts";

/** The namespace whose policies apply mesh-wide (Istio's root namespace). */
export const ROOT_NAMESPACE = "istio-system";

export interface MeshConfig {
  namespaces: KubeObject[];
  services: KubeObject[];
  serviceAccounts: KubeObject[];
  deployments: KubeObject[];
  virtualServices: KubeObject[];
  destinationRules: KubeObject[];
  gateways: KubeObject[];
  serviceEntries: KubeObject[];
  workloadEntries: KubeObject[];
  sidecars: KubeObject[];
  peerAuthentications: KubeObject[];
  authorizationPolicies: KubeObject[];
  requestAuthentications: KubeObject[];
  gatewayClasses: KubeObject[];
  k8sGateways: KubeObject[];
  httpRoutes: KubeObject[];
  referenceGrants: KubeObject[];
  /** Read for gateways' serving certificates only; never copied into a snapshot. */
  secrets: KubeObject[];
}

const FIELD_BY_KIND: Record<string, keyof MeshConfig> = {
  "v1/Namespace": "namespaces",
  "v1/Service": "services",
  "v1/ServiceAccount": "serviceAccounts",
  "apps/v1/Deployment": "deployments",
  "networking.istio.io/v1/VirtualService": "virtualServices",
  "networking.istio.io/v1/DestinationRule": "destinationRules",
  "networking.istio.io/v1/Gateway": "gateways",
  "networking.istio.io/v1/ServiceEntry": "serviceEntries",
  "networking.istio.io/v1/WorkloadEntry": "workloadEntries",
  "networking.istio.io/v1/Sidecar": "sidecars",
  "security.istio.io/v1/PeerAuthentication": "peerAuthentications",
  "security.istio.io/v1/AuthorizationPolicy": "authorizationPolicies",
  "security.istio.io/v1/RequestAuthentication": "requestAuthentications",
  "gateway.networking.k8s.io/v1/GatewayClass": "gatewayClasses",
  "gateway.networking.k8s.io/v1/Gateway": "k8sGateways",
  "gateway.networking.k8s.io/v1/HTTPRoute": "httpRoutes",
  "gateway.networking.k8s.io/v1/ReferenceGrant": "referenceGrants",
  "v1/Secret": "secrets",
};

/** Whether the compiler reads objects of this kind (a write of one can change what proxies are served). */
export function compilerReads(obj: { apiVersion: string; kind: string }): boolean {
  return `${obj.apiVersion}/${obj.kind}` in FIELD_BY_KIND;
}

/** Oldest first, then by namespace/name: Istio's order when several objects compete. */
export function byAge(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Groups stored (v1) objects by kind; kinds the mesh does not read (ConfigMap) are dropped. */
export function meshConfig(objects: Iterable<KubeObject>): MeshConfig {
  const config = Object.fromEntries(Object.values(FIELD_BY_KIND).map((f) => [f, [] as KubeObject[]])) as unknown as MeshConfig;
  for (const obj of objects) {
    const field = FIELD_BY_KIND[`${obj.apiVersion}/${obj.kind}`];
    if (field) config[field].push(obj);
  }
  for (const list of Object.values(config) as KubeObject[][]) list.sort(byAge);
  return config;
}

/** `spec` of an object, typed by the caller (the object passed validation). */
export function specOf<T>(obj: KubeObject): T {
  return (obj.spec ?? {}) as T;
}

export function nameOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}
