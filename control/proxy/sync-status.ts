// Proxy status as `istioctl proxy-status` shows it: per proxy, for each xDS type, whether it runs
// what the control plane serves now. Istio compares the nonce it last sent on a stream with the
// nonce the proxy last acknowledged; proxies here poll (REST xDS, the filters' config channel),
// so what a proxy acknowledged is the version it says it holds when it polls (If-None-Match,
// `version_info`), and "sent" is the workload's version at the published revision:
//   NOT SENT  the proxy never fetched this type
//   SYNCED    it holds the current version
//   STALE     it holds an older one (or, holding none yet, was sent one: never acknowledged)
//   ERROR     it rejected what it was sent (an Envoy NACK), as Envoy's CSDS ConfigStatus says
// EDS is versioned by content, not by revision: SYNCED when the proxy holds what it was last sent.

/** The columns istioctl proxy-status prints, in its order. */
export const XDS_TYPES = ["CDS", "LDS", "EDS", "RDS", "ECDS"] as const;
export type XdsType = (typeof XDS_TYPES)[number];
export type SyncState = "SYNCED" | "STALE" | "NOT SENT" | "ERROR";

/**
 * What a proxy polls, and which xDS types each poll stands for: Envoy's REST xDS kinds, the
 * filters' config channel (the wasm filters' config: Istio's ECDS), and the dev proxy's snapshot
 * poll (the listeners and clusters LDS/CDS carry).
 */
export const CHANNELS = {
  listeners: { types: ["LDS"], versioned: "revision" },
  clusters: { types: ["CDS"], versioned: "revision" },
  routes: { types: ["RDS"], versioned: "revision" },
  endpoints: { types: ["EDS"], versioned: "content" },
  snapshot: { types: ["CDS", "LDS"], versioned: "revision" },
  router: { types: ["ECDS"], versioned: "revision" },
  authz: { types: ["ECDS"], versioned: "revision" },
} as const satisfies Record<string, { types: readonly XdsType[]; versioned: "revision" | "content" }>;
export type Channel = keyof typeof CHANNELS;

export const isChannel = (name: string): name is Channel => Object.hasOwn(CHANNELS, name);

/** What the control plane last learned from one channel of one proxy. */
export interface ChannelRecord {
  /** The version the proxy said it holds ("" when it holds none). For revision channels a workload version. */
  held: string;
  /** The version it was answered with (the held one on a 304). */
  sent: string;
  /** Envoy's error_detail when the proxy rejected `sent`. */
  nack?: string;
  /** When this state was first seen (ms). */
  at: number;
}

export interface ChannelStatus extends ChannelRecord {
  channel: Channel;
  state: SyncState;
}

export interface TypeStatus {
  state: SyncState;
  /** Since when the state's evidence holds (the newest channel change), ms. */
  at?: number;
}

export interface ProxySync {
  /** The worst over the types the proxy fetched; NOT SENT when it fetched none. */
  state: SyncState;
  types: Record<XdsType, TypeStatus>;
  channels: ChannelStatus[];
}

const WORST: SyncState[] = ["ERROR", "STALE", "SYNCED"];
const worst = (states: SyncState[]): SyncState => WORST.find((s) => states.includes(s)) ?? "NOT SENT";

function channelState(channel: Channel, r: ChannelRecord, current: number | undefined): SyncState {
  if (CHANNELS[channel].versioned === "content" || current === undefined) {
    if (r.held !== "" && r.held === r.sent) return "SYNCED";
    return r.nack ? "ERROR" : "STALE";
  }
  const held = r.held === "" ? -1 : Number(r.held);
  if (held >= current) return "SYNCED";
  return r.nack ? "ERROR" : "STALE";
}

/**
 * A proxy's status from its channel records and `current`, its workload's version at the
 * published revision (undefined when the workload is not served: then held against sent).
 */
export function proxySync(records: Partial<Record<Channel, ChannelRecord>>, current: number | undefined): ProxySync {
  const channels: ChannelStatus[] = [];
  for (const [name, r] of Object.entries(records) as [Channel, ChannelRecord][])
    if (isChannel(name) && r) channels.push({ channel: name, ...r, state: channelState(name, r, current) });
  const types = {} as Record<XdsType, TypeStatus>;
  for (const type of XDS_TYPES) {
    const mine = channels.filter((c) => (CHANNELS[c.channel].types as readonly XdsType[]).includes(type));
    types[type] = mine.length ? { state: worst(mine.map((c) => c.state)), at: Math.max(...mine.map((c) => c.at)) } : { state: "NOT SENT" };
  }
  return { state: worst(channels.map((c) => c.state)), types, channels };
}

/** A proxy as `GET /mesh/v1/proxy-status` lists it. */
export interface ProxyStatus extends ProxySync {
  /** `<pod>.<namespace>`, as istioctl names a proxy. */
  name: string;
  namespace: string;
  pod: string;
  workload: string;
  nodeId?: string;
  /** Whether the pod is registered (heartbeating) now. */
  registered: boolean;
  /** Its workload's version at the published revision (undefined: the workload is not served). */
  current?: number;
}

/** One line for a pod condition or a log: `CDS SYNCED, LDS STALE, EDS NOT SENT, ...`. */
export function describeSync(s: ProxySync): string {
  return XDS_TYPES.map((t) => `${t} ${s.types[t].state}`).join(", ");
}

/** A pod's `ProxySynced` condition reason for each state (Kubernetes reasons are CamelCase). */
export const SYNC_REASONS: Record<SyncState, string> = { SYNCED: "Synced", STALE: "Stale", "NOT SENT": "NotSent", ERROR: "Error" };
export const POD_SYNC_CONDITION = "ProxySynced";
