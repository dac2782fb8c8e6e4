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

export const DEFAULT_TTL_SECONDS = 90;
const PUBLISH_DEBOUNCE_MS = 1_000;
const VERSION = "endpoints_version";
const PUBLISHED = "endpoints_published";

interface Live {
  endpoint: RegisteredEndpoint;
  expiresAt: number;
  persistedExpiresAt: number;
}

/** How long a pod lives without a heartbeat; the other timings follow from it (90 s: heartbeat
 *  every 30 s, sweep every 15 s, deadlines persisted once they moved by 60 s). */
export class EndpointTimings {
  readonly ttlMs: number;
  readonly heartbeatSeconds: number;
  readonly sweepMs: number;
  readonly persistEveryMs: number;

  constructor(ttlSeconds = DEFAULT_TTL_SECONDS) {
    this.ttlMs = ttlSeconds * 1000;
    this.heartbeatSeconds = Math.max(1, Math.floor(ttlSeconds / 3));
    this.sweepMs = this.ttlMs / 6;
    this.persistEveryMs = (this.ttlMs * 2) / 3;
  }

  /** MESH_ENDPOINT_TTL_SECONDS (an integer ≥ 3); the default, with a warning, when it is not one. */
  static fromEnv(env: { MESH_ENDPOINT_TTL_SECONDS?: string }): EndpointTimings {
    const ttl = Number(env.MESH_ENDPOINT_TTL_SECONDS ?? DEFAULT_TTL_SECONDS);
    if (Number.isInteger(ttl) && ttl >= 3) return new EndpointTimings(ttl);
    console.warn(`MESH_ENDPOINT_TTL_SECONDS: "${env.MESH_ENDPOINT_TTL_SECONDS}" is not an integer of at least 3; using ${DEFAULT_TTL_SECONDS}`);
    return new EndpointTimings();
  }
}

export const podKey = (namespace: string, pod: string) => `${namespace}/${pod}`;

function same(a: RegisteredEndpoint, b: RegisteredEndpoint): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class EndpointRegistry {
  private live?: Map<string, Live>;
  private pending?: Promise<void>;

  constructor(
    private readonly sql: SqlStorage,
    private readonly kv: KVNamespace,
    private readonly wakeAt: (ms: number) => Promise<void>,
    readonly timings = new EndpointTimings(),
  ) {}

  private entries(): Map<string, Live> {
    if (!this.live) {
      this.live = new Map();
      // After a restart nobody knows who is alive: every pod gets one TTL from now to heartbeat.
      const grace = Date.now() + this.timings.ttlMs;
      for (const r of this.sql.exec<{ pod_key: string; body: string; expires_at: number }>("SELECT * FROM endpoints"))
        this.live.set(r.pod_key, { endpoint: JSON.parse(r.body), expiresAt: Math.max(r.expires_at, grace), persistedExpiresAt: r.expires_at });
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

  /** Registers or heartbeats a pod; true when the membership changed (a new EDS version). */
  register(endpoint: RegisteredEndpoint, now = Date.now()): boolean {
    const key = podKey(endpoint.namespace, endpoint.pod);
    const entries = this.entries();
    const current = entries.get(key);
    const expiresAt = now + this.timings.ttlMs;
    if (current && same(current.endpoint, endpoint)) {
      current.expiresAt = expiresAt;
      return false;
    }
    this.sql.exec(
      "INSERT INTO endpoints (pod_key, body, expires_at) VALUES (?, ?, ?) ON CONFLICT (pod_key) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at",
      key,
      JSON.stringify(endpoint),
      expiresAt,
    );
    entries.set(key, { endpoint, expiresAt, persistedExpiresAt: expiresAt });
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
      } else if (l.expiresAt - l.persistedExpiresAt >= this.timings.persistEveryMs) {
        this.sql.exec("UPDATE endpoints SET expires_at = ? WHERE pod_key = ?", l.expiresAt, key);
        l.persistedExpiresAt = l.expiresAt;
      }
    }
    if (expired) putSetting(this.sql, VERSION, String(this.version() + 1));
    // A debounced publish still pending covers this; the sweep retries one that failed.
    if (this.version() > this.published() && !this.pending) await this.publish();
    if (entries.size) await this.wakeAt(now + this.timings.sweepMs);
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
    void this.wakeAt(Date.now() + this.timings.sweepMs);
  }

  /** Writes the current membership as `endpoints/<version>`, then marks it published. */
  async publish(): Promise<void> {
    const version = this.version();
    if (version <= this.published()) return;
    await this.kv.put(`endpoints/${version}`, JSON.stringify(this.list()));
    if (version > this.published()) putSetting(this.sql, PUBLISHED, String(version));
  }
}
