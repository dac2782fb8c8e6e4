// The compiled state of every workload, as proxies are served it. A workload's revision (its
// ETag) moves only when its own snapshot changed, so a change elsewhere in the mesh does not
// make 2,000 proxies reload for nothing.
import type { Snapshot, WorkloadSnapshot } from "../mesh/snapshot.ts";
import { relevantTargetPorts, xdsTemplate } from "../xds/template.ts";
import { JsonMemo } from "./fingerprint.ts";

export type WorkloadRow = {
  workload: string;
  revision: number;
  service_account: string;
  fingerprint: string;
  snapshot: string;
  filter_config: string;
  /** The Envoy resources (control/xds/template.ts), with placeholders for what is not config. */
  xds: string;
};

function fingerprint(memo: JsonMemo, w: WorkloadSnapshot, targetPorts: Record<string, number | string>): string {
  return [w.workload, w.router, w.authz, w.clusters, w.inbound, w.listeners, relevantTargetPorts(w, targetPorts)].map((p) => memo.hash(p ?? null)).join(":");
}

/** What both filters fetch: the routing and authorization tables, versioned. */
export function filterConfigJson(memo: JsonMemo, key: string, version: number, w: WorkloadSnapshot): string {
  return memo.object([
    ["version", version],
    ["workload", key],
    ["router", w.router],
    ["authz", w.authz],
  ]);
}

export function snapshotJson(memo: JsonMemo, w: WorkloadSnapshot): string {
  return memo.object([
    ["workload", w.workload],
    ["router", w.router],
    ["authz", w.authz],
    ["clusters", w.clusters],
    ["inbound", w.inbound],
    ["listeners", w.listeners],
  ]);
}

/** Records a compiled snapshot; returns the workloads whose served config changed. */
export function recordSnapshot(sql: SqlStorage, snapshot: Snapshot, targetPorts: Record<string, number | string> = {}): string[] {
  const memo = new JsonMemo();
  const previous = new Map(
    sql.exec<{ workload: string; fingerprint: string }>("SELECT workload, fingerprint FROM workloads").toArray().map((r) => [r.workload, r.fingerprint]),
  );
  const changed: string[] = [];
  for (const [key, w] of Object.entries(snapshot.workloads)) {
    const fp = fingerprint(memo, w, targetPorts);
    previous.delete(key);
    if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM workloads WHERE workload = ? AND fingerprint = ?", key, fp).one().n > 0) continue;
    sql.exec(
      "INSERT INTO workloads (workload, revision, service_account, fingerprint, snapshot, filter_config, xds) VALUES (?, ?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (workload) DO UPDATE SET revision = excluded.revision, service_account = excluded.service_account, " +
        "fingerprint = excluded.fingerprint, snapshot = excluded.snapshot, filter_config = excluded.filter_config, xds = excluded.xds",
      key,
      snapshot.revision,
      w.workload.serviceAccount,
      fp,
      snapshotJson(memo, w),
      filterConfigJson(memo, key, snapshot.revision, w),
      xdsTemplate(w, targetPorts),
    );
    changed.push(key);
  }
  for (const gone of previous.keys()) sql.exec("DELETE FROM workloads WHERE workload = ?", gone);
  return changed;
}

export function workloadRow(sql: SqlStorage, key: string): WorkloadRow | undefined {
  return sql.exec<WorkloadRow>("SELECT * FROM workloads WHERE workload = ?", key).toArray()[0];
}

/** The read path's index: each workload's current revision and service account. */
export interface WorkloadIndex {
  revision: number;
  workloads: Record<string, [number, string]>;
}

export function workloadIndex(sql: SqlStorage, revision: number): WorkloadIndex {
  const workloads: WorkloadIndex["workloads"] = {};
  for (const r of sql.exec<{ workload: string; revision: number; service_account: string }>("SELECT workload, revision, service_account FROM workloads ORDER BY workload"))
    workloads[r.workload] = [r.revision, r.service_account];
  return { revision, workloads };
}
