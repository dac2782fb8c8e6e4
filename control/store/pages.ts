// Bounded pages of stored objects, for lists and history views. A Durable Object answers an RPC
// with at most 32 MiB, and a Worker has 128 MB: no single answer may hold "everything", so every
// read of many objects is cut into pages of at most PAGE_BYTES of object text (and at least one
// object, which the size cap keeps below 1.5 MiB). Pages are in key order (namespace, then name),
// and a page names the key it stopped at, so the next one starts after it.
import { badRequest, status, type KubeStatus } from "../api/status.ts";
import type { KubeObject } from "../mesh/kinds/types.ts";
import { currentRevision, oldestRevision } from "./history.ts";

/** At most this much object text crosses the RPC boundary in one page. */
export const PAGE_BYTES = 4 * 1024 * 1024;

/** Where a page starts: after this object (namespace and name), or at the beginning. */
export interface PageStart {
  namespace: string;
  name: string;
}

export interface StoredPage {
  items: KubeObject[];
  /** The last object of this page, when more follow it. */
  next?: PageStart;
}

type KeyedRow = { namespace: string; name: string; body: string };

/** Fills a page from rows in key order until `maxItems` items or PAGE_BYTES of text. */
function fill<R, K, T>(rows: Iterable<R>, maxItems: number, row: { key: (r: R) => K; text: (r: R) => string[]; item: (r: R, text: string[]) => T }): { items: T[]; next?: K } {
  const items: T[] = [];
  let bytes = 0;
  let last: K | undefined;
  for (const r of rows) {
    const text = row.text(r);
    const size = text.reduce((n, t) => n + t.length, 0);
    if (items.length >= maxItems || (items.length > 0 && bytes + size > PAGE_BYTES)) return { items, next: last };
    items.push(row.item(r, text));
    bytes += size;
    last = row.key(r);
  }
  return { items };
}

/** Rows that are stored objects. */
const objectRows = <R extends { body: string }, K>(key: (r: R) => K) => ({
  key,
  text: (r: R) => [r.body],
  item: (_: R, [body]: string[]) => JSON.parse(body) as KubeObject,
});

const pageStart = objectRows((row: KeyedRow): PageStart => ({ namespace: row.namespace, name: row.name }));

function after(start: PageStart | undefined, alias = ""): { clause: string; args: string[] } {
  if (!start) return { clause: "", args: [] };
  return { clause: `AND (${alias}namespace > ? OR (${alias}namespace = ? AND ${alias}name > ?))`, args: [start.namespace, start.namespace, start.name] };
}

/** A page of one resource's objects as they are now (in one namespace, or all when ""). */
export function currentPage(sql: SqlStorage, resource: string, namespace: string, start: PageStart | undefined, maxItems: number): StoredPage {
  const from = after(start);
  const rows = sql.exec<KeyedRow>(
    `SELECT namespace, name, body FROM objects WHERE resource = ? ${namespace ? "AND namespace = ?" : ""} ${from.clause} ORDER BY namespace, name`,
    ...[resource, ...(namespace ? [namespace] : []), ...from.args],
  );
  return fill(rows, maxItems, pageStart);
}

/**
 * A page of one resource's objects as they were at `revision` (replayed from the revision log,
 * which keeps every retained revision's objects): what a continued list reads, so that every
 * page of it shows the same snapshot, as Kubernetes' continue tokens promise.
 */
export function pageAtRevision(sql: SqlStorage, resource: string, namespace: string, revision: number, start: PageStart | undefined, maxItems: number): StoredPage {
  const from = after(start, "c.");
  const rows = sql.exec<KeyedRow>(
    `SELECT c.namespace, c.name, c.body FROM changes c
     JOIN (SELECT namespace, name, MAX(revision) AS rev FROM changes WHERE resource = ? AND revision <= ? ${namespace ? "AND namespace = ?" : ""}
           GROUP BY namespace, name) last
       ON c.resource = ? AND c.namespace = last.namespace AND c.name = last.name AND c.revision = last.rev
     WHERE c.body IS NOT NULL ${from.clause} ORDER BY c.namespace, c.name`,
    ...[resource, revision, ...(namespace ? [namespace] : []), resource, ...from.args],
  );
  return fill(rows, maxItems, pageStart);
}

/** Where a page of a whole config starts: after this object. */
export type ConfigPageStart = { resource: string } & PageStart;

function afterObject(start: ConfigPageStart | undefined, alias: string): { clause: string; args: string[] } {
  if (!start) return { clause: "", args: [] };
  const [r, ns, n] = [`${alias}resource`, `${alias}namespace`, `${alias}name`];
  return { clause: `AND (${r} > ? OR (${r} = ? AND (${ns} > ? OR (${ns} = ? AND ${n} > ?))))`, args: [start.resource, start.resource, start.namespace, start.namespace, start.name] };
}

/** The whole config at `revision`, a page at a time, in (resource, namespace, name) order. */

export function configPageAt(sql: SqlStorage, revision: number, start: ConfigPageStart | undefined, maxItems: number): { items: KubeObject[]; next?: ConfigPageStart } {
  const from = afterObject(start, "c.");
  const rows = sql
    .exec<KeyedRow & { resource: string }>(
      `SELECT c.resource, c.namespace, c.name, c.body FROM changes c
       JOIN (SELECT resource, namespace, name, MAX(revision) AS rev FROM changes WHERE revision <= ? GROUP BY resource, namespace, name) last
         ON c.resource = last.resource AND c.namespace = last.namespace AND c.name = last.name AND c.revision = last.rev
       WHERE c.body IS NOT NULL ${from.clause} ORDER BY c.resource, c.namespace, c.name`,
      revision,
      ...from.args,
    );
  return fill(rows, maxItems, objectRows((row: KeyedRow & { resource: string }) => ({ resource: row.resource, namespace: row.namespace, name: row.name })));
}

/**
 * A page of the objects that differ between two revisions: each object changed in between, as it
 * was at `from` and as it is at `to` (null where it did not exist). Only the changed objects are
 * read, so a diff costs what changed, not the size of the config.
 */
export function changedObjectsPage(
  sql: SqlStorage,
  from: number,
  to: number,
  start: ConfigPageStart | undefined,
  maxItems: number,
): { items: { before: KubeObject | null; after: KubeObject | null }[]; next?: ConfigPageStart } {
  const after = afterObject(start, "");
  const keys = sql.exec<{ resource: string; namespace: string; name: string }>(
    `SELECT DISTINCT resource, namespace, name FROM changes WHERE revision > ? AND revision <= ? ${after.clause} ORDER BY resource, namespace, name`,
    Math.min(from, to),
    Math.max(from, to),
    ...after.args,
  );
  const at = (key: ConfigPageStart, revision: number): string | null =>
    sql
      .exec<{ body: string | null }>(
        "SELECT body FROM changes WHERE resource = ? AND namespace = ? AND name = ? AND revision <= ? ORDER BY revision DESC LIMIT 1",
        key.resource,
        key.namespace,
        key.name,
        revision,
      )
      .toArray()[0]?.body ?? null;
  const parse = (body: string) => (body === "" ? null : (JSON.parse(body) as KubeObject));
  return fill(keys, maxItems, {
    key: (key) => ({ resource: key.resource, namespace: key.namespace, name: key.name }),
    text: (key) => [at(key, from) ?? "", at(key, to) ?? ""],
    item: (_, [before, afterBody]) => ({ before: parse(before), after: parse(afterBody) }),
  });
}

/** A list's page as the API asks for it: from a continue token's revision and key, or from the start now. */
export interface ListPageRequest {
  revision?: number;
  start?: PageStart;
  limit: number;
}

export interface ListPage extends StoredPage {
  /** The revision every page of this list is read at. */
  revision: number;
}

/**
 * A page of a list. A continued list reads the revision its first page was read at; once the
 * revision log no longer holds that revision the token has expired: 410, as the API server
 * answers a continue token older than etcd's compaction.
 */
export function listPage(sql: SqlStorage, resource: string, namespace: string, req: ListPageRequest): ListPage | KubeStatus {
  const current = currentRevision(sql);
  const revision = req.revision ?? current;
  if (revision > current) return badRequest(`continue key is not valid: revision ${revision} is in the future`);
  if (revision < oldestRevision(sql))
    return status(
      410,
      "Expired",
      "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
    );
  const page = revision === current ? currentPage(sql, resource, namespace, req.start, req.limit) : pageAtRevision(sql, resource, namespace, revision, req.start, req.limit);
  return { ...page, revision };
}
