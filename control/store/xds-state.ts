// The ConfigStore's Envoy state: workloads' xDS documents re-translated when the translator
// changed since they were stored, and the NACKs proxies report.
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import { TRANSLATOR_VERSION, xdsTemplate } from "../xds/template.ts";
import { xdsKey } from "./publish.ts";

const STALE = `SELECT workload, revision, snapshot FROM workloads WHERE xds NOT LIKE '{"v":${TRANSLATOR_VERSION},%'`;

export function hasStaleXds(sql: SqlStorage): boolean {
  return sql.exec(`${STALE} LIMIT 1`).toArray().length > 0;
}

/** Re-translates documents of another translator version (new keys: KV keys stay immutable). */
export async function retranslateXds(sql: SqlStorage, kv: KVNamespace, targetPorts: Record<string, number | string>): Promise<number> {
  const rows = sql.exec<{ workload: string; revision: number; snapshot: string }>(STALE).toArray();
  const puts: Promise<void>[] = [];
  for (const r of rows) {
    const xds = xdsTemplate(JSON.parse(r.snapshot) as WorkloadSnapshot, targetPorts);
    sql.exec("UPDATE workloads SET xds = ? WHERE workload = ?", xds, r.workload);
    puts.push(kv.put(xdsKey(r.revision, r.workload), xds));
  }
  await Promise.all(puts);
  return rows.length;
}

export interface Nack {
  at: string;
  workload: string;
  nodeId: string;
  typeUrl: string;
  version: string;
  nonce: string;
  message: string;
}

const NACKS_KEPT = 500;

export function recordNack(sql: SqlStorage, n: Omit<Nack, "at">): void {
  sql.exec(
    "INSERT INTO xds_nacks (at, workload, node_id, type_url, version, nonce, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
    new Date().toISOString(),
    n.workload,
    n.nodeId,
    n.typeUrl,
    n.version,
    n.nonce,
    n.message.slice(0, 4096),
  );
  sql.exec("DELETE FROM xds_nacks WHERE id <= (SELECT MAX(id) FROM xds_nacks) - ?", NACKS_KEPT);
}

export function listNacks(sql: SqlStorage, namespace?: string): Nack[] {
  const rows = namespace
    ? sql.exec<Record<string, string>>("SELECT * FROM xds_nacks WHERE workload LIKE ? ORDER BY id DESC", `${namespace}/%`)
    : sql.exec<Record<string, string>>("SELECT * FROM xds_nacks ORDER BY id DESC");
  return rows.toArray().map((r) => ({ at: r.at, workload: r.workload, nodeId: r.node_id, typeUrl: r.type_url, version: r.version, nonce: r.nonce, message: r.message }));
}
