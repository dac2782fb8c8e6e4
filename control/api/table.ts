// `kubectl get` output: a meta.k8s.io/v1 Table with the kind's printer columns. kubectl prints
// cells verbatim, so the age is formatted here, exactly as the API server formats it.
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Kubernetes' duration.HumanDuration: "45s", "3m20s", "5h", "12d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

function age(obj: KubeObject, now: Date): string {
  const created = obj.metadata.creationTimestamp;
  return created ? humanDuration(now.getTime() - Date.parse(created)) : "<unknown>";
}

/** Columns in the API server's order: NAME, the kind's columns, AGE, then the `-o wide` ones. */
export function toTable(spec: KindSpec, items: KubeObject[], revision: number, now: Date) {
  const always = spec.columns.filter((c) => c.priority === 0);
  const wide = spec.columns.filter((c) => c.priority !== 0);
  const column = (name: string, type: string, description: string, priority: number, format = "") => ({
    name,
    type,
    format,
    description,
    priority,
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: String(revision) },
    columnDefinitions: [
      column("Name", "string", "Name must be unique within a namespace.", 0, "name"),
      ...always.map((c) => column(c.name, c.type, c.description, c.priority)),
      column("Age", "date", "CreationTimestamp is the time the object was created.", 0),
      ...wide.map((c) => column(c.name, c.type, c.description, c.priority)),
    ],
    rows: items.map((obj) => ({
      cells: [obj.metadata.name, ...always.map((c) => c.cell(obj) ?? ""), age(obj, now), ...wide.map((c) => c.cell(obj) ?? "")],
      object: {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: {
          name: obj.metadata.name,
          ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
          creationTimestamp: obj.metadata.creationTimestamp,
          labels: obj.metadata.labels ?? {},
          annotations: obj.metadata.annotations ?? {},
        },
      },
    })),
  };
}
