// The NACKs proxies report, as the ConfigStore keeps them (a bounded log).
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
