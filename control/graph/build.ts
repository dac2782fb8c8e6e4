// The service graph from Prometheus's answers (pure: no I/O, unit-tested). Kiali's "versioned app"
// graph: a node per workload, boxed by app; an edge per source → destination workload with its
// request rate, error shares, p95 latency and mTLS share; and, beside each traffic split, the
// share each destination version observed next to the share the routes configure.
import type { ConfiguredSplit } from "./configured.ts";
import { EDGE_LABELS } from "./queries.ts";

/** One element of an instant vector from /api/v1/query. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface GraphSamples {
  traffic: PromSample[];
  latency: PromSample[];
  security: PromSample[];
}

export interface GraphNode {
  id: string;
  /** workload: a mesh workload; service: a destination no workload answered for; unknown: outside the mesh. */
  kind: "workload" | "service" | "unknown";
  namespace: string;
  name: string;
  app: string;
  version: string;
}

/** The versions of one app, drawn as a box around their nodes. */
export interface AppGroup {
  namespace: string;
  app: string;
  nodes: string[];
}

export interface GraphEdge {
  source: string;
  target: string;
  /** `<namespace>/<name>` of the destination service. */
  service: string;
  requestsPerSecond: number;
  /** Share (0–1) of responses that were not 2xx, and of those that were 5xx. */
  errorShare: number;
  serverErrorShare: number;
  /** null when no histogram answered for this edge. */
  p95Ms: number | null;
  /** Share (0–1) of requests the server received over mutual TLS; null when the server reported none. */
  mtlsShare: number | null;
}

export interface ObservedShare {
  version: string;
  requestsPerSecond: number;
  percent: number;
}

/** One source's requests to one host, split across versions: observed over the window vs configured. */
export interface TrafficSplit {
  source: string;
  /** The host the source asked for (`<namespace>/<name>` for a cluster service). */
  service: string;
  observed: ObservedShare[];
  /** null when no compiled route of the source names these destinations (a client outside the mesh, or no config). */
  configured: ConfiguredSplit | null;
}

export interface ServiceGraph {
  window: string;
  nodes: GraphNode[];
  apps: AppGroup[];
  edges: GraphEdge[];
  splits: TrafficSplit[];
}

type EdgeLabels = Record<(typeof EDGE_LABELS)[number], string>;

const UNKNOWN = "unknown";
const known = (v: string | undefined): v is string => !!v && v !== UNKNOWN;
const labelsOf = (m: Record<string, string>) => Object.fromEntries(EDGE_LABELS.map((l) => [l, m[l] ?? ""])) as EdgeLabels;
const valueOf = (s: PromSample) => Number(s.value[1]);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sourceNode(l: EdgeLabels): GraphNode {
  if (!known(l.source_workload)) return { id: UNKNOWN, kind: "unknown", namespace: "", name: UNKNOWN, app: "", version: "" };
  const app = known(l.source_app) ? l.source_app : "";
  const version = known(l.source_version) ? l.source_version : "";
  return { id: `${l.source_workload_namespace}/${l.source_workload}`, kind: "workload", namespace: l.source_workload_namespace, name: l.source_workload, app, version };
}

function targetNode(l: EdgeLabels): GraphNode {
  if (!known(l.destination_workload)) {
    // No workload answered (no healthy upstream, a ServiceEntry host): the service itself is the node.
    const name = l.destination_service_name || UNKNOWN;
    return { id: `service:${l.destination_service_namespace}/${name}`, kind: "service", namespace: l.destination_service_namespace, name, app: "", version: "" };
  }
  const app = known(l.destination_app) ? l.destination_app : "";
  const version = known(l.destination_version) ? l.destination_version : "";
  return { id: `${l.destination_workload_namespace}/${l.destination_workload}`, kind: "workload", namespace: l.destination_workload_namespace, name: l.destination_workload, app, version };
}

const serviceOf = (l: EdgeLabels) => `${l.destination_service_namespace}/${l.destination_service_name || UNKNOWN}`;

interface EdgeTotals {
  edge: GraphEdge;
  version: string;
  total: number;
  errors: number;
  serverErrors: number;
  mtls: number;
  secured: number;
}

/** The source workloads (`<namespace>/<workload>`) whose configured splits the graph can show. */
export function sourceWorkloads(samples: GraphSamples): string[] {
  return [...new Set(samples.traffic.map((s) => sourceNode(labelsOf(s.metric))).filter((n) => n.kind === "workload").map((n) => n.id))].sort(cmp);
}

/** `configuredOf(source)`: the splits a source workload's compiled routes configure (empty when unknown). */
export function buildGraph(window: string, samples: GraphSamples, configuredOf: (source: string) => ConfiguredSplit[]): ServiceGraph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, EdgeTotals>();
  const key = (l: EdgeLabels) => `${sourceNode(l).id} ${targetNode(l).id} ${serviceOf(l)}`;

  for (const s of samples.traffic) {
    const rate = valueOf(s);
    if (!(rate > 0)) continue;
    const l = labelsOf(s.metric);
    const [from, to] = [sourceNode(l), targetNode(l)];
    nodes.set(from.id, from);
    nodes.set(to.id, to);
    const k = key(l);
    let e = edges.get(k);
    if (!e) {
      const edge: GraphEdge = { source: from.id, target: to.id, service: serviceOf(l), requestsPerSecond: 0, errorShare: 0, serverErrorShare: 0, p95Ms: null, mtlsShare: null };
      e = { edge, version: to.version || (to.kind === "workload" ? UNKNOWN : to.name), total: 0, errors: 0, serverErrors: 0, mtls: 0, secured: 0 };
      edges.set(k, e);
    }
    const code = s.metric.response_code ?? "";
    e.total += rate;
    if (!code.startsWith("2")) e.errors += rate;
    if (code.startsWith("5")) e.serverErrors += rate;
  }
  for (const s of samples.latency) {
    const e = edges.get(key(labelsOf(s.metric)));
    const p95 = valueOf(s);
    if (e && Number.isFinite(p95)) e.edge.p95Ms = round(p95, 1);
  }
  for (const s of samples.security) {
    const e = edges.get(key(labelsOf(s.metric)));
    const rate = valueOf(s);
    if (!e || !(rate > 0)) continue;
    e.secured += rate;
    if (s.metric.connection_security_policy === "mutual_tls") e.mtls += rate;
  }

  for (const e of edges.values()) {
    e.edge.requestsPerSecond = round(e.total, 3);
    e.edge.errorShare = round(e.errors / e.total, 4);
    e.edge.serverErrorShare = round(e.serverErrors / e.total, 4);
    e.edge.mtlsShare = e.secured > 0 ? round(e.mtls / e.secured, 4) : null;
  }

  return {
    window,
    nodes: [...nodes.values()].sort((a, b) => cmp(a.id, b.id)),
    apps: appGroups([...nodes.values()]),
    edges: [...edges.values()].map((e) => e.edge).sort((a, b) => cmp(a.source, b.source) || cmp(a.target, b.target)),
    splits: splits([...edges.values()], configuredOf),
  };
}

function appGroups(nodes: GraphNode[]): AppGroup[] {
  const groups = new Map<string, AppGroup>();
  for (const n of nodes) {
    if (n.kind !== "workload" || !n.app) continue;
    const k = `${n.namespace}/${n.app}`;
    const g = groups.get(k) ?? { namespace: n.namespace, app: n.app, nodes: [] };
    g.nodes.push(n.id);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => ({ ...g, nodes: g.nodes.sort(cmp) })).sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.app, b.app));
}

function observedShares(edges: EdgeTotals[]): ObservedShare[] {
  const perVersion = new Map<string, number>();
  for (const e of edges) perVersion.set(e.version, (perVersion.get(e.version) ?? 0) + e.total);
  const total = edges.reduce((s, e) => s + e.total, 0);
  return [...perVersion.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([version, rate]) => ({ version, requestsPerSecond: round(rate, 3), percent: round((rate / total) * 100, 1) }));
}

/**
 * A split is worth showing when a source's routes divide a host between destinations it reached, or
 * when it reached more than one version of a service. The observed side of a configured split is
 * what the source sent to the split's destination services (one service's subsets, or several
 * services, as a Gateway API split across reviews-v1 and reviews-v3 has it).
 */
function splits(edges: EdgeTotals[], configuredOf: (source: string) => ConfiguredSplit[]): TrafficSplit[] {
  const bySource = new Map<string, EdgeTotals[]>();
  for (const e of edges) bySource.set(e.edge.source, [...(bySource.get(e.edge.source) ?? []), e]);
  const out: TrafficSplit[] = [];
  for (const [source, mine] of bySource) {
    const configured = source === UNKNOWN ? [] : configuredOf(source);
    const covered = new Set<EdgeTotals>();
    for (const c of configured) {
      const targets = new Set(c.shares.map((s) => s.service));
      const reached = mine.filter((e) => targets.has(e.edge.service));
      const observed = observedShares(reached);
      if (reached.length === 0 || (c.shares.length < 2 && observed.length < 2)) continue;
      for (const e of reached) covered.add(e);
      out.push({ source, service: c.service, observed, configured: c });
    }
    // Versions reached without a route that names them (no compiled routes known for the source).
    const byService = new Map<string, EdgeTotals[]>();
    for (const e of mine.filter((x) => !covered.has(x))) byService.set(e.edge.service, [...(byService.get(e.edge.service) ?? []), e]);
    for (const [service, reached] of byService) {
      const observed = observedShares(reached);
      if (observed.length > 1) out.push({ source, service, observed, configured: null });
    }
  }
  return out.sort((a, b) => cmp(a.service, b.service) || cmp(a.source, b.source));
}
