// What it takes to run a gateway proxy in a cluster: its ServiceAccount, a Deployment of stock
// Envoy that fetches its bootstrap from the control plane (the sidecar's bootstrap step, reused),
// and a Service with the listener ports and the 15021 status port, whose type follows the
// `networking.istio.io/service-type` annotation (Istio's default: LoadBalancer).
import { bootstrapContainer, injectedVolumes, proxyContainer } from "../../admission/containers.ts";
import { PROXY_READY_PORT, PROXY_STATS_PORT } from "../../admission/ports.ts";
import { DEFAULT_SETTINGS } from "../../admission/settings.ts";
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";

export const SERVICE_TYPE_ANNOTATION = "networking.istio.io/service-type";
/** The GatewayClass whose Gateways get a Service, as Istio's gateway controller handles. */
export const ISTIO_GATEWAY_CLASS = "istio";

export interface ManifestSettings {
  controlPlaneUrl: string;
  proxyImage?: string;
}

const portName = (protocol: string, port: number, name?: string) => (name ? name : `${protocol.toLowerCase()}-${port}`);

/** A gateway proxy's listeners, one per port, by port. */
function listenersOf(proxy: WorkloadSnapshot) {
  return [...new Map((proxy.listeners ?? []).map((l) => [l.port, l])).values()].sort((a, b) => a.port - b.port);
}

/** The gateway's Service, as Istio's gateway controller makes it (and the config API lists it). */
export function gatewayService(gateway: KubeObject, proxy: WorkloadSnapshot): KubeObject {
  const { namespace, name, labels } = proxy.workload;
  const serviceType = gateway.metadata.annotations?.[SERVICE_TYPE_ANNOTATION] ?? "LoadBalancer";
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      labels: { "gateway.istio.io/managed": "edge-mesh", ...labels },
      annotations: { [SERVICE_TYPE_ANNOTATION]: serviceType },
    },
    spec: {
      type: serviceType,
      selector: labels,
      ports: [
        { name: "status-port", port: PROXY_READY_PORT, targetPort: PROXY_READY_PORT, protocol: "TCP", appProtocol: "tcp" },
        ...listenersOf(proxy).map((l) => ({ name: portName(l.protocol, l.port, l.name), port: l.port, targetPort: l.port, protocol: "TCP", appProtocol: l.protocol.toLowerCase() })),
      ],
    },
  };
}

export function gatewayManifest(gateway: KubeObject, proxy: WorkloadSnapshot, settings: ManifestSettings): KubeObject {
  const { namespace, name, serviceAccount, labels } = proxy.workload;
  const listeners = listenersOf(proxy);
  const owner = { "gateway.istio.io/managed": "edge-mesh", ...labels };
  const bootstrapUrl = `${settings.controlPlaneUrl}/mesh/v1/bootstrap/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const proxyC = proxyContainer(settings.proxyImage ?? DEFAULT_SETTINGS.proxyImage, DEFAULT_SETTINGS.proxyResources, false);
  const items: KubeObject[] = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace, labels: owner } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels: owner },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...owner, "sidecar.istio.io/inject": "false" } },
          spec: {
            serviceAccountName: serviceAccount,
            // Envoy runs as UID 1337 and listens on the Gateway's ports (80, 443, ...).
            securityContext: { sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] },
            initContainers: [bootstrapContainer(DEFAULT_SETTINGS.bootstrapImage, bootstrapUrl, undefined)],
            containers: [
              {
                ...proxyC,
                ports: [
                  ...listeners.map((l) => ({ containerPort: l.port, name: portName(l.protocol, l.port), protocol: "TCP" })),
                  { containerPort: PROXY_READY_PORT, name: "status-port", protocol: "TCP" },
                  { containerPort: PROXY_STATS_PORT, name: "http-envoy-prom", protocol: "TCP" },
                ],
              },
            ],
            volumes: injectedVolumes(DEFAULT_SETTINGS.tokenAudience),
          },
        },
      },
    },
    gatewayService(gateway, proxy),
  ];
  return { apiVersion: "v1", kind: "List", metadata: {}, items } as unknown as KubeObject;
}
