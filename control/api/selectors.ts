// Label and field selectors for list requests (`kubectl get -l app=reviews,version!=v1`).
import { isLabelKey, isLabelValue } from "../mesh/schema/meta.ts";

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

/** Parses a label selector; throws an Error with a readable message when it is malformed
 *  (as labels.Parse refuses it: bad syntax, a key or value that is no label key or value, an empty set). */
export function parseLabelSelector(s: string): Selector {
  return splitTerms(s).map((term): Requirement => {
    const r = parseRequirement(term);
    const problem = requirementProblem(r);
    if (problem) throw new Error(`unable to parse requirement: "${term.slice(0, 300)}": ${problem}`);
    return r;
  });
}

function parseRequirement(term: string): Requirement {
  let m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) return { key: m[1], op: m[2] as "in" | "notin", values: m[3].split(",").map((v) => v.trim()).filter((v, i, all) => v !== "" || all.length > 1) };
  m = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s,!=()]*)$/.exec(term);
  if (m) return { key: m[1], op: m[2] === "!=" ? "!=" : "=", value: m[3] };
  m = /^(!?)([^\s!=()]+)$/.exec(term);
  if (m) return { key: m[2], op: m[1] ? "!exists" : "exists" };
  throw new Error(`unable to parse requirement: "${term.slice(0, 300)}"`);
}

function requirementProblem(r: Requirement): string | undefined {
  if (!isLabelKey(r.key)) return `key: Invalid value: "${r.key.slice(0, 300)}": not a label key (an optional DNS subdomain prefix and '/', then at most 63 characters: alphanumeric, '-', '_' or '.', starting and ending alphanumeric)`;
  const values = r.op === "in" || r.op === "notin" ? r.values : r.op === "=" || r.op === "!=" ? [r.value] : [];
  if ((r.op === "in" || r.op === "notin") && values.length === 0) return "for 'in', 'notin' operators, values set can't be empty";
  const bad = values.find((v) => !isLabelValue(v));
  if (bad !== undefined) return `values: Invalid value: "${bad.slice(0, 300)}": a label value is at most 63 characters: alphanumeric, '-', '_' or '.', starting and ending alphanumeric`;
  return undefined;
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
 *  and some kinds a few more (`extra`, such as an Event's involvedObject.name); only `=`, `==` and
 *  `!=`, with `\\`, `\,` and `\=` escapes in values (fields.ParseSelector). */
export function parseFieldSelector(s: string, extra: readonly string[] = []): Selector {
  const selector: Selector = [];
  for (const term of splitUnescaped(s)) {
    if (term.trim() === "") continue;
    const m = /^([^=!]*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m) throw new Error(`invalid selector: '${s.slice(0, 300)}'; can't understand '${term.slice(0, 300)}'`);
    const key = m[1].trim();
    if (key !== "metadata.name" && key !== "metadata.namespace" && !extra.includes(key)) throw new Error(`field label not supported: ${key.slice(0, 300)}`);
    const value = unescapeFieldValue(m[3]);
    if (value === undefined) throw new Error(`invalid selector: '${s.slice(0, 300)}': invalid escape sequence in '${m[3].slice(0, 300)}'`);
    selector.push({ key, op: m[2] === "!=" ? "!=" : "=", value });
  }
  return selector;
}

/** Splits on commas not escaped by a backslash. */
function splitUnescaped(s: string): string[] {
  const terms: string[] = [];
  let current = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && i + 1 < s.length) current += s[i] + s[++i];
    else if (s[i] === ",") {
      terms.push(current);
      current = "";
    } else current += s[i];
  }
  terms.push(current);
  return terms;
}

function unescapeFieldValue(v: string): string | undefined {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== "\\") {
      // An unescaped `=` in a value is as ambiguous to the API server as to us.
      if (v[i] === "=") return undefined;
      out += v[i];
      continue;
    }
    const next = v[++i];
    if (next !== "\\" && next !== "," && next !== "=") return undefined;
    out += next;
  }
  return out;
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
