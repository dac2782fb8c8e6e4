// The endpoint registry: which pods are up, registered by their proxies (or start scripts) and
// kept alive by heartbeats. It lives in the ConfigStore (the single writer) but apart from the
// config: registrations never make a config revision, and EDS has its own version counter.
//
// Write load: a heartbeat that changes nothing only moves an in-memory deadline (no storage
// write); deadlines are persisted in batches (at most once a minute per pod) and membership
// changes (a new pod, a changed address, an expired or removed pod) write one row and bump the
// EDS version. A burst of changes is published to KV once (debounced), as one immutable
// `endpoints/<version>` document.
import type { RegisteredEndpoint } from "../xds/translate/endpoints.ts";
import { getSetting, putSetting } from "./tables.ts";

export const HEARTBEAT_SECONDS = 30;
/** A pod that missed this many heartbeats in a row leaves the registry. */
const HEARTBEATS_PER_TTL = 3;
export const ENDPOINT_TTL_MS = HEARTBEAT_SECONDS * HEARTBEATS_PER_TTL * 1000;
const PERSIST_EVERY_MS = 60_000;
const PUBLISH_DEBOUNCE_MS = 1_000;
const VERSION = "endpoints_version";
const PUBLISHED = "endpoints_published";

interface Live {
  endpoint: RegisteredEndpoint;
  /** When the pod first registered (its creationTimestamp as a Pod). */
  registeredAt: number;
  /** The last registration or heartbeat. */
  lastSeen: number;
  expiresAt: number;
  persistedExpiresAt: number;
}

/** A live pod as the registry knows it: what the pods API builds a Pod from. */
export interface LivePod {
  endpoint: RegisteredEndpoint;
  registeredAt: number;
  lastSeen: number;
  /** Ready while heartbeats arrive: until one heartbeat is missed (half a period of slack for jitter). */
  readyUntil: number;
  expiresAt: number;
}

export const podKey = (namespace: string, pod: string) => `${namespace}/${pod}`;

function same(a: RegisteredEndpoint, b: RegisteredEndpoint): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class EndpointRegistry {
  private live?: Map<string, Live>;
  private pending?: Promise<void>;
  readonly heartbeatSeconds: number;
  readonly ttlMs: number;
  private readonly sweepMs: number;

  /** @param heartbeatSeconds how often proxies heartbeat (MESH_HEARTBEAT_SECONDS; short in tests). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly kv: KVNamespace,
    private readonly wakeAt: (ms: number) => Promise<void>,
    heartbeatSeconds = HEARTBEAT_SECONDS,
  ) {
    this.heartbeatSeconds = heartbeatSeconds;
    this.ttlMs = heartbeatSeconds * HEARTBEATS_PER_TTL * 1000;
    this.sweepMs = (heartbeatSeconds * 1000) / 2;
  }

  private entries(): Map<string, Live> {
    if (!this.live) {
      this.live = new Map();
      // After a restart nobody knows who is alive: every pod gets one TTL from now to heartbeat.
      const now = Date.now();
      const grace = now + this.ttlMs;
      for (const r of this.sql.exec<{ pod_key: string; body: string; expires_at: number; registered_at: number }>("SELECT * FROM endpoints"))
        this.live.set(r.pod_key, {
          endpoint: JSON.parse(r.body),
          registeredAt: r.registered_at || now,
          lastSeen: now,
          expiresAt: Math.max(r.expires_at, grace),
          persistedExpiresAt: r.expires_at,
        });
    }
    return this.live;
  }

  version(): number {
    return Number(getSetting(this.sql, VERSION) ?? "0");
  }

  published(): number {
    return Number(getSetting(this.sql, PUBLISHED) ?? "0");
  }

  list(): RegisteredEndpoint[] {
    return [...this.entries().values()].map((l) => l.endpoint).sort((a, b) => (podKey(a.namespace, a.pod) < podKey(b.namespace, b.pod) ? -1 : 1));
  }

  /** The pods not expired at `now` (the sweep may not have removed the others yet), sorted. */
  livePods(now = Date.now()): LivePod[] {
    const readyMs = this.heartbeatSeconds * 1500;
    return [...this.entries().values()]
      .filter((l) => l.expiresAt > now)
      .map((l) => ({ endpoint: l.endpoint, registeredAt: l.registeredAt, lastSeen: l.lastSeen, readyUntil: l.lastSeen + readyMs, expiresAt: l.expiresAt }))
      .sort((a, b) => (podKey(a.endpoint.namespace, a.endpoint.pod) < podKey(b.endpoint.namespace, b.endpoint.pod) ? -1 : 1));
  }

  /** Registers or heartbeats a pod; true when the membership changed (a new EDS version). */
  register(endpoint: RegisteredEndpoint, now = Date.now()): boolean {
    const key = podKey(endpoint.namespace, endpoint.pod);
    const entries = this.entries();
    const current = entries.get(key);
    const expiresAt = now + this.ttlMs;
    if (current && same(current.endpoint, endpoint)) {
      current.expiresAt = expiresAt;
      current.lastSeen = now;
      return false;
    }
    const registeredAt = current?.registeredAt ?? now;
    this.sql.exec(
      "INSERT INTO endpoints (pod_key, body, expires_at, registered_at) VALUES (?, ?, ?, ?) ON CONFLICT (pod_key) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at",
      key,
      JSON.stringify(endpoint),
      expiresAt,
      registeredAt,
    );
    entries.set(key, { endpoint, registeredAt, lastSeen: now, expiresAt, persistedExpiresAt: expiresAt });
    this.changed();
    return true;
  }

  deregister(namespace: string, pod: string): boolean {
    const key = podKey(namespace, pod);
    if (!this.entries().delete(key)) return false;
    this.sql.exec("DELETE FROM endpoints WHERE pod_key = ?", key);
    this.changed();
    return true;
  }

  /** Expires pods that stopped heartbeating, persists deadlines in one batch, publishes what is due. */
  async sweep(now = Date.now()): Promise<void> {
    const entries = this.entries();
    let expired = 0;
    for (const [key, l] of entries) {
      if (l.expiresAt <= now) {
        entries.delete(key);
        this.sql.exec("DELETE FROM endpoints WHERE pod_key = ?", key);
        expired++;
      } else if (l.expiresAt - l.persistedExpiresAt >= PERSIST_EVERY_MS) {
        this.sql.exec("UPDATE endpoints SET expires_at = ? WHERE pod_key = ?", l.expiresAt, key);
        l.persistedExpiresAt = l.expiresAt;
      }
    }
    if (expired) putSetting(this.sql, VERSION, String(this.version() + 1));
    // A debounced publish still pending covers this; the sweep retries one that failed.
    if (this.version() > this.published() && !this.pending) await this.publish();
    if (entries.size) await this.wakeAt(now + this.sweepMs);
  }

  private changed(): void {
    putSetting(this.sql, VERSION, String(this.version() + 1));
    this.pending ??= new Promise<void>((resolve) => setTimeout(resolve, PUBLISH_DEBOUNCE_MS)).then(async () => {
      this.pending = undefined;
      try {
        await this.publish();
      } catch (e) {
        console.error("publishing endpoints failed; the sweep retries", e instanceof Error ? e.message : e);
      }
    });
    void this.wakeAt(Date.now() + this.sweepMs);
  }

  /** Writes the current membership as `endpoints/<version>`, then marks it published. */
  async publish(): Promise<void> {
    const version = this.version();
    if (version <= this.published()) return;
    await this.kv.put(`endpoints/${version}`, JSON.stringify(this.list()));
    if (version > this.published()) putSetting(this.sql, PUBLISHED, String(version));
  }
}
