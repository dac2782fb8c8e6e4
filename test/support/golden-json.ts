// JSON for golden files: objects and lists break over lines, but anything that fits in one
// short line stays on it, so a reviewer reads a route or a cluster at a glance.
const WIDTH = 110;

export function goldenJson(value: unknown, indent = ""): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return "null";
  if (value === null || typeof value !== "object" || flat.length + indent.length <= WIDTH) return flat;
  const inner = indent + "  ";
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + goldenJson(v, inner)).join(",\n")}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${goldenJson(v, inner)}`).join(",\n")}\n${indent}}`;
}

/**
 * For review: a workload's field equal to the same field of an earlier workload is written as
 * `{"sameAs": "<earlier workload>"}`. Nothing is lost (equality is exact); proxies that share
 * an outbound view are read once.
 */
export function foldSharedFields(workloads: Record<string, Record<string, unknown>>, fields: string[]): Record<string, unknown> {
  const seen = new Map<string, string>();
  const out: Record<string, unknown> = {};
  for (const [key, w] of Object.entries(workloads)) {
    const folded: Record<string, unknown> = { ...w };
    for (const f of fields) {
      const json = `${f}:${JSON.stringify(w[f])}`;
      const first = seen.get(json);
      if (first) folded[f] = { sameAs: first };
      else seen.set(json, key);
    }
    out[key] = folded;
  }
  return out;
}
