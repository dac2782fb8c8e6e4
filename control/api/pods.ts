// Pods as the mesh sees them: one per registered proxy, built from its registration (never stored
// as config). The spec is the one admission produced when the pod went through the webhook;
// otherwise the workload Deployment's app containers plus the istio-proxy container the webhook
// would add (a gateway pod is its proxy alone). The app containers count as ready (the mesh cannot
// see them); istio-proxy is ready while its heartbeats arrive, so a pod that missed one shows
// READY 1/2 (a gateway 0/1) and condition Ready False until its endpoint expires.
import { PROXY_CONTAINER, proxyContainer } from "../../admission/containers.ts";
import type { InjectionSettings } from "../../admission/settings.ts";
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { PodRecord } from "../store/requests.ts";
import { describeSync, POD_SYNC_CONDITION, SYNC_REASONS, type ProxySync } from "../proxy/sync-status.ts";

interface Container {
  name: string;
  image?: string;
  [field: string]: unknown;
}

/** Kubernetes timestamps have no fractional seconds. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The API server defaults a container port's protocol to TCP before anything else sees the pod. */
function withDefaults(c: Container): Container {
  const ports = c.ports as { protocol?: string }[] | undefined;
  return ports ? { ...c, ports: ports.map((p) => ({ ...p, protocol: p.protocol ?? "TCP" })) } : c;
}

function containersOf(r: PodRecord, settings: Pick<InjectionSettings, "proxyImage" | "proxyResources">): Container[] {
  const admitted = r.admitted?.spec.containers as Container[] | undefined;
  if (admitted) return admitted.map(withDefaults);
  const proxy = proxyContainer(settings.proxyImage, settings.proxyResources, false) as Container;
  return r.kind === "gateway" ? [proxy] : [...((r.appContainers ?? []) as Container[]).map(withDefaults), proxy];
}

function condition(type: string, ready: boolean, since: number, notReady?: string) {
  return {
    type,
    status: ready ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: rfc3339(since),
    ...(ready ? {} : { reason: "ContainersNotReady", message: `containers with unready status: [${notReady}]` }),
  };
}

/** Whether the pod's proxy runs the published config (istioctl proxy-status), and since when. */
function syncCondition(sync: ProxySync, registeredAt: number) {
  const nack = sync.channels.find((c) => c.state === "ERROR")?.nack;
  const since = Math.max(registeredAt, ...sync.channels.map((c) => c.at));
  return {
    type: POD_SYNC_CONDITION,
    status: sync.state === "SYNCED" ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: rfc3339(since),
    reason: SYNC_REASONS[sync.state],
    message: describeSync(sync) + (nack ? `; rejected: ${nack}` : ""),
  };
}

export function podObject(r: PodRecord, now: number, settings: Pick<InjectionSettings, "proxyImage" | "proxyResources">): KubeObject {
  const containers = containersOf(r, settings);
  const proxyReady = now < r.readyUntil;
  const created = rfc3339(r.registeredAt);
  const spec = { ...(r.admitted?.spec ?? { serviceAccountName: r.serviceAccount }), containers };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: r.pod,
      namespace: r.namespace,
      creationTimestamp: created,
      labels: { ...r.labels, ...(r.admitted?.labels ?? {}) },
      ...(r.admitted && Object.keys(r.admitted.annotations).length ? { annotations: r.admitted.annotations } : {}),
    },
    spec,
    status: {
      phase: "Running",
      conditions: [
        condition("Initialized", true, r.registeredAt),
        condition("Ready", proxyReady, proxyReady ? r.registeredAt : r.readyUntil, PROXY_CONTAINER),
        condition("ContainersReady", proxyReady, proxyReady ? r.registeredAt : r.readyUntil, PROXY_CONTAINER),
        condition("PodScheduled", true, r.registeredAt),
        ...(r.sync ? [syncCondition(r.sync, r.registeredAt)] : []),
      ],
      podIP: r.ip,
      podIPs: [{ ip: r.ip }],
      startTime: created,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image ?? "",
        imageID: "",
        ready: c.name === PROXY_CONTAINER ? proxyReady : true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: created } },
      })),
    },
  };
}
