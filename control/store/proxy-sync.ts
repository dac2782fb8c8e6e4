// What proxies last reported on each channel (control/proxy/sync-report.ts), as the ConfigStore
// keeps it: one row per proxy, written only when a channel's state changes. Bounded like the NACK
// log: at most MAX_PROXIES rows, and per workload at most as many as it may register pods; past
// either, the proxies whose reports are oldest go. A row whose pod is not registered and that
// has not changed for a day is dropped when the status is listed.
import type { SyncReport } from "../proxy/sync-report.ts";
import { isChannel, proxySync, type Channel, type ChannelRecord, type ProxyStatus } from "../proxy/sync-status.ts";
import type { LivePod } from "./endpoints.ts";

export const PROXY_SYNC_SCHEMA = `
  CREATE TABLE IF NOT EXISTS proxy_sync (
    proxy TEXT PRIMARY KEY, namespace TEXT NOT NULL, pod TEXT NOT NULL, workload TEXT NOT NULL,
    node_id TEXT NOT NULL, channels TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS proxy_sync_by_workload ON proxy_sync (namespace, workload, at);
`;

const MAX_PROXIES = 5000;
const UNREGISTERED_KEPT_MS = 24 * 3600_000;
/** Stored cut to this many characters (versions are short; a NACK message is Envoy's error text). */
const CHARS = { nodeId: 512, workload: 253, version: 128, nack: 1024 };

type Row = { proxy: string; namespace: string; pod: string; workload: string; node_id: string; channels: string; at: number };
type Channels = Partial<Record<Channel, ChannelRecord>>;

/** Keeps `r` if it is newer than what the proxy's channel holds and changes it; true when written. */
export function recordProxySync(sql: SqlStorage, r: SyncReport, maxPerWorkload: number): boolean {
  if (!isChannel(r.channel)) return false;
  const proxy = `${r.namespace}/${r.pod}`;
  const row = sql.exec<Row>("SELECT * FROM proxy_sync WHERE proxy = ?", proxy).toArray()[0];
  const channels = (row ? JSON.parse(row.channels) : {}) as Channels;
  const prev = channels[r.channel];
  if (prev && prev.at > r.at) return false;
  const held = r.held.slice(0, CHARS.version);
  const sent = r.sent.slice(0, CHARS.version);
  // A NACK stands until the proxy holds something else (Envoy reports it once).
  const nack = r.nack?.slice(0, CHARS.nack) ?? (prev?.nack !== undefined && prev.held === held ? prev.nack : undefined);
  const workload = r.workload.slice(0, CHARS.workload);
  const nodeId = r.nodeId.slice(0, CHARS.nodeId);
  if (prev && prev.held === held && prev.sent === sent && prev.nack === nack && row.workload === workload && row.node_id === nodeId) return false;
  channels[r.channel] = { held, sent, ...(nack !== undefined ? { nack } : {}), at: r.at };
  sql.exec(
    `INSERT INTO proxy_sync (proxy, namespace, pod, workload, node_id, channels, at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (proxy) DO UPDATE SET workload = excluded.workload, node_id = excluded.node_id, channels = excluded.channels, at = excluded.at`,
    proxy,
    r.namespace,
    r.pod,
    workload,
    nodeId,
    JSON.stringify(channels),
    r.at,
  );
  sql.exec(
    "DELETE FROM proxy_sync WHERE proxy IN (SELECT proxy FROM proxy_sync WHERE namespace = ? AND workload = ? ORDER BY at DESC LIMIT -1 OFFSET ?)",
    r.namespace,
    workload,
    maxPerWorkload,
  );
  sql.exec("DELETE FROM proxy_sync WHERE proxy IN (SELECT proxy FROM proxy_sync ORDER BY at DESC LIMIT -1 OFFSET ?)", MAX_PROXIES);
  return true;
}

/**
 * Every registered pod and every proxy that reported (in `namespace`, or all), with its status
 * against `current(workloadKey)`: a registered pod that never fetched anything is NOT SENT.
 */
export function proxyStatuses(sql: SqlStorage, live: LivePod[], current: (workload: string) => number | undefined, namespace?: string, now = Date.now()): ProxyStatus[] {
  const registered = new Map(live.filter((p) => !namespace || p.endpoint.namespace === namespace).map((p) => [`${p.endpoint.namespace}/${p.endpoint.pod}`, p]));
  const rows = namespace
    ? sql.exec<Row>("SELECT * FROM proxy_sync WHERE namespace = ?", namespace).toArray()
    : sql.exec<Row>("SELECT * FROM proxy_sync").toArray();
  const out = new Map<string, ProxyStatus>();
  for (const row of rows) {
    if (!registered.has(row.proxy) && row.at < now - UNREGISTERED_KEPT_MS) {
      sql.exec("DELETE FROM proxy_sync WHERE proxy = ?", row.proxy);
      continue;
    }
    // A pod registered under another workload since it last reported is that workload's now.
    const workload = registered.get(row.proxy)?.endpoint.workload ?? row.workload;
    const channels = JSON.parse(row.channels) as Channels;
    out.set(row.proxy, status(row.namespace, row.pod, workload, channels, current, registered.has(row.proxy), row.node_id));
  }
  for (const [key, p] of registered)
    if (!out.has(key)) out.set(key, status(p.endpoint.namespace, p.endpoint.pod, p.endpoint.workload, {}, current, true));
  return [...out.values()].sort((a, b) => (a.namespace === b.namespace ? cmp(a.pod, b.pod) : cmp(a.namespace, b.namespace)));
}

function status(namespace: string, pod: string, workload: string, channels: Channels, current: (w: string) => number | undefined, registered: boolean, nodeId?: string): ProxyStatus {
  const version = current(`${namespace}/${workload}`);
  return {
    name: `${pod}.${namespace}`,
    namespace,
    pod,
    workload,
    ...(nodeId ? { nodeId } : {}),
    registered,
    ...(version !== undefined ? { current: version } : {}),
    ...proxySync(channels, version),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
