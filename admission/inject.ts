// The pod mutation: given a pod that should get a sidecar, the pod with it. Pure: no I/O; the
// caller diffs the result into a JSON patch.
import { captureRules } from "./capture.ts";
import {
  BOOTSTRAP_CONTAINER,
  bootstrapContainer,
  CAPTURE_CONTAINER,
  captureContainer,
  ENVOY_VOLUME,
  injectedVolumes,
  PROXY_CONTAINER,
  proxyContainer,
  TOKEN_VOLUME,
} from "./containers.ts";
import type { Pod } from "./pod.ts";
import { REWRITE_PROBES_ANNOTATION, rewriteProbes } from "./probes.ts";
import type { InjectionSettings, ProxyResources } from "./settings.ts";
import { STATUS_ANNOTATION, uninject, type InjectionStatus } from "./uninject.ts";
import { canonicalLabels, workloadName } from "./workload.ts";

export interface InjectionContext {
  /** The pod's namespace (the AdmissionReview's, which a new pod's metadata may lack). */
  namespace: string;
}

export type InjectionResult = { pod: Pod; warnings: string[] } | { problem: string };

const PROXY_IMAGE_ANNOTATION = "sidecar.istio.io/proxyImage";
const NATIVE_SIDECAR_ANNOTATION = "sidecar.istio.io/nativeSidecar";
const RESOURCE_ANNOTATIONS = {
  "sidecar.istio.io/proxyCPU": ["requests", "cpu"],
  "sidecar.istio.io/proxyMemory": ["requests", "memory"],
  "sidecar.istio.io/proxyCPULimit": ["limits", "cpu"],
  "sidecar.istio.io/proxyMemoryLimit": ["limits", "memory"],
} as const;

/** A Kubernetes resource.Quantity: a decimal with an SI, binary-SI or exponent suffix. */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

function quantityValue(q: string): number {
  const m = QUANTITY.exec(q)!;
  const suffix = m[3] ?? "";
  return Number(m[1]) * (SUFFIX[suffix] ?? 10 ** Number(suffix.slice(1)));
}

/** The sidecar's resources after the annotations; a request above its limit lifts the limit
 *  (the API server would reject the pod otherwise). */
function proxyResources(annotations: Record<string, string>, defaults: ProxyResources, warnings: string[]): ProxyResources | string {
  const out = { requests: { ...defaults.requests }, limits: { ...defaults.limits } };
  for (const [key, [kind, resource]] of Object.entries(RESOURCE_ANNOTATIONS)) {
    const value = annotations[key];
    if (value === undefined) continue;
    if (!QUANTITY.test(value)) return `annotation ${key}: "${value}" is not a Kubernetes quantity`;
    out[kind][resource] = value;
  }
  for (const resource of ["cpu", "memory"] as const)
    if (quantityValue(out.requests[resource]) > quantityValue(out.limits[resource])) {
      warnings.push(`the sidecar's ${resource} limit was raised to its request ${out.requests[resource]}`);
      out.limits[resource] = out.requests[resource];
    }
  return out;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : value.toLowerCase() === "true";
}

export function injectPod(original: Pod, context: InjectionContext, settings: InjectionSettings): InjectionResult {
  const pod = uninject(original);
  const annotations = pod.metadata?.annotations ?? {};
  const clash =
    [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) =>
      [CAPTURE_CONTAINER, BOOTSTRAP_CONTAINER, PROXY_CONTAINER].includes(c.name),
    )?.name ?? pod.spec.volumes?.find((v) => v.name === ENVOY_VOLUME || v.name === TOKEN_VOLUME)?.name;
  if (clash) return { problem: `the pod already has a container or volume named ${clash} that ${STATUS_ANNOTATION} does not list` };

  const capture = captureRules(annotations);
  if ("problem" in capture) return capture;
  const warnings = [...capture.warnings];
  const resources = proxyResources(annotations, settings.proxyResources, warnings);
  if (typeof resources === "string") return { problem: resources };
  const image = annotations[PROXY_IMAGE_ANNOTATION]?.trim() || settings.proxyImage;
  const native = flag(annotations[NATIVE_SIDECAR_ANNOTATION], settings.nativeSidecars);

  const { containers, probers } = flag(annotations[REWRITE_PROBES_ANNOTATION], true)
    ? rewriteProbes(pod.spec.containers)
    : { containers: pod.spec.containers, probers: {} };
  const workload = workloadName(pod);
  const base = settings.controlPlaneUrl.replace(/\/+$/, "");
  const bootstrapUrl = `${base}/mesh/v1/bootstrap/${encodeURIComponent(context.namespace)}/${encodeURIComponent(workload)}`;
  const proxy = proxyContainer(image, resources, native);
  const initContainers = [
    captureContainer(settings.captureImage, capture.rules),
    bootstrapContainer(settings.bootstrapImage, bootstrapUrl, Object.keys(probers).length ? JSON.stringify(probers) : undefined),
    ...(native ? [proxy] : []),
  ];
  const volumes = injectedVolumes(settings.tokenAudience);
  const status: InjectionStatus = {
    initContainers: initContainers.map((c) => c.name),
    containers: native ? null : [proxy.name],
    volumes: volumes.map((v) => v.name),
    imagePullSecrets: null,
    revision: settings.revision,
  };

  // Built by assignment rather than conditional spreads: this runs for every pod created.
  const canonical = canonicalLabels(pod, workload);
  const labels: Record<string, string> = { ...pod.metadata?.labels };
  labels["security.istio.io/tlsMode"] ??= "istio";
  if (canonical.name) labels["service.istio.io/canonical-name"] = canonical.name;
  labels["service.istio.io/canonical-revision"] = canonical.revision;
  const injectedAnnotations: Record<string, string> = { ...annotations };
  const firstApp = pod.spec.containers[0]?.name;
  if (firstApp) {
    injectedAnnotations["kubectl.kubernetes.io/default-container"] ??= firstApp;
    injectedAnnotations["kubectl.kubernetes.io/default-logs-container"] ??= firstApp;
  }
  injectedAnnotations["istio.io/rev"] = settings.revision;
  injectedAnnotations[STATUS_ANNOTATION] = JSON.stringify(status);
  return {
    warnings,
    pod: {
      ...pod,
      metadata: { ...pod.metadata, labels, annotations: injectedAnnotations },
      spec: {
        ...pod.spec,
        initContainers: initContainers.concat(pod.spec.initContainers ?? []),
        containers: native ? containers : containers.concat(proxy),
        volumes: (pod.spec.volumes ?? []).concat(volumes),
      },
    },
  };
}
