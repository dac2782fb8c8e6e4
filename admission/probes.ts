// App probes through the sidecar. With mTLS on, the kubelet's plain-HTTP probes to an app port would
// be captured and refused by the proxy, so (as Istio does) each httpGet probe is rewritten to
// GET /app-health/<container>/<livez|readyz|startupz> on the proxy's port 15020, which is not
// captured; the original probes (the "probers", Istio's ISTIO_KUBE_APP_PROBERS JSON) travel with the
// bootstrap request so the proxy can forward each path to the app in the clear over localhost.
// tcpSocket probes still work through the capture (the kubelet only checks the connect), exec probes
// run inside the container; gRPC probes are left as they are (see README).
import type { Container, HttpGetAction, Probe } from "./pod.ts";
import { APP_HEALTH_PORT } from "./ports.ts";

export const REWRITE_PROBES_ANNOTATION = "sidecar.istio.io/rewriteAppHTTPProbers";

const PROBES = { livenessProbe: "livez", readinessProbe: "readyz", startupProbe: "startupz" } as const;
type ProbeField = keyof typeof PROBES;

export interface Prober {
  httpGet: HttpGetAction;
  timeoutSeconds?: number;
}
export type Probers = Record<string, Prober>;

function resolvePort(container: Container, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The containers with their httpGet probes pointed at the proxy, and the probers that undo it. */
export function rewriteProbes(containers: Container[]): { containers: Container[]; probers: Probers } {
  const probers: Probers = {};
  const rewritten = containers.map((container) => {
    let out = container;
    for (const field of Object.keys(PROBES) as ProbeField[]) {
      const probe = container[field];
      const port = probe?.httpGet && resolvePort(container, probe.httpGet.port);
      // A probe already on the proxy's port has nothing to forward to (it would loop).
      if (!probe?.httpGet || port === undefined || port === APP_HEALTH_PORT) continue;
      const path = `/app-health/${container.name}/${PROBES[field]}`;
      probers[path] = {
        httpGet: { ...probe.httpGet, port },
        ...(probe.timeoutSeconds !== undefined ? { timeoutSeconds: probe.timeoutSeconds } : {}),
      };
      out = { ...out, [field]: { ...probe, httpGet: { path, port: APP_HEALTH_PORT } } satisfies Probe };
    }
    return out;
  });
  return { containers: rewritten, probers };
}

/** The probers of an earlier injection (an env value); entries of any other shape are dropped. */
export function parseProbers(json: string): Probers {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null) return {};
  const probers: Probers = {};
  for (const [path, p] of Object.entries(parsed as Record<string, { httpGet?: { port?: unknown } }>)) {
    const port = p?.httpGet?.port;
    if (typeof p?.httpGet === "object" && (typeof port === "number" || typeof port === "string")) probers[path] = p as Prober;
  }
  return probers;
}

/** Undoes rewriteProbes, given the probers it returned (for re-injection). */
export function restoreProbes(containers: Container[], probers: Probers): Container[] {
  return containers.map((container) => {
    let out = container;
    for (const field of Object.keys(PROBES) as ProbeField[]) {
      const probe = container[field];
      const prober = probe?.httpGet?.port === APP_HEALTH_PORT ? probers[probe.httpGet.path ?? ""] : undefined;
      if (prober?.httpGet) out = { ...out, [field]: { ...probe, httpGet: prober.httpGet } };
    }
    return out;
  });
}
