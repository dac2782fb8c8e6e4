// The containers and volumes the injector adds. Shape after Istio's sidecar template; the images
// are stock (Envoy, Kubernetes' iptables image, curl), so the values are ours.
//
// Why a separate bootstrap step: stock Envoy cannot fetch its own bootstrap (`-c` takes a file),
// and the stock Envoy image has no curl (the distroless one not even a shell). So an init
// container with curl downloads it into the emptyDir the proxy reads it from, authenticated with
// the pod's projected service-account token (audience: the mesh), passing the pod's identity and
// its app probers as query parameters. It runs as the proxy's UID, so the capture rules installed
// just before it leave its traffic alone. Every value reaches the shell scripts as an environment
// variable, never spliced into the script text.
import type { Container, EnvVar, Volume } from "./pod.ts";
import { PROXY_READY_PORT, PROXY_STATS_PORT, PROXY_UID } from "./ports.ts";
import type { ProxyResources } from "./settings.ts";

export const CAPTURE_CONTAINER = "istio-init";
export const BOOTSTRAP_CONTAINER = "istio-bootstrap";
export const PROXY_CONTAINER = "istio-proxy";
export const ENVOY_VOLUME = "istio-envoy";
export const TOKEN_VOLUME = "istio-token";
/** Istio's name for the probers env var (re-injection reads it back from any injected container). */
export const PROBERS_ENV = "ISTIO_KUBE_APP_PROBERS";

const ENVOY_DIR = "/etc/istio/proxy";
const TOKEN_DIR = "/var/run/secrets/tokens";
const TOKEN_FILE = "istio-token";
const TOKEN_SECONDS = 43200;

const SMALL_RESOURCES = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

const CAPTURE_SCRIPT = `printf '%s' "$CAPTURE_RULES" | iptables-restore --noflush && iptables-save -t nat`;

const BOOTSTRAP_SCRIPT = [
  "exec curl -fsS --retry 10 --retry-all-errors --retry-delay 1 --connect-timeout 5 --max-time 30",
  `-H "Authorization: Bearer $(cat ${TOKEN_DIR}/${TOKEN_FILE})"`,
  `--get --data-urlencode "pod=$POD_NAME" --data-urlencode "ip=$INSTANCE_IP"`,
  `--data-urlencode "serviceAccount=$SERVICE_ACCOUNT" --data-urlencode "probers=\${${PROBERS_ENV}:-}"`,
  `-o ${ENVOY_DIR}/envoy.json "$BOOTSTRAP_URL"`,
].join(" ");

function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** Downward-API identity of the pod, for the proxy and the bootstrap request. */
const POD_ENV: EnvVar[] = [
  fieldEnv("POD_NAME", "metadata.name"),
  fieldEnv("POD_NAMESPACE", "metadata.namespace"),
  fieldEnv("INSTANCE_IP", "status.podIP"),
  fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
];

/** Non-root, no capabilities, nothing writable but its volumes. */
const PROXY_SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsGroup: PROXY_UID,
  runAsNonRoot: true,
  runAsUser: PROXY_UID,
};

const envoyMount = { name: ENVOY_VOLUME, mountPath: ENVOY_DIR };
const tokenMount = { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true };

/** Loads the capture rules: root with NET_ADMIN (to change the pod's nat table) and NET_RAW
 *  (iptables' legacy backend and the wrapper's probe of it open raw sockets), nothing else; the
 *  wrapper re-links the iptables binaries at run time, so the root filesystem stays writable. */
export function captureContainer(image: string, rules: string): Container {
  return {
    name: CAPTURE_CONTAINER,
    image,
    command: ["/bin/sh", "-c", CAPTURE_SCRIPT],
    env: [{ name: "CAPTURE_RULES", value: rules }],
    resources: SMALL_RESOURCES,
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

export function bootstrapContainer(image: string, bootstrapUrl: string, probers: string | undefined): Container {
  return {
    name: BOOTSTRAP_CONTAINER,
    image,
    command: ["/bin/sh", "-c", BOOTSTRAP_SCRIPT],
    env: [...POD_ENV, { name: "BOOTSTRAP_URL", value: bootstrapUrl }, ...(probers ? [{ name: PROBERS_ENV, value: probers }] : [])],
    resources: SMALL_RESOURCES,
    securityContext: PROXY_SECURITY,
    volumeMounts: [envoyMount, tokenMount],
  };
}

const PROXY_READY = { path: "/healthz/ready", port: PROXY_READY_PORT };
const READINESS_PROBE = { httpGet: PROXY_READY, failureThreshold: 4, periodSeconds: 15, timeoutSeconds: 3 };
/** A native sidecar must pass this before the app starts; a classic one just gets time to start. */
const STARTUP_PROBE = { httpGet: PROXY_READY, failureThreshold: 600, periodSeconds: 1, timeoutSeconds: 3 };

export function proxyContainer(image: string, resources: ProxyResources, native: boolean): Container {
  return {
    name: PROXY_CONTAINER,
    image,
    command: ["/usr/local/bin/envoy"],
    args: ["-c", `${ENVOY_DIR}/envoy.json`, "--disable-hot-restart", "--log-level", "warning"],
    env: POD_ENV,
    ports: [{ containerPort: PROXY_STATS_PORT, name: "http-envoy-prom", protocol: "TCP" }],
    readinessProbe: READINESS_PROBE,
    startupProbe: STARTUP_PROBE,
    resources,
    ...(native ? { restartPolicy: "Always" } : {}),
    securityContext: PROXY_SECURITY,
    volumeMounts: [envoyMount, tokenMount],
  };
}

export function injectedVolumes(tokenAudience: string): Volume[] {
  return [
    { name: ENVOY_VOLUME, emptyDir: { medium: "Memory" } },
    {
      name: TOKEN_VOLUME,
      projected: { sources: [{ serviceAccountToken: { audience: tokenAudience, expirationSeconds: TOKEN_SECONDS, path: TOKEN_FILE } }] },
    },
  ];
}
