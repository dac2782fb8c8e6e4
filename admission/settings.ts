// What the injector is configured with. The Worker builds this from its env and the URL it is called
// on (index.ts keeps the last one built); tests and the benchmark pass their own.

export interface ProxyResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface InjectionSettings {
  /** Where proxies fetch their bootstrap: `<controlPlaneUrl>/mesh/v1/bootstrap/<namespace>/<workload>`. */
  controlPlaneUrl: string;
  /** Stock Envoy; `sidecar.istio.io/proxyImage` overrides it per pod. */
  proxyImage: string;
  /** Runs the traffic-capture rules (needs iptables-restore and /bin/sh). */
  captureImage: string;
  /** Downloads the bootstrap (needs curl and /bin/sh). */
  bootstrapImage: string;
  /** istio-proxy as a Kubernetes native sidecar (an init container with restartPolicy: Always);
   *  `sidecar.istio.io/nativeSidecar` overrides it per pod. Off by default: a classic container. */
  nativeSidecars: boolean;
  /** Audience of the projected service-account token the proxy presents to the control plane. */
  tokenAudience: string;
  /** The `istio.io/rev` the injected pods carry. */
  revision: string;
  /** The sidecar's resources; `sidecar.istio.io/proxyCPU|proxyMemory|proxyCPULimit|proxyMemoryLimit` override them. */
  proxyResources: ProxyResources;
}

export const DEFAULT_SETTINGS: Omit<InjectionSettings, "controlPlaneUrl"> = {
  proxyImage: "envoyproxy/envoy:v1.39-latest",
  // The Kubernetes project's own iptables image (kube-proxy's base): iptables-wrapper picks the
  // node's legacy or nft backend at run time.
  captureImage: "registry.k8s.io/build-image/debian-iptables:bookworm-v1.0.0",
  bootstrapImage: "curlimages/curl:8.20.0",
  nativeSidecars: false,
  tokenAudience: "edge-mesh",
  revision: "default",
  proxyResources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } },
};

/** Worker variables that configure the webhook (all optional). */
export interface AdmissionBindings {
  /** When set, the webhook is served only at /inject/<secret> (see README). */
  MESH_WEBHOOK_SECRET?: string;
  /** The URL proxies reach the control plane at; default: the origin the webhook was called on. */
  MESH_CONTROL_PLANE_URL?: string;
  MESH_PROXY_IMAGE?: string;
  /** "true": istio-proxy as a native sidecar by default. */
  MESH_NATIVE_SIDECARS?: string;
}

export function settingsFromEnv(env: AdmissionBindings, requestUrl: string): InjectionSettings {
  return {
    ...DEFAULT_SETTINGS,
    controlPlaneUrl: env.MESH_CONTROL_PLANE_URL || new URL(requestUrl).origin,
    proxyImage: env.MESH_PROXY_IMAGE || DEFAULT_SETTINGS.proxyImage,
    nativeSidecars: env.MESH_NATIVE_SIDECARS === "true",
  };
}
