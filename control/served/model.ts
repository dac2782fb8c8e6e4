// What the control plane serves, as shared immutable parts (go-control-plane's resource cache,
// Envoy's RDS/CDS split): a workload's documents are assembled from content-addressed parts, so
// a part that a thousand proxies share is stored and published once, and a change writes only
// the parts it changed.
//
//   part      one JSON value, named by the hash of its text: a virtual host, the clusters of
//             one service host, a workload's identity, authz table or inbound ports
//   view      what all proxies of one outbound scope share (control/mesh/compile compileServed):
//             its routes and clusters, as an index of part hashes (itself a part)
//   entry     per workload: its view's name and its own parts (small, changes rarely)
//   index     per published revision: every view's version and index part, and which version
//             of each workload shard is current; O(views + shards), not O(workloads)

/**
 * A view: the hashes of the parts its router table and clusters are made of, in order.
 *   router    per destination port: the port and its virtual hosts' part hashes
 *   clusters  cluster parts, each a JSON array of ClusterSpec (one service host's clusters)
 */
export interface ViewParts {
  router: [number, string[]][];
  /** RouterTable.ignoreHostPort (gateways: a Host header's port plays no part in picking a host). */
  ignoreHostPort?: true;
  clusters: string[];
  /** The target ports of the view's clusters (`<host>|<port>`), for the Envoy translation. */
  targetPorts: Record<string, number | string>;
}

/**
 * A view as stored: each hash list is a tree of chunks (a chunk is a part holding a JSON array of
 * hashes), cut at content-defined boundaries, so a change to one service rewrites one chunk per
 * level and an index of a few top chunks, not a list as long as the mesh.
 */
export interface ViewIndex {
  router: [number, string[]][];
  ignoreHostPort?: true;
  clusters: string[];
  targetPorts: Record<string, number | string>;
  /** Chunk levels between these lists and the part hashes: absent means 1 (what indexes stored
   * before the tree); 0 means the lists are the part hashes themselves. */
  levels?: number;
}

/** A workload's own parts, and the view it shares. */
export interface WorkloadParts {
  view: string;
  identity: string;
  authz: string;
  inbound: string;
  /** Gateways only. */
  listeners?: string;
}

/** A workload as published: `[revision the entry last changed, service account, parts]`. */
export type WorkloadEntry = [number, string, WorkloadParts];

/** `[version (revision of its last change), index part hash]` */
export type ViewVersion = [number, string];

export interface ServedIndex {
  revision: number;
  views: Record<string, ViewVersion>;
  /** Per shard, the revision of its current document (`shardKey(n, revision)`). */
  shards: number[];
}

/** Workload entries are published in this many shards, so a change rewrites one shard, not all. */
export const SHARDS = 32;

export function shardOf(workload: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < workload.length; i++) h = Math.imul(h ^ workload.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARDS;
}

/** KV keys (immutable: written once; superseded ones are deleted after a grace period). */
export const kvKeys = {
  part: (hash: string) => `v2/part/${hash}`,
  shard: (n: number, revision: number) => `v2/shard/${n}/${revision}`,
  index: (revision: number) => `v2/index/${revision}`,
};

/**
 * The version a workload's proxy sees (its ETag): the newer of its entry's and its view's last
 * change. Monotonic: moving to another view rewrites the entry at the current revision.
 */
export function servedVersion(entry: WorkloadEntry, view: ViewVersion): number {
  return Math.max(entry[0], view[0]);
}

/** A workload's documents, assembled (what the Durable Object answers when KV has not caught up). */
export interface ServedWorkload {
  /** The served version (the ETag). */
  revision: number;
  serviceAccount: string;
  filterConfig: string;
  snapshot: string;
  targetPorts: Record<string, number | string>;
}
