// The revision log: every committed write is a revision with one or more changes, each
// carrying the object as it was after the change (null when deleted). The config at any
// retained revision is replayable, which is what revisions, diff and rollback read.
import type { KubeObject } from "../mesh/kinds/types.ts";
import { objectKey } from "./tables.ts";

export interface Change {
  resource: string;
  namespace: string;
  name: string;
  op: "create" | "update" | "delete";
  /** The object after the change; null for a delete. */
  body: KubeObject | null;
  /** `body` as stored: serialized once per write, for its row, the log and the size checks. */
  json: string | null;
}

export interface RevisionSummary {
  revision: number;
  time: string;
  changes: { verb: Change["op"]; kind: string; namespace: string; name: string }[];
}

export function currentRevision(sql: SqlStorage): number {
  return sql.exec<{ r: number | null }>("SELECT MAX(revision) AS r FROM revisions").one().r ?? 0;
}

export function oldestRevision(sql: SqlStorage): number {
  return sql.exec<{ r: number | null }>("SELECT MIN(revision) AS r FROM revisions").one().r ?? 0;
}

/** How many revisions past `keep` the log may hold: it is pruned back to `keep` once per that many. */
export function pruneSlack(keep: number): number {
  return Math.ceil(keep / 10);
}

export function logRevision(sql: SqlStorage, revision: number, at: Date, changes: Change[]): void {
  sql.exec("INSERT INTO revisions (revision, at) VALUES (?, ?)", revision, at.toISOString());
  for (const c of changes)
    sql.exec(
      "INSERT INTO changes (revision, resource, namespace, name, op, body) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (revision, resource, namespace, name) DO UPDATE SET op = excluded.op, body = excluded.body",
      revision,
      c.resource,
      c.namespace,
      c.name,
      c.op,
      c.json,
    );
}

function kindOf(resource: string, body: string | null): string {
  if (body) return (JSON.parse(body) as KubeObject).kind;
  return resource.split("/")[1];
}

export function listRevisions(sql: SqlStorage, limit: number, before?: number): RevisionSummary[] {
  const revs = sql
    .exec<{ revision: number; at: string }>(
      "SELECT revision, at FROM revisions WHERE revision < ? ORDER BY revision DESC LIMIT ?",
      before ?? Number.MAX_SAFE_INTEGER,
      limit,
    )
    .toArray();
  return revs.map(({ revision, at }) => ({
    revision,
    time: at,
    changes: sql
      .exec<{ resource: string; namespace: string; name: string; op: Change["op"]; body: string | null }>(
        "SELECT resource, namespace, name, op, body FROM changes WHERE revision = ? ORDER BY resource, namespace, name",
        revision,
      )
      .toArray()
      .map((c) => ({ verb: c.op, kind: kindOf(c.resource, c.body), namespace: c.namespace, name: c.name })),
  }));
}

/** Every object as it was at `revision`, keyed by objectKey. */
export function configAt(sql: SqlStorage, revision: number): Map<string, KubeObject> {
  const rows = sql
    .exec<{ resource: string; namespace: string; name: string; body: string | null }>(
      `SELECT c.resource, c.namespace, c.name, c.body FROM changes c
       JOIN (SELECT resource, namespace, name, MAX(revision) AS rev FROM changes WHERE revision <= ?
             GROUP BY resource, namespace, name) last
         ON c.resource = last.resource AND c.namespace = last.namespace AND c.name = last.name AND c.revision = last.rev`,
      revision,
    )
    .toArray();
  const out = new Map<string, KubeObject>();
  for (const r of rows) if (r.body) out.set(objectKey(r.resource, r.namespace, r.name), JSON.parse(r.body) as KubeObject);
  return out;
}

/**
 * Keeps the newest `keep` revisions (`head` the newest). Older changes go, except each object's
 * last change at or before the horizon, which is the baseline every retained revision replays
 * from. Only the revisions that age out now are looked at (the older ones were pruned before),
 * so a write costs what it changed, not what the history holds; and only every pruneSlack(keep)th
 * revision prunes, so a burst of writes looks at the log once per that many, not once each.
 */
export function pruneHistory(sql: SqlStorage, keep: number, head: number): void {
  if (head % pruneSlack(keep) !== 0) return;
  const horizon = head - keep + 1;
  const oldest = oldestRevision(sql);
  if (horizon <= oldest) return;
  sql.exec(
    `DELETE FROM changes WHERE rowid IN (
       SELECT c.rowid FROM changes c JOIN (
         SELECT resource, namespace, name, MAX(revision) AS last FROM changes WHERE revision >= ? AND revision <= ?
         GROUP BY resource, namespace, name) aged
       ON c.resource = aged.resource AND c.namespace = aged.namespace AND c.name = aged.name AND c.revision < aged.last)`,
    oldest,
    horizon,
  );
  // A baseline that says "deleted" replays to nothing: drop it too.
  sql.exec("DELETE FROM changes WHERE revision >= ? AND revision < ? AND body IS NULL", oldest, horizon);
  sql.exec("DELETE FROM revisions WHERE revision < ?", horizon);
}
