// The read path's feed: each committed revision goes to KV under an immutable key
// (`revision/<n>`), then the small `latest` pointer moves. Immutable keys are never stale in KV;
// only the pointer is eventually consistent, and it only ever moves forward.
const PUBLISHED = "published_revision";

export type RevisionRecord = {
  revision: number;
  at: string;
  op: string;
  resource: string;
  namespace: string;
  name: string;
};

export async function publishRevisions(sql: SqlStorage, kv: KVNamespace): Promise<void> {
  const published = Number(
    sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = ?", PUBLISHED).toArray()[0]?.value ?? "0",
  );
  const pending = sql
    .exec<RevisionRecord>(
      "SELECT revision, at, op, resource, namespace, name FROM revisions WHERE revision > ? ORDER BY revision",
      published,
    )
    .toArray();
  if (pending.length === 0) return;
  for (const record of pending) await kv.put(`revision/${record.revision}`, JSON.stringify({ ...record }));
  const latest = pending[pending.length - 1].revision;
  await kv.put("latest", JSON.stringify({ revision: latest }));
  sql.exec(
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    PUBLISHED,
    String(latest),
  );
}
