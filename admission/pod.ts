// The parts of a Kubernetes Pod the injector reads or writes, and a reader that checks exactly those
// parts. Everything else in the pod passes through untouched (the types are open).

export interface HttpGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

export interface Probe {
  httpGet?: HttpGetAction;
  timeoutSeconds?: number;
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } } & Record<string, unknown>;
}

export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: EnvVar[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  controller?: boolean;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [field: string]: unknown;
  };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    volumes?: Volume[];
    serviceAccountName?: string;
    hostNetwork?: boolean;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringMapProblem(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) return `${field} must be an object`;
  for (const [k, s] of Object.entries(v)) if (typeof s !== "string") return `${field}["${k}"] must be a string`;
  return undefined;
}

function namedListProblem(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return `${field} must be a list`;
  const i = v.findIndex((item) => !isObject(item) || typeof item.name !== "string");
  return i >= 0 ? `${field}[${i}] must be an object with a string name` : undefined;
}

function probeProblem(probe: unknown, field: string): string | undefined {
  if (probe === undefined) return undefined;
  if (!isObject(probe)) return `${field} must be an object`;
  const get = probe.httpGet;
  if (get === undefined) return undefined;
  if (!isObject(get) || !["number", "string"].includes(typeof get.port)) return `${field}.httpGet.port must be a number or a name`;
  return get.path === undefined || typeof get.path === "string" ? undefined : `${field}.httpGet.path must be a string`;
}

function containerProblem(c: Record<string, unknown>, field: string): string | undefined {
  const ports = c.ports;
  if (ports !== undefined && (!Array.isArray(ports) || ports.some((p) => !isObject(p) || typeof p.containerPort !== "number")))
    return `${field}.ports must be a list of objects with a numeric containerPort`;
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const problem = probeProblem(c[probe], `${field}.${probe}`);
    if (problem) return problem;
  }
  return namedListProblem(c.env, `${field}.env`);
}

/** The pod, if every part the injector touches has the shape Kubernetes gives it; else what is wrong. */
export function readPod(obj: unknown): { pod: Pod } | { problem: string } {
  if (!isObject(obj)) return { problem: "the object is not a Pod" };
  const meta = obj.metadata;
  if (meta !== undefined && !isObject(meta)) return { problem: "metadata must be an object" };
  const spec = obj.spec;
  if (!isObject(spec)) return { problem: "spec must be an object" };
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) return { problem: "spec.containers must be a non-empty list" };
  const problem =
    stringMapProblem(meta?.labels, "metadata.labels") ??
    stringMapProblem(meta?.annotations, "metadata.annotations") ??
    namedListProblem(meta?.ownerReferences, "metadata.ownerReferences") ??
    (["name", "generateName", "namespace"].find((f) => meta?.[f] !== undefined && typeof meta[f] !== "string")
      ? "metadata.name, generateName and namespace must be strings"
      : undefined) ??
    namedListProblem(spec.containers, "spec.containers") ??
    namedListProblem(spec.initContainers, "spec.initContainers") ??
    namedListProblem(spec.volumes, "spec.volumes") ??
    (spec.serviceAccountName !== undefined && typeof spec.serviceAccountName !== "string"
      ? "spec.serviceAccountName must be a string"
      : undefined) ??
    [...(spec.containers as Record<string, unknown>[]), ...((spec.initContainers as Record<string, unknown>[] | undefined) ?? [])]
      .map((c) => containerProblem(c, `container ${String(c.name)}`))
      .find((p) => p !== undefined);
  return problem ? { problem } : { pod: obj as unknown as Pod };
}
