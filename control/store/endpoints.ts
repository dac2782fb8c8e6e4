// The endpoint registry: which pods are up, registered by their proxies (or start scripts) and
// kept alive by heartbeats. It lives in the ConfigStore (the single writer) but apart from the
// config: registrations never make a config revision, and EDS has its own version counter.
//
// Write load: a heartbeat that changes nothing only moves an in-memory deadline (no storage
// write); deadlines are persisted in batches (at most once a minute per pod) and membership
// changes (a new pod, a changed address, an expired or removed pod) write one row and bump the
// EDS version. A burst of changes is published to KV once (debounced), as one immutable
// `endpoints/<version>` document.
//
// Ownership: a pod belongs to the workload (and service account) that registered it while its
// registration lives. A workload token may register only pods that are free or already its
// own workload's, and remove only pods of a workload running as its own service account; the
// admin may do either. Without this a token of one workload could move another's pods into its
// own cluster or take them out of EDS.
import type { RegisteredEndpoint } from "../xds/translate/endpoints.ts";
import { getSetting, putSetting } from "./tables.ts";

export const DEFAULT_TTL_SECONDS = 90;
export const DEFAULT_MAX_PODS_PER_WORKLOAD = 256;
const PUBLISH_DEBOUNCE_MS = 1_000;
const VERSION = "endpoints_version";
const PUBLISHED = "endpoints_published";

interface Live {
  endpoint: RegisteredEndpoint;
  /** When the pod first registered (its creationTimestamp as a Pod). */
  registeredAt: number;
  /** The last registration or heartbeat. */
  lastSeen: number;
  /** The deadline the pod's heartbeats earned (persisted in batches). */
  expiresAt: number;
  persistedExpiresAt: number;
  /** Loaded from storage: the most the pod may have earned beyond its stored deadline (never persisted). */
  loadedUntil: number;
}

const deadline = (l: Live) => Math.max(l.expiresAt, l.loadedUntil);

/** How many pods a workload may register, and how long a pod lives without a heartbeat; the
 *  timings follow from that TTL (90 s: heartbeat every 30 s, sweep every 15 s, deadlines persisted
 *  once they moved by 60 s). */
export class EndpointLimits {
  readonly ttlMs: number;
  readonly heartbeatSeconds: number;
  readonly sweepMs: number;
  readonly persistEveryMs: number;

  constructor(
    ttlSeconds = DEFAULT_TTL_SECONDS,
    readonly maxPodsPerWorkload = DEFAULT_MAX_PODS_PER_WORKLOAD,
  ) {
    this.ttlMs = ttlSeconds * 1000;
    this.heartbeatSeconds = Math.max(1, Math.floor(ttlSeconds / 3));
    this.sweepMs = this.ttlMs / 6;
    this.persistEveryMs = (this.ttlMs * 2) / 3;
  }

  /** How far a pod's deadline can be ahead of the stored one: moved by less than persistEveryMs, plus heartbeats until the next sweep. */
  get unpersistedMs(): number {
    return this.persistEveryMs + this.sweepMs;
  }

  /** MESH_ENDPOINT_TTL_SECONDS (≥ 3) and MESH_MAX_PODS_PER_WORKLOAD (≥ 1), integers; a default, with a warning, for one that is not. */
  static fromEnv(env: { MESH_ENDPOINT_TTL_SECONDS?: string; MESH_MAX_PODS_PER_WORKLOAD?: string }): EndpointLimits {
    const setting = (name: keyof typeof env, min: number, fallback: number) => {
      const value = Number(env[name] ?? fallback);
      if (Number.isInteger(value) && value >= min) return value;
      console.warn(`${name}: "${env[name]}" is not an integer of at least ${min}; using ${fallback}`);
      return fallback;
    };
    return new EndpointLimits(setting("MESH_ENDPOINT_TTL_SECONDS", 3, DEFAULT_TTL_SECONDS), setting("MESH_MAX_PODS_PER_WORKLOAD", 1, DEFAULT_MAX_PODS_PER_WORKLOAD));
  }
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

/** Who registers or removes a pod: the admin, or a workload token's namespace and service account. */
export interface EndpointCaller {
  admin: boolean;
  namespace?: string;
  serviceAccount?: string;
}

/** Rows stored before registrations recorded their service account belong to their workload's. */
const sameOwner = (e: RegisteredEndpoint, serviceAccount: string | undefined) => e.serviceAccount === undefined || e.serviceAccount === serviceAccount;
const owner = (e: RegisteredEndpoint) => `workload ${e.namespace}/${e.workload} (service account ${e.serviceAccount || "unknown"})`;

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
    readonly limits = new EndpointLimits(),
  ) {}

  private entries(): Map<string, Live> {
    if (!this.live) {
      this.live = new Map();
      // After a restart a pod keeps the deadline it had, never a fresh TTL (restarts more often than
      // the TTL would keep a silent pod forever): the stored one, plus what heartbeats may have
      // moved it since without its being stored yet.
      const now = Date.now();
      for (const r of this.sql.exec<{ pod_key: string; body: string; expires_at: number; registered_at: number }>("SELECT * FROM endpoints"))
        this.live.set(r.pod_key, {
          endpoint: JSON.parse(r.body),
          registeredAt: r.registered_at || now,
          lastSeen: now,
          expiresAt: r.expires_at,
          persistedExpiresAt: r.expires_at,
          loadedUntil: r.expires_at + this.limits.unpersistedMs,
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

  /** Whether a workload may register this pod: it is registered already, or the workload has fewer live pods than its limit. */
  hasRoomFor(endpoint: RegisteredEndpoint, now = Date.now()): boolean {
    const entries = this.entries();
    if (entries.get(podKey(endpoint.namespace, endpoint.pod))?.endpoint.workload === endpoint.workload) return true;
    let pods = 0;
    for (const l of entries.values()) if (l.endpoint.namespace === endpoint.namespace && l.endpoint.workload === endpoint.workload && deadline(l) > now) pods++;
    return pods < this.limits.maxPodsPerWorkload;
  }

  /** The workload a live pod is registered to, if it is. */
  workloadOf(namespace: string, pod: string, now = Date.now()): string | undefined {
    const l = this.entries().get(podKey(namespace, pod));
    return l && deadline(l) > now ? l.endpoint.workload : undefined;
  }

  /** The pods not expired at `now` (the sweep may not have removed the others yet), sorted. */
  livePods(now = Date.now()): LivePod[] {
    const readyMs = this.limits.heartbeatSeconds * 1500;
    return [...this.entries().values()]
      .filter((l) => deadline(l) > now)
      .map((l) => ({ endpoint: l.endpoint, registeredAt: l.registeredAt, lastSeen: l.lastSeen, readyUntil: l.lastSeen + readyMs, expiresAt: deadline(l) }))
      .sort((a, b) => (podKey(a.endpoint.namespace, a.endpoint.pod) < podKey(b.endpoint.namespace, b.endpoint.pod) ? -1 : 1));
  }

  /**
   * Registers or heartbeats a pod; true when the membership changed (a new EDS version). A string
   * says why `caller` may not: the pod is live under another workload or service account.
   */
  register(endpoint: RegisteredEndpoint, caller: EndpointCaller, now = Date.now()): boolean | string {
    const key = podKey(endpoint.namespace, endpoint.pod);
    const entries = this.entries();
    const current = entries.get(key);
    const theirs = current && current.expiresAt > now && (current.endpoint.workload !== endpoint.workload || !sameOwner(current.endpoint, endpoint.serviceAccount));
    if (theirs && !caller.admin) return `pod ${endpoint.pod} is registered to ${owner(current.endpoint)}; only that workload or the admin may change it`;
    const expiresAt = now + this.limits.ttlMs;
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
    entries.set(key, { endpoint, registeredAt, lastSeen: now, expiresAt, persistedExpiresAt: expiresAt, loadedUntil: 0 });
    this.changed();
    return true;
  }

  /** Removes a pod; true when it was registered. A string says why `caller` may not. */
  deregister(namespace: string, pod: string, caller: EndpointCaller): boolean | string {
    const key = podKey(namespace, pod);
    const current = this.entries().get(key);
    if (!caller.admin && caller.namespace !== namespace) return `this token may not remove endpoints in namespace ${namespace}`;
    if (!current) return false;
    if (!caller.admin && !sameOwner(current.endpoint, caller.serviceAccount))
      return `pod ${pod} belongs to ${owner(current.endpoint)}; this token runs as ${caller.namespace}/${caller.serviceAccount}`;
    this.entries().delete(key);
    this.sql.exec("DELETE FROM endpoints WHERE pod_key = ?", key);
    this.changed();
    return true;
  }

  /** Expires pods that stopped heartbeating, persists deadlines in one batch, publishes what is due. */
  async sweep(now = Date.now()): Promise<void> {
    const entries = this.entries();
    let expired = 0;
    for (const [key, l] of entries) {
      if (deadline(l) <= now) {
        entries.delete(key);
        this.sql.exec("DELETE FROM endpoints WHERE pod_key = ?", key);
        expired++;
      } else if (l.expiresAt - l.persistedExpiresAt >= this.limits.persistEveryMs) {
        this.sql.exec("UPDATE endpoints SET expires_at = ? WHERE pod_key = ?", l.expiresAt, key);
        l.persistedExpiresAt = l.expiresAt;
      }
    }
    if (expired) putSetting(this.sql, VERSION, String(this.version() + 1));
    // A debounced publish still pending covers this; the sweep retries one that failed.
    if (this.version() > this.published() && !this.pending) await this.publish();
    if (entries.size) await this.wakeAt(now + this.limits.sweepMs);
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
    void this.wakeAt(Date.now() + this.limits.sweepMs);
  }

  /** Writes the current membership as `endpoints/<version>`, then marks it published. */
  async publish(): Promise<void> {
    const version = this.version();
    if (version <= this.published()) return;
    await this.kv.put(`endpoints/${version}`, JSON.stringify(this.list()));
    if (version > this.published()) putSetting(this.sql, PUBLISHED, String(version));
  }
}
