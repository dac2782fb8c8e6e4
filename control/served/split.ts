// Compiled snapshots → shared parts (the inverse of assemble.ts). Parts are hashed once per
// object: the compiler shares virtual hosts and cluster lists among views and workloads, so a
// compile costs one serialisation per distinct part, however many proxies use it.
import type { ServedCompile } from "../mesh/compile/index.ts";
import type { ClusterSpec, WorkloadSnapshot } from "../mesh/snapshot.ts";
import { hashString, JsonMemo } from "./json-memo.ts";
import type { ViewIndex, ViewParts, WorkloadParts } from "./model.ts";

export interface SplitView {
  index: ViewIndex;
  /** The index's own part hash. */
  hash: string;
  /** The index with its chunks read. */
  parts: ViewParts;
}

/** A chunk ends after a hash whose value hits this divisor: chunks of ~32 hashes on average. */
const CHUNK_DIVISOR = 32;
/** An index list longer than this gets another chunk level: a change then rewrites one chunk per
 * level plus an index of a few chunk hashes, whatever the mesh's size (300 services: one level;
 * 1,000 to 15,000: two). */
const MAX_INDEX_LIST = 16;

export interface SplitMesh {
  views: Map<string, SplitView>;
  workloads: Map<string, { serviceAccount: string; kind: "sidecar" | "gateway"; parts: WorkloadParts }>;
  /** Every part the views and workloads reference (view indexes included), by hash. */
  parts: Map<string, string>;
}

export function splitMesh(compiled: ServedCompile, targetPorts: Record<string, number | string>): SplitMesh {
  const memo = new JsonMemo();
  const parts = new Map<string, string>();
  const part = (value: unknown): string => {
    const hash = memo.hash(value);
    if (!parts.has(hash)) parts.set(hash, memo.stringify(value));
    return hash;
  };
  const views = new Map<string, SplitView>();
  const workloads: SplitMesh["workloads"] = new Map();
  const groupHashes = new Map<ClusterSpec, { length: number; hash: string }>();
  for (const [key, w] of Object.entries(compiled.snapshot.workloads)) {
    const viewName = compiled.views[key];
    if (!views.has(viewName)) {
      const resolved: ViewParts = {
        router: w.router.ports.map(({ port, virtualHosts }) => [port, virtualHosts.map(part)]),
        ...(w.router.ignoreHostPort ? { ignoreHostPort: true as const } : {}),
        clusters: clusterGroups(w.clusters).map((group) => {
          // The compiler shares a service's cluster specs among views: hash each group once.
          const known = groupHashes.get(group[0]);
          if (known?.length === group.length) return known.hash;
          const text = `[${group.map((c) => memo.stringify(c)).join(",")}]`;
          const hash = hashString(text);
          if (!parts.has(hash)) parts.set(hash, text);
          groupHashes.set(group[0], { length: group.length, hash });
          return hash;
        }),
        targetPorts: relevantTargetPorts(w, targetPorts),
      };
      views.set(viewName, storedView(resolved, part));
    }
    const own: WorkloadParts = { view: viewName, identity: part(w.workload), authz: part(w.authz), inbound: part(w.inbound) };
    if (w.listeners) own.listeners = part(w.listeners);
    workloads.set(key, { serviceAccount: w.workload.serviceAccount, kind: w.workload.kind, parts: own });
  }
  return { views, workloads, parts };
}

/**
 * The view as stored: every list cut into chunk trees of one depth, the least that brings the
 * longest list down to MAX_INDEX_LIST (one depth for the whole view, so a reader opens it level by
 * level). The depth is a function of the content, so equal views store equal indexes.
 */
function storedView(resolved: ViewParts, part: (value: unknown) => string): SplitView {
  const cut = (hashes: string[]) => chunks(hashes).map((c) => part(c));
  let levels = 0;
  let router = resolved.router;
  let clusters = resolved.clusters;
  do {
    router = router.map(([port, hashes]) => [port, cut(hashes)]);
    clusters = cut(clusters);
    levels++;
  } while (Math.max(clusters.length, ...router.map(([, hashes]) => hashes.length)) > MAX_INDEX_LIST);
  const index: ViewIndex = {
    router,
    ...(resolved.ignoreHostPort ? { ignoreHostPort: true as const } : {}),
    clusters,
    targetPorts: resolved.targetPorts,
    // Absent means one level (the indexes stored before there could be more).
    ...(levels > 1 ? { levels } : {}),
  };
  return { index, hash: part(index), parts: resolved };
}

/**
 * Content-defined chunks: a boundary follows each hash whose own value says so, so inserting or
 * changing one service moves the boundaries around it only, and the other chunks keep their hash.
 */
function chunks(hashes: string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const h of hashes) {
    current.push(h);
    if (Number.parseInt(h.slice(-4), 36) % CHUNK_DIVISOR === 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length) out.push(current);
  return out;
}

/** Consecutive clusters of one service host: the unit a change to one service rewrites. */
function clusterGroups(clusters: ClusterSpec[]): ClusterSpec[][] {
  const groups: ClusterSpec[][] = [];
  for (const c of clusters) {
    const last = groups[groups.length - 1];
    if (last && last[0].host === c.host) last.push(c);
    else groups.push([c]);
  }
  return groups;
}

/** The target ports a workload's clusters use (the Envoy translation's input). */
function relevantTargetPorts(w: WorkloadSnapshot, all: Record<string, number | string>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  // Most services target the port they expose: nothing to look up.
  if (Object.keys(all).length === 0) return out;
  for (const c of w.clusters) {
    const key = `${c.host}|${c.port}`;
    if (key in all) out[key] = all[key];
  }
  return out;
}
