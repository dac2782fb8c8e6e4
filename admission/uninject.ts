// Re-injection: a pod that already carries sidecar.istio.io/status (from us or from Istio) first
// loses what that annotation lists, and gets its original app probes back from the probers an
// injected container carries; injecting the result again makes inject(inject(p)) == inject(p).
import { PROBERS_ENV } from "./containers.ts";
import type { Container, Pod } from "./pod.ts";
import { parseProbers, restoreProbes } from "./probes.ts";

export const STATUS_ANNOTATION = "sidecar.istio.io/status";

/** What an injection added, as recorded in the status annotation (Istio's JSON shape). */
export interface InjectionStatus {
  initContainers: string[] | null;
  containers: string[] | null;
  volumes: string[] | null;
  imagePullSecrets: string[] | null;
  revision: string;
}

function names(v: unknown): Set<string> {
  return new Set(Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
}

/** The pod without the parts a previous injection listed; the pod itself when it was never injected. */
export function uninject(pod: Pod): Pod {
  const raw = pod.metadata?.annotations?.[STATUS_ANNOTATION];
  if (raw === undefined) return pod;
  let status: Partial<Record<keyof InjectionStatus, unknown>> = {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null) status = parsed;
  } catch {
    // An unreadable status lists nothing; leftovers are caught as name clashes by the injector.
  }
  const added = new Set([...names(status.initContainers), ...names(status.containers)]);
  const addedVolumes = names(status.volumes);
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const probersEnv = all.filter((c) => added.has(c.name)).flatMap((c) => c.env ?? []).find((e) => e.name === PROBERS_ENV)?.value;
  const probers = probersEnv ? parseProbers(probersEnv) : {};
  const keep = (list: Container[]) => restoreProbes(list.filter((c) => !added.has(c.name)), probers);

  const { [STATUS_ANNOTATION]: _, ...annotations } = pod.metadata?.annotations ?? {};
  const spec = { ...pod.spec, containers: keep(pod.spec.containers) };
  if (pod.spec.initContainers) spec.initContainers = keep(pod.spec.initContainers);
  if (pod.spec.volumes) spec.volumes = pod.spec.volumes.filter((v) => !addedVolumes.has(v.name));
  return { ...pod, metadata: { ...pod.metadata, annotations }, spec };
}
