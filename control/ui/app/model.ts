// The dashboard's data model: pure functions over what the public API returns (config objects,
// analyzer findings, compiled snapshots). No DOM here, so tests can run it under Node.
import type { RouteMatch, StringMatch, KeyMatch, WeightedCluster, Route } from "../../mesh/snapshot.ts";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: any;
  status?: any;
  [k: string]: unknown;
}

/** An analyzer finding, as `GET /mesh/v1/analyze` returns it. */
export interface Finding {
  code: string;
  level: "Error" | "Warning" | "Info";
  kind: string;
  namespace: string;
  name: string;
  message: string;
  field?: string;
}

export interface RevisionSummary {
  revision: number;
  time: string;
  changes: { verb: string; kind: string; namespace: string; name: string }[];
}

/** The API groups whose objects the config list shows (Kiali's "Istio Config"). */
export const CONFIG_GROUPS = ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "gateway.networking.k8s.io"];

export function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
}

export function isMeshConfig(o: KubeObject): boolean {
  return CONFIG_GROUPS.includes(groupOf(o.apiVersion));
}

export type ValidationState = "valid" | "warning" | "error";

export interface Validation {
  state: ValidationState;
  findings: Finding[];
}

const CLUSTER_SCOPED = new Set(["Namespace", "GatewayClass"]);

export function findingsFor(findings: Finding[], o: KubeObject): Finding[] {
  const ns = CLUSTER_SCOPED.has(o.kind) ? o.metadata.name : (o.metadata.namespace ?? "");
  return findings.filter((f) => f.kind === o.kind && f.name === o.metadata.name && f.namespace === ns);
}

/** Error if any finding is an error, warning if any is a warning; info alone is still valid (as in Kiali). */
export function validationOf(mine: Finding[]): Validation {
  const state: ValidationState = mine.some((f) => f.level === "Error") ? "error" : mine.some((f) => f.level === "Warning") ? "warning" : "valid";
  return { state, findings: mine };
}

/** kubectl's AGE column: 45s, 12m, 5h, 3d. */
export function age(timestamp: string | undefined, now: number): string {
  if (!timestamp) return "";
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export interface ConfigRow {
  object: KubeObject;
  kind: string;
  namespace: string;
  name: string;
  validation: Validation;
}

export interface ConfigFilter {
  namespace: string;
  kind: string;
  name: string;
}

export function configRows(items: KubeObject[], findings: Finding[], filter: ConfigFilter): ConfigRow[] {
  const needle = filter.name.trim().toLowerCase();
  return items
    .filter(isMeshConfig)
    .filter((o) => !filter.namespace || (o.metadata.namespace ?? "") === filter.namespace)
    .filter((o) => !filter.kind || o.kind === filter.kind)
    .filter((o) => !needle || o.metadata.name.toLowerCase().includes(needle))
    .map((o) => ({ object: o, kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name, validation: validationOf(findingsFor(findings, o)) }))
    .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort(cmp);
}

// ---- workloads and services ----

export interface WorkloadRef {
  namespace: string;
  name: string;
  kind: string;
  labels: Record<string, string>;
}

/** Workloads as the registry sees them: Deployments (pod template labels) and WorkloadEntries. */
export function workloadsOf(items: KubeObject[]): WorkloadRef[] {
  const out: WorkloadRef[] = [];
  for (const o of items) {
    const namespace = o.metadata.namespace ?? "default";
    if (o.kind === "Deployment") out.push({ namespace, name: o.metadata.name, kind: o.kind, labels: o.spec?.template?.metadata?.labels ?? {} });
    else if (o.kind === "WorkloadEntry") out.push({ namespace, name: o.metadata.name, kind: o.kind, labels: o.spec?.labels ?? {} });
  }
  return out.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
}

export const workloadKey = (w: Pick<WorkloadRef, "namespace" | "name">) => `${w.namespace}/${w.name}`;

export function labelsInclude(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export interface HostRef {
  host: string;
  namespace: string;
  /** The Service or ServiceEntry. */
  kind: string;
  name: string;
  selector?: Record<string, string>;
}

/** Every host the mesh knows: each Service's FQDN and each ServiceEntry host. */
export function hostsOf(items: KubeObject[]): HostRef[] {
  const out: HostRef[] = [];
  for (const o of items) {
    const namespace = o.metadata.namespace ?? "default";
    if (o.kind === "Service" && groupOf(o.apiVersion) === "")
      out.push({ host: `${o.metadata.name}.${namespace}.svc.cluster.local`, namespace, kind: "Service", name: o.metadata.name, selector: o.spec?.selector });
    else if (o.kind === "ServiceEntry")
      for (const h of (o.spec?.hosts ?? []) as string[]) out.push({ host: h, namespace, kind: "ServiceEntry", name: o.metadata.name, selector: o.spec?.workloadSelector?.labels });
  }
  return out.sort((a, b) => cmp(a.host, b.host));
}

// ---- compiled routes ----

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → its parts. */
export function parseCluster(name: string): { direction: string; port: number; subset: string; host: string } {
  const [direction, port, subset, host] = name.split("|");
  return { direction, port: Number(port), subset: subset ?? "", host: host ?? name };
}

export interface Split {
  label: string;
  cluster: string;
  percent: number;
}

/** Relative weights as percentages (one decimal), labelled by subset (and host when it is another host). */
export function weightSplit(destinations: WeightedCluster[], host: string): Split[] {
  const total = destinations.reduce((s, d) => s + d.weight, 0);
  return destinations.map((d) => {
    const c = parseCluster(d.cluster);
    const other = c.host !== host ? c.host.replace(/\.svc\.cluster\.local$/, "") : "";
    const label = [other, c.subset].filter(Boolean).join(" ") || c.host.replace(/\.svc\.cluster\.local$/, "");
    return { label, cluster: d.cluster, percent: total > 0 ? Math.round((d.weight / total) * 1000) / 10 : 0 };
  });
}

function describeString(m: StringMatch): string {
  const ic = m.ignoreCase ? " (ignoring case)" : "";
  if (m.exact !== undefined) return `= "${m.exact}"${ic}`;
  if (m.prefix !== undefined) return `starts with "${m.prefix}"${ic}`;
  if (m.segmentPrefix !== undefined) return `path prefix "${m.segmentPrefix}"${ic}`;
  if (m.regex !== undefined) return `matches /${m.regex}/${ic}`;
  return "any";
}

function describeKey(what: string, k: KeyMatch): string {
  const body = k.value ? describeString(k.value) : k.present === false ? "is absent" : "is present";
  return `${what} ${k.name} ${k.invert ? "NOT " : ""}${body}`;
}

/** One `match` entry as readable conditions (AND-ed). */
export function describeMatch(m: RouteMatch): string[] {
  const parts: string[] = [];
  if (m.uri) parts.push(`path ${describeString(m.uri)}`);
  if (m.method) parts.push(`method ${describeString(m.method)}`);
  if (m.authority) parts.push(`authority ${describeString(m.authority)}`);
  for (const h of m.headers ?? []) parts.push(describeKey("header", h));
  for (const q of m.queryParams ?? []) parts.push(describeKey("query", q));
  if (m.port !== undefined) parts.push(`port = ${m.port}`);
  return parts;
}

/** A route's matches, OR-ed; "any request" when it has none. */
export function describeMatches(route: Route): string[] {
  if (route.matches.length === 0) return ["any request"];
  return route.matches.map((m) => describeMatch(m).join(" and ") || "any request");
}

/** The extras of a route besides where it sends traffic. */
export function describeActions(route: Route): string[] {
  const out: string[] = [];
  if (route.redirect) out.push(`redirect ${route.redirect.status}${route.redirect.uri ? ` to ${route.redirect.uri}` : ""}${route.redirect.authority ? ` at ${route.redirect.authority}` : ""}`);
  if (route.directResponse) out.push(`direct response ${route.directResponse.status}`);
  if (route.rewrite?.uri !== undefined) out.push(`rewrite path to ${route.rewrite.uri}`);
  if (route.rewrite?.authority) out.push(`rewrite authority to ${route.rewrite.authority}`);
  if (route.fault?.delay) out.push(`delay ${route.fault.delay.fixedDelayMs} ms for ${route.fault.delay.percent} %`);
  if (route.fault?.abort) out.push(`abort with ${route.fault.abort.httpStatus} for ${route.fault.abort.percent} %`);
  if (route.timeoutMs !== undefined) out.push(`timeout ${route.timeoutMs} ms`);
  if (route.retries) out.push(`${route.retries.attempts} retries${route.retries.retryOn ? ` on ${route.retries.retryOn}` : ""}`);
  return out;
}

export function originLabel(route: Route): string {
  const o = route.origin;
  if (o.kind === "default") return "Default route (no VirtualService)";
  return `${o.kind} ${o.namespace}/${o.name}, ${o.kind === "HTTPRoute" ? "rules" : "http"}[${o.rule}]`;
}

// ---- explain ----

/** `name: value` lines → headers (lower-case names); blank lines ignored. */
export function parseHeaderLines(text: string): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {};
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":", 1);
    if (colon < 1) return { error: `line ${i + 1}: expected "name: value"` };
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/** One trace step as text: a string, or an object's text/message/description plus its other fields. */
export function traceStepText(step: unknown): { text: string; details: [string, string][] } {
  if (typeof step !== "object" || step === null) return { text: String(step), details: [] };
  const o = step as Record<string, unknown>;
  const key = ["text", "message", "description", "summary", "decision"].find((k) => typeof o[k] === "string");
  const details = Object.entries(o)
    .filter(([k]) => k !== key)
    .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as [string, string]);
  return { text: key ? (o[key] as string) : "", details };
}

// ---- revisions ----

export interface DiffLine {
  op: " " | "+" | "-";
  text: string;
}

/** A line diff (longest common subsequence); objects are small, so O(n·m) is fine. */
export function lineDiff(a: string[], b: string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: " ", text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: "-", text: a[i++] });
    else out.push({ op: "+", text: b[j++] });
  }
  while (i < n) out.push({ op: "-", text: a[i++] });
  while (j < m) out.push({ op: "+", text: b[j++] });
  return out;
}

/** Objects as shown in YAML views: without bookkeeping that only adds noise. */
export function forDisplay(o: KubeObject): KubeObject {
  const annotations = { ...(o.metadata.annotations ?? {}) };
  delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
  const metadata: KubeObject["metadata"] = { ...o.metadata, annotations };
  delete metadata.managedFields;
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return { ...o, metadata };
}

/** Read-only tokens are JWTs with `kind: "read"`; anything else is treated as the admin token. The server decides. */
export function tokenKind(token: string): "read" | "admin" {
  const parts = token.split(".");
  if (parts.length !== 3) return "admin";
  try {
    const payload = JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload?.kind === "read" ? "read" : "admin";
  } catch {
    return "admin";
  }
}
