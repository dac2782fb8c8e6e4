// Where the service graph's boxes and arrows go, and how its numbers read (pure, no DOM: unit-tested
// under Node). Left to right by call depth, as Kiali's dagre layout draws it: a node's column is
// its longest call chain from a client; the versions of one app share a column inside the app's box.
import type { AppGroup, GraphEdge, GraphNode, ServiceGraph, TrafficSplit } from "../../graph/build.ts";

const NODE_MIN_W = 120;
const NODE_MAX_W = 220;
const NODE_H = 40;
/** Rough character widths of the 13 px node and 12 px edge labels (system fonts), to size boxes and gaps. */
const NODE_CHAR_W = 8;
const EDGE_CHAR_W = 6.1;
/** Far enough apart that an edge's lock (on the line) clears the label of the edge below. */
const NODE_GAP = 24;
const APP_PAD = 10;
const APP_TITLE = 22;
const MIN_GAP = 120;
const UNIT_GAP = 28;
const MARGIN = 16;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedNode extends Box {
  node: GraphNode;
  /** The version inside an app box; the workload's name otherwise. */
  label: string;
}

export interface PlacedApp extends Box {
  namespace: string;
  app: string;
}

export interface PlacedEdge {
  edge: GraphEdge;
  /** SVG path from the source's right side to the target's left side. */
  d: string;
  labelX: number;
  labelY: number;
  label: string;
  health: "healthy" | "degraded" | "failing";
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  apps: PlacedApp[];
  edges: PlacedEdge[];
}

const trim = (x: number, digits: number) => String(Math.round(x * 10 ** digits) / 10 ** digits);

/** `4.80 rps` (two decimals under 10, as Kiali prints rates). */
export function formatRate(perSecond: number): string {
  return `${perSecond < 10 ? perSecond.toFixed(2) : perSecond.toFixed(1)} rps`;
}

/** A 0–1 share as `10 %` (one decimal at most). */
export function formatShare(share: number): string {
  return `${trim(share * 100, 1)} %`;
}

/** `4.8 rps · 10 % err · p95 24.3 ms` */
export function edgeLabel(e: GraphEdge): string {
  const parts = [formatRate(e.requestsPerSecond), `${formatShare(e.errorShare)} err`];
  if (e.p95Ms !== null) parts.push(`p95 ${trim(e.p95Ms, 1)} ms`);
  return parts.join(" · ");
}

/** Kiali's edge colours: red at 20 % errors or more, orange for any error, green otherwise. */
export function edgeHealth(e: GraphEdge): PlacedEdge["health"] {
  return e.errorShare >= 0.2 ? "failing" : e.errorShare > 0 ? "degraded" : "healthy";
}

/** `v1 50 % / v3 50 %` */
export function sharesText(shares: { version: string; percent: number }[]): string {
  return shares.map((s) => `${s.version} ${trim(s.percent, 1)} %`).join(" / ");
}

/** `default/reviews` → `reviews`; a host that is not a cluster service stays whole. */
export const serviceName = (service: string) => service.split("/").at(-1)!;

/** `reviews: configured v1 50 % / v3 50 %, observed v1 48 % / v3 52 % (last 1m)` */
export function splitSentence(split: TrafficSplit, window: string): string {
  const service = serviceName(split.service);
  const configured = split.configured ? `configured ${sharesText(split.configured.shares)}` : "configured: unknown";
  return `${service}: ${configured}, observed ${sharesText(split.observed)} (last ${window})`;
}

/** Column of each node: the longest chain of calls that reaches it (bounded, so a cycle cannot loop). */
function ranks(graph: ServiceGraph): Map<string, number> {
  const rank = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < graph.nodes.length; round++) {
    let moved = false;
    for (const e of graph.edges) {
      const next = rank.get(e.source)! + 1;
      if (e.source !== e.target && next > rank.get(e.target)! && next < graph.nodes.length) {
        rank.set(e.target, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return rank;
}

export function layoutGraph(graph: ServiceGraph): GraphLayout {
  const rank = ranks(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  // Units: an app's versions together, or a node on its own. An app with one unversioned workload
  // (a gateway) is that workload alone: a box would only repeat its name.
  const boxed = graph.apps.filter((a) => a.nodes.length > 1 || byId.get(a.nodes[0])!.version);
  const inApp = new Set(boxed.flatMap((a) => a.nodes));
  const units = [
    ...boxed.map((a) => ({ app: a as AppGroup | undefined, nodes: a.nodes.map((id) => byId.get(id)!) })),
    ...graph.nodes.filter((n) => !inApp.has(n.id)).map((n) => ({ app: undefined, nodes: [n] })),
  ].map((u) => ({ ...u, column: Math.max(...u.nodes.map((n) => rank.get(n.id)!)) }));
  units.sort((a, b) => a.column - b.column || (a.nodes[0].id < b.nodes[0].id ? -1 : 1));
  const labelOf = (n: GraphNode, inBox: boolean) => (inBox && n.version ? n.version : n.name);
  const labels = graph.edges.map(edgeLabel);

  // Each column as wide as its longest node label; each gap as wide as the longest edge label leaving it.
  const columns = Math.max(0, ...units.map((u) => u.column)) + 1;
  const nodeWidth = Array.from({ length: columns }, (_, c) => {
    const longest = Math.max(0, ...units.filter((u) => u.column === c).flatMap((u) => u.nodes.map((n) => labelOf(n, !!u.app).length)));
    return Math.min(NODE_MAX_W, Math.max(NODE_MIN_W, longest * NODE_CHAR_W + 20));
  });
  const gap = Array.from({ length: columns }, (_, c) => {
    const leaving = graph.edges.flatMap((e, i) => (rank.get(e.source) === c ? [labels[i].length] : []));
    return Math.max(MIN_GAP, Math.max(0, ...leaving) * EDGE_CHAR_W + 24);
  });
  const columnX = [MARGIN];
  for (let c = 1; c < columns; c++) columnX.push(columnX[c - 1] + nodeWidth[c - 1] + 2 * APP_PAD + gap[c - 1]);

  const nodes: PlacedNode[] = [];
  const apps: PlacedApp[] = [];
  const columnY = new Map<number, number>();
  for (const u of units) {
    const [x, width] = [columnX[u.column], nodeWidth[u.column]];
    let y = columnY.get(u.column) ?? MARGIN;
    if (u.app) {
      const height = APP_TITLE + APP_PAD + u.nodes.length * (NODE_H + NODE_GAP) - NODE_GAP + APP_PAD;
      apps.push({ namespace: u.app.namespace, app: u.app.app, x, y, width: width + 2 * APP_PAD, height });
      u.nodes.forEach((n, i) => nodes.push({ node: n, label: labelOf(n, true), x: x + APP_PAD, y: y + APP_TITLE + APP_PAD + i * (NODE_H + NODE_GAP), width, height: NODE_H }));
      y += height;
    } else {
      nodes.push({ node: u.nodes[0], label: labelOf(u.nodes[0], false), x: x + APP_PAD, y, width, height: NODE_H });
      y += NODE_H;
    }
    columnY.set(u.column, y + UNIT_GAP);
  }

  const placed = new Map(nodes.map((p) => [p.node.id, p]));
  const edges = graph.edges.map((edge, i): PlacedEdge => {
    const s = placed.get(edge.source)!;
    const t = placed.get(edge.target)!;
    const [x1, y1, x2, y2] = [s.x + s.width, s.y + s.height / 2, t.x, t.y + t.height / 2];
    const bend = Math.max(40, Math.abs(x2 - x1) / 2);
    return {
      edge,
      d: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
      labelX: (x1 + x2) / 2,
      labelY: (y1 + y2) / 2,
      label: labels[i],
      health: edgeHealth(edge),
    };
  });
  const right = Math.max(0, ...nodes.map((n) => n.x + n.width + APP_PAD));
  const bottom = Math.max(0, ...apps.map((a) => a.y + a.height), ...nodes.map((n) => n.y + n.height));
  return { width: right + MARGIN, height: bottom + MARGIN, nodes, apps, edges };
}
