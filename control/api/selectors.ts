// Label and field selectors for list requests (`kubectl get -l app=reviews,version!=v1`).
export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export type Selector = Requirement[];

/** Splits on commas that are not inside `(...)`. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (s[i] === "," && depth === 0) {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms.map((t) => t.trim()).filter(Boolean);
}

/** Parses a label selector; throws an Error with a readable message when it is malformed. */
export function parseLabelSelector(s: string): Selector {
  return splitTerms(s).map((term): Requirement => {
    let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) return { key: m[1], op: m[2] as "in" | "notin", values: m[3].split(",").map((v) => v.trim()) };
    m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term);
    if (m) return { key: m[1], op: m[2] === "!=" ? "!=" : "=", value: m[3] };
    m = /^(!?)([^\s!=()]+)$/.exec(term);
    if (m) return { key: m[2], op: m[1] ? "!exists" : "exists" };
    throw new Error(`unable to parse requirement: "${term}"`);
  });
}

export function matches(selector: Selector, labels: Record<string, string> = {}): boolean {
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case "=":
        return has && labels[r.key] === r.value;
      case "!=":
        return !has || labels[r.key] !== r.value;
      case "in":
        return has && r.values.includes(labels[r.key]);
      case "notin":
        return !has || !r.values.includes(labels[r.key]);
      case "exists":
        return has;
      case "!exists":
        return !has;
    }
  });
}

/** Field selectors: the API server supports metadata.name and metadata.namespace on every kind,
 *  and some kinds a few more (`extra`, such as an Event's involvedObject.name). */
export function parseFieldSelector(s: string, extra: readonly string[] = []): Selector {
  const selector = parseLabelSelector(s);
  for (const r of selector)
    if (r.key !== "metadata.name" && r.key !== "metadata.namespace" && !extra.includes(r.key))
      throw new Error(`field label not supported: ${r.key}`);
  return selector;
}

export function fieldsOf(obj: { metadata: { name: string; namespace?: string } }, extra: readonly string[] = []): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": obj.metadata.name, "metadata.namespace": obj.metadata.namespace ?? "" };
  for (const path of extra) {
    let value: unknown = obj;
    for (const key of path.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    if (value !== undefined) fields[path] = String(value);
  }
  return fields;
}
