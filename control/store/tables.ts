// The ConfigStore's SQLite schema. One row per object; the history of every change; what
// proxies are served, as shared parts (control/store/served-state.ts); small settings.
import { PROXY_SYNC_SCHEMA } from "./proxy-sync.ts";
import { capStoredNacks } from "./xds-state.ts";

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS objects (
    resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    revision INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name));
  CREATE TABLE IF NOT EXISTS revisions (revision INTEGER PRIMARY KEY, at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS changes (
    revision INTEGER NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    op TEXT NOT NULL, body TEXT,
    PRIMARY KEY (revision, resource, namespace, name));
  CREATE INDEX IF NOT EXISTS changes_by_object ON changes (resource, namespace, name, revision);
  CREATE TABLE IF NOT EXISTS parts (hash TEXT PRIMARY KEY, body TEXT NOT NULL, published INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS views (view TEXT PRIMARY KEY, version INTEGER NOT NULL, hash TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS served_workloads (
    workload TEXT PRIMARY KEY, revision INTEGER NOT NULL, service_account TEXT NOT NULL, kind TEXT NOT NULL,
    shard INTEGER NOT NULL, parts TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS served_workloads_by_shard ON served_workloads (shard);
  CREATE TABLE IF NOT EXISTS kv_garbage (key TEXT PRIMARY KEY, since INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS kv_garbage_by_since ON kv_garbage (since);
  CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS pending_cascades (namespace TEXT NOT NULL, revision INTEGER NOT NULL, due_at INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS endpoints (
    pod_key TEXT PRIMARY KEY, body TEXT NOT NULL, expires_at INTEGER NOT NULL, registered_at INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS admitted_pods (
    namespace TEXT NOT NULL, name_or_prefix TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name_or_prefix));
  CREATE TABLE IF NOT EXISTS xds_nacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, workload TEXT NOT NULL, node_id TEXT NOT NULL,
    type_url TEXT NOT NULL, version TEXT NOT NULL, nonce TEXT NOT NULL, message TEXT NOT NULL);
${PROXY_SYNC_SCHEMA}`;

/** Columns added after a table first shipped (SQLite has no ADD COLUMN IF NOT EXISTS). */
export function migrate(sql: SqlStorage): void {
  const columns = sql.exec<{ name: string }>("PRAGMA table_info(pending_cascades)").toArray().map((c) => c.name);
  if (!columns.includes("due_at")) sql.exec("ALTER TABLE pending_cascades ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0");
  capStoredNacks(sql);
  const endpointColumns = sql.exec<{ name: string }>("PRAGMA table_info(endpoints)").toArray().map((c) => c.name);
  if (!endpointColumns.includes("registered_at")) sql.exec("ALTER TABLE endpoints ADD COLUMN registered_at INTEGER NOT NULL DEFAULT 0");
}

export function getSetting(sql: SqlStorage, key: string): string | undefined {
  return sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = ?", key).toArray()[0]?.value;
}

export function putSetting(sql: SqlStorage, key: string, value: string): void {
  sql.exec("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
}

/** `<group>/<plural>|<namespace>|<name>`: an object's identity across tables and maps. */
export function objectKey(resource: string, namespace: string, name: string): string {
  return `${resource}|${namespace}|${name}`;
}
