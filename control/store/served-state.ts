// The served state in the ConfigStore: parts, views and workload entries (control/served/model.ts)
// as SQLite rows, kept in memory once loaded, and published to KV. Recording a compile writes
// only what changed: a new part once, a view whose index moved, a workload whose own parts or
// view changed. Publishing writes the new parts, the changed workload shards and one small index.
// Superseded KV keys are deleted after a grace period long enough for every reader that could
// still hold an older pointer (pointer TTL + KV cache), so storage stays O(services + workloads).
import { filterConfigJson, resolveView, routerJson, snapshotJson } from "../served/assemble.ts";
import { kvKeys, servedVersion, shardOf, SHARDS, type ServedIndex, type ServedWorkload, type ViewIndex, type ViewParts, type WorkloadEntry, type WorkloadParts } from "../served/model.ts";
import type { SplitMesh } from "../served/split.ts";
import { getSetting, putSetting } from "./tables.ts";

/** How long a superseded KV key stays readable: far above the pointer TTL and KV's own caching. */
export const DEFAULT_KV_GRACE_MS = 10 * 60_000;
const COMPILED = "compiled_revision";
const PUBLISHED = "published_revision";
const SHARD_REVISIONS = "shard_revisions";
const PENDING_SHARDS = "pending_shards";

interface View {
  version: number;
  hash: string;
  parts: ViewParts;
}

interface Workload {
  revision: number;
  serviceAccount: string;
  kind: "sidecar" | "gateway";
  parts: WorkloadParts;
}

/** Bytes and rows one compile or one publish wrote. */
export interface WriteCount {
  rows: number;
  bytes: number;
}

interface Memory {
  views: Map<string, View>;
  workloads: Map<string, Workload>;
  parts: Map<string, string>;
}

export class ServedState {
  private memory?: Memory;

  constructor(
    private readonly sql: SqlStorage,
    private readonly kv: KVNamespace,
    private readonly graceMs = DEFAULT_KV_GRACE_MS,
  ) {}

  compiledRevision(): number {
    return Number(getSetting(this.sql, COMPILED) ?? "0");
  }

  publishedRevision(): number {
    return Number(getSetting(this.sql, PUBLISHED) ?? "0");
  }

  private load(): Memory {
    if (!this.memory) {
      const parts = new Map<string, string>();
      for (const r of this.sql.exec<{ hash: string; body: string }>("SELECT hash, body FROM parts")) parts.set(r.hash, r.body);
      const views = new Map<string, View>();
      for (const r of this.sql.exec<{ view: string; version: number; hash: string }>("SELECT view, version, hash FROM views"))
        views.set(r.view, { version: r.version, hash: r.hash, parts: resolveView(JSON.parse(parts.get(r.hash)!) as ViewIndex, (h) => parts.get(h)!) });
      const workloads = new Map<string, Workload>();
      for (const r of this.sql.exec<{ workload: string; revision: number; service_account: string; kind: string; parts: string }>(
        "SELECT workload, revision, service_account, kind, parts FROM served_workloads",
      ))
        workloads.set(r.workload, { revision: r.revision, serviceAccount: r.service_account, kind: r.kind as Workload["kind"], parts: JSON.parse(r.parts) as WorkloadParts });
      this.memory = { views, workloads, parts };
    }
    return this.memory;
  }

  /** Records a compile of `revision`; runs inside the caller's transaction. */
  record(split: SplitMesh, revision: number): WriteCount {
    try {
      return this.recordRows(split, revision);
    } catch (e) {
      // The transaction rolls back; the memory must not keep what the rows lost.
      this.memory = undefined;
      throw e;
    }
  }

  private recordRows(split: SplitMesh, revision: number): WriteCount {
    const m = this.load();
    const count: WriteCount = { rows: 0, bytes: 0 };
    const write = (query: string, ...args: (string | number)[]) => {
      this.sql.exec(query, ...args);
      count.rows++;
      for (const a of args) count.bytes += String(a).length;
    };
    for (const [hash, body] of split.parts) {
      if (m.parts.has(hash)) continue;
      // A part dropped a moment ago may still be in KV, waiting for its grace period: keep it.
      const waiting = this.sql.exec("DELETE FROM kv_garbage WHERE key = ? RETURNING key", kvKeys.part(hash)).toArray().length > 0;
      write("INSERT INTO parts (hash, body, published) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING", hash, body, waiting ? 1 : 0);
    }
    for (const [name, v] of split.views) {
      const now = m.views.get(name);
      if (now?.hash === v.hash) continue;
      write("INSERT INTO views (view, version, hash) VALUES (?, ?, ?) ON CONFLICT (view) DO UPDATE SET version = excluded.version, hash = excluded.hash", name, revision, v.hash);
      m.views.set(name, { version: revision, hash: v.hash, parts: v.parts });
    }
    for (const name of m.views.keys())
      if (!split.views.has(name)) {
        write("DELETE FROM views WHERE view = ?", name);
        m.views.delete(name);
      }
    const pending = new Set(JSON.parse(getSetting(this.sql, PENDING_SHARDS) ?? "[]") as number[]);
    for (const [key, w] of split.workloads) {
      const now = m.workloads.get(key);
      const parts = JSON.stringify(w.parts);
      if (now && now.serviceAccount === w.serviceAccount && now.kind === w.kind && JSON.stringify(now.parts) === parts) continue;
      write(
        "INSERT INTO served_workloads (workload, revision, service_account, kind, shard, parts) VALUES (?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (workload) DO UPDATE SET revision = excluded.revision, service_account = excluded.service_account, kind = excluded.kind, parts = excluded.parts",
        key,
        revision,
        w.serviceAccount,
        w.kind,
        shardOf(key),
        parts,
      );
      m.workloads.set(key, { revision, serviceAccount: w.serviceAccount, kind: w.kind, parts: w.parts });
      pending.add(shardOf(key));
    }
    for (const key of m.workloads.keys())
      if (!split.workloads.has(key)) {
        write("DELETE FROM served_workloads WHERE workload = ?", key);
        m.workloads.delete(key);
        pending.add(shardOf(key));
      }
    // Parts nothing references any more leave the store now, and KV after the grace period.
    const now = Date.now();
    for (const hash of m.parts.keys()) {
      if (split.parts.has(hash)) continue;
      const published = this.sql.exec<{ published: number }>("DELETE FROM parts WHERE hash = ? RETURNING published", hash).toArray()[0]?.published;
      count.rows++;
      if (published) this.retire(kvKeys.part(hash), now);
    }
    m.parts = new Map(split.parts);
    putSetting(this.sql, PENDING_SHARDS, JSON.stringify([...pending].sort((a, b) => a - b)));
    putSetting(this.sql, COMPILED, String(revision));
    return count;
  }

  private retire(key: string, now: number): void {
    this.sql.exec("INSERT INTO kv_garbage (key, since) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, now);
  }

  /** Publishes what the last compile changed; the index last, so a reader never sees a key missing. */
  async publish(): Promise<WriteCount> {
    const count: WriteCount = { rows: 0, bytes: 0 };
    const revision = this.compiledRevision();
    if (revision <= this.publishedRevision()) return count;
    const put = async (key: string, value: string) => {
      await this.kv.put(key, value);
      count.rows++;
      count.bytes += value.length;
    };
    const unpublished = this.sql.exec<{ hash: string; body: string }>("SELECT hash, body FROM parts WHERE published = 0").toArray();
    for (let i = 0; i < unpublished.length; i += 100) {
      const chunk = unpublished.slice(i, i + 100);
      await Promise.all(chunk.map((p) => put(kvKeys.part(p.hash), p.body)));
      for (const p of chunk) this.sql.exec("UPDATE parts SET published = 1 WHERE hash = ?", p.hash);
    }
    const shards = this.shardRevisions();
    const pending = JSON.parse(getSetting(this.sql, PENDING_SHARDS) ?? "[]") as number[];
    const now = Date.now();
    // Each pending shard's entries from memory (the rows' twin), by workload as the rows sort.
    const m = this.load();
    const members = new Map(pending.map((n) => [n, [] as string[]]));
    for (const key of m.workloads.keys()) members.get(shardOf(key))?.push(key);
    await Promise.all(
      pending.map(async (n) => {
        const entries: Record<string, WorkloadEntry> = {};
        for (const key of members.get(n)!.sort()) {
          const w = m.workloads.get(key)!;
          entries[key] = [w.revision, w.serviceAccount, w.parts];
        }
        await put(kvKeys.shard(n, revision), JSON.stringify(entries));
      }),
    );
    for (const n of pending) {
      if (shards[n] > 0 && shards[n] !== revision) this.retire(kvKeys.shard(n, shards[n]), now);
      shards[n] = revision;
    }
    const index: ServedIndex = { revision, views: Object.fromEntries([...m.views].map(([name, v]) => [name, [v.version, v.hash]])), shards };
    await put(kvKeys.index(revision), JSON.stringify(index));
    const previous = this.publishedRevision();
    if (previous > 0) this.retire(kvKeys.index(previous), now);
    putSetting(this.sql, SHARD_REVISIONS, JSON.stringify(shards));
    // The ConfigStore runs compiles and publishes one after another, so nothing was recorded meanwhile.
    putSetting(this.sql, PENDING_SHARDS, "[]");
    putSetting(this.sql, PUBLISHED, String(revision));
    return count;
  }

  private shardRevisions(): number[] {
    const stored = JSON.parse(getSetting(this.sql, SHARD_REVISIONS) ?? "[]") as number[];
    return Array.from({ length: SHARDS }, (_, n) => stored[n] ?? 0);
  }

  /** Deletes KV keys superseded more than the grace period ago; returns when to come back (or null). */
  async collectGarbage(now = Date.now()): Promise<number | null> {
    const due = this.sql.exec<{ key: string }>("DELETE FROM kv_garbage WHERE since <= ? RETURNING key", now - this.graceMs).toArray().map((r) => r.key);
    for (let i = 0; i < due.length; i += 100) await Promise.all(due.slice(i, i + 100).map((k) => this.kv.delete(k)));
    const next = this.sql.exec<{ since: number | null }>("SELECT MIN(since) AS since FROM kv_garbage").one().since;
    return next === null ? null : next + this.graceMs;
  }

  /** A workload's entry and view as of the last compile. */
  private find(key: string): { w: Workload; view: View } | undefined {
    const m = this.load();
    const w = m.workloads.get(key);
    const view = w && m.views.get(w.parts.view);
    return w && view ? { w, view } : undefined;
  }

  /** A workload's served version (its ETag) as of the last compile, without assembling its documents. */
  versionOf(key: string): number | undefined {
    const found = this.find(key);
    return found && servedVersion([found.w.revision, found.w.serviceAccount, found.w.parts], [found.view.version, found.view.hash]);
  }

  served(key: string): ServedWorkload | null {
    const found = this.find(key);
    if (!found) return null;
    const { w, view } = found;
    const part = (h: string) => this.memory!.parts.get(h)!;
    const version = servedVersion([w.revision, w.serviceAccount, w.parts], [view.version, view.hash]);
    const router = routerJson(view.parts, part);
    return {
      revision: version,
      serviceAccount: w.serviceAccount,
      filterConfig: filterConfigJson(key, version, view.parts, w.parts, part, router),
      snapshot: snapshotJson(view.parts, w.parts, part, router),
      targetPorts: view.parts.targetPorts,
    };
  }

  /** Workload keys with their kind and identity labels (explain's endpoints, gateway lookups). */
  *identities(namespace?: string): Generator<{ key: string; kind: Workload["kind"]; labels: Record<string, string> }> {
    const m = this.load();
    for (const [key, w] of [...m.workloads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (namespace !== undefined && !key.startsWith(`${namespace}/`)) continue;
      yield { key, kind: w.kind, labels: (JSON.parse(m.parts.get(w.parts.identity)!) as { labels: Record<string, string> }).labels };
    }
  }

  /** Sizes, for the stats endpoint and the scale benchmark. */
  stats(): { parts: number; partBytes: number; views: number; workloads: number; garbage: number } {
    const m = this.load();
    let partBytes = 0;
    for (const body of m.parts.values()) partBytes += body.length;
    const garbage = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM kv_garbage").one().n;
    return { parts: m.parts.size, partBytes, views: m.views.size, workloads: m.workloads.size, garbage };
  }
}
