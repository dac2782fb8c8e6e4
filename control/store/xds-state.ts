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

/** The log keeps this many NACKs, and this many per workload (its newest), so one workload's
 *  NACKs cannot flush another's: past the total, the workload with the most entries loses its oldest. */
const NACKS_KEPT = 500;
const NACKS_KEPT_PER_WORKLOAD = 10;
/** Each field is stored cut to this many characters (Envoy's own are far shorter). */
const NACK_FIELD_CHARS: Record<keyof Omit<Nack, "at">, number> = { workload: 320, nodeId: 512, typeUrl: 256, version: 256, nonce: 256, message: 4096 };

const cut = (n: Omit<Nack, "at">, field: keyof typeof NACK_FIELD_CHARS) => n[field].slice(0, NACK_FIELD_CHARS[field]);
const CAPPED_COLUMNS = Object.entries(NACK_FIELD_CHARS).map(([field, chars]) => ({ column: field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), chars }));

/** Cuts NACKs stored before the caps (an attack could leave 100 MB that no listing can return). */
export function capStoredNacks(sql: SqlStorage): void {
  sql.exec(
    `UPDATE xds_nacks SET ${CAPPED_COLUMNS.map(({ column, chars }) => `${column} = substr(${column}, 1, ${chars})`).join(", ")}
     WHERE ${CAPPED_COLUMNS.map(({ column, chars }) => `length(${column}) > ${chars}`).join(" OR ")}`,
  );
}

export function recordNack(sql: SqlStorage, n: Omit<Nack, "at">): void {
  const workload = cut(n, "workload");
  sql.exec(
    "INSERT INTO xds_nacks (at, workload, node_id, type_url, version, nonce, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
    new Date().toISOString(),
    workload,
    cut(n, "nodeId"),
    cut(n, "typeUrl"),
    cut(n, "version"),
    cut(n, "nonce"),
    cut(n, "message"),
  );
  sql.exec(
    "DELETE FROM xds_nacks WHERE workload = ? AND id <= (SELECT id FROM xds_nacks WHERE workload = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
    workload,
    workload,
    NACKS_KEPT_PER_WORKLOAD,
  );
  const count = () => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM xds_nacks").one().n;
  while (count() > NACKS_KEPT)
    sql.exec(
      `DELETE FROM xds_nacks WHERE id = (SELECT MIN(id) FROM xds_nacks WHERE workload =
         (SELECT workload FROM xds_nacks GROUP BY workload ORDER BY COUNT(*) DESC, MIN(id) LIMIT 1))`,
    );
}

export function listNacks(sql: SqlStorage, namespace?: string): Nack[] {
  const rows = namespace
    ? sql.exec<Record<string, string>>("SELECT * FROM xds_nacks WHERE workload LIKE ? ORDER BY id DESC", `${namespace}/%`)
    : sql.exec<Record<string, string>>("SELECT * FROM xds_nacks ORDER BY id DESC");
  return rows.toArray().map((r) => ({ at: r.at, workload: r.workload, nodeId: r.node_id, typeUrl: r.type_url, version: r.version, nonce: r.nonce, message: r.message }));
}
