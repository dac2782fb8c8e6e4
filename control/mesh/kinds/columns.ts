// Cell readers for printer columns. Lists print as JSON, the way the API server renders a
// CRD column whose JSONPath selects an array (`["bookinfo-gateway"]`).
import type { KubeObject, PrinterColumn } from "./types.ts";

function at(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function render(value: unknown): string | number | boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return JSON.stringify(value);
}

/** A column read from a dotted path, like a CRD's `jsonPath: .spec.hosts`. */
export function pathColumn(name: string, path: string, description: string, priority: 0 | 1 = 0): PrinterColumn {
  const keys = path.split(".").filter(Boolean);
  return { name, type: "string", description, priority, cell: (obj) => render(at(obj, keys)) };
}

/** A column computed from the whole object. */
export function computedColumn(
  name: string,
  description: string,
  cell: (obj: KubeObject) => string | number | boolean | undefined,
  priority: 0 | 1 = 0,
): PrinterColumn {
  return { name, type: "string", description, priority, cell };
}

export { at as fieldAt };
