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
import { workloadRow } from "./workload-state.ts";

export const ENDPOINT_TTL_MS = 90_000;
export const HEARTBEAT_SECONDS = 30;
const SWEEP_MS = 15_000;
const PERSIST_EVERY_MS = 60_000;
const PUBLISH_DEBOUNCE_MS = 1_000;
const VERSION = "endpoints_version";
const PUBLISHED = "endpoints_published";

interface Live {
  endpoint: RegisteredEndpoint;
  expiresAt: number;
  persistedExpiresAt: number;
}

export const podKey = (namespace: string, pod: string) => `${namespace}/${pod}`;

/** Who registers or removes a pod: the admin, or a workload token's namespace and service account. */
export interface EndpointCaller {
  admin: boolean;
  namespace?: string;
  serviceAccount?: string;
}

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
  ) {}

  private entries(): Map<string, Live> {
    if (!this.live) {
      this.live = new Map();
      // After a restart nobody knows who is alive: every pod gets one TTL from now to heartbeat.
      const grace = Date.now() + ENDPOINT_TTL_MS;
      for (const r of this.sql.exec<{ pod_key: string; body: string; expires_at: number }>("SELECT * FROM endpoints")) {
        const endpoint = JSON.parse(r.body) as RegisteredEndpoint;
        // Rows stored before registrations recorded their owner: the workload's service account.
        endpoint.serviceAccount ??= workloadRow(this.sql, `${endpoint.namespace}/${endpoint.workload}`)?.service_account ?? "";
        this.live.set(r.pod_key, { endpoint, expiresAt: Math.max(r.expires_at, grace), persistedExpiresAt: r.expires_at });
      }
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

  /**
   * Registers or heartbeats a pod; true when the membership changed (a new EDS version). A string
   * says why `caller` may not: the pod is live under another workload or service account.
   */
  register(endpoint: RegisteredEndpoint, caller: EndpointCaller, now = Date.now()): boolean | string {
    const key = podKey(endpoint.namespace, endpoint.pod);
    const entries = this.entries();
    const current = entries.get(key);
    const theirs = current && current.expiresAt > now && (current.endpoint.workload !== endpoint.workload || current.endpoint.serviceAccount !== endpoint.serviceAccount);
    if (theirs && !caller.admin) return `pod ${endpoint.pod} is registered to ${owner(current.endpoint)}; only that workload or the admin may change it`;
    const expiresAt = now + ENDPOINT_TTL_MS;
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

  /** Removes a pod; true when it was registered. A string says why `caller` may not. */
  deregister(namespace: string, pod: string, caller: EndpointCaller): boolean | string {
    const key = podKey(namespace, pod);
    const current = this.entries().get(key);
    if (!caller.admin && caller.namespace !== namespace) return `this token may not remove endpoints in namespace ${namespace}`;
    if (!current) return false;
    if (!caller.admin && caller.serviceAccount !== current.endpoint.serviceAccount)
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
    if (this.version() > this.published()) await this.publish();
    if (entries.size) await this.wakeAt(now + SWEEP_MS);
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
    void this.wakeAt(Date.now() + SWEEP_MS);
  }

  /** Writes the current membership as `endpoints/<version>`, then marks it published. */
  async publish(): Promise<void> {
    const version = this.version();
    if (version <= this.published()) return;
    await this.kv.put(`endpoints/${version}`, JSON.stringify(this.list()));
    if (version > this.published()) putSetting(this.sql, PUBLISHED, String(version));
  }
}
