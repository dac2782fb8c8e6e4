// What a poll tells the control plane about the proxy that sent it: the version it holds (its
// If-None-Match or `version_info`), the version it was answered with, and a NACK if it sent one.
// Polls are served from KV and isolate caches, so this must not cost a Durable Object write per
// poll: each isolate remembers what it last forwarded per proxy and channel and forwards only a
// change (a new version held or sent, a NACK), after the response, in waitUntil.
import type { Env } from "../env.ts";
import { storeStub } from "./sources.ts";
import { Lru } from "../xds/memo.ts";
import { isChannel, type Channel } from "./sync-status.ts";

/** One proxy's channel state as one poll showed it. */
export interface SyncReport {
  namespace: string;
  pod: string;
  workload: string;
  nodeId: string;
  channel: Channel;
  held: string;
  sent: string;
  nack?: string;
  /** When the poll was served (ms): the store keeps the newest report per channel. */
  at: number;
}

/** The header a proxy's filters and the dev proxy send their Envoy node id in (REST xDS has node.id). */
export const NODE_HEADER = "x-mesh-node";
/** The header a filter names itself in (its root id: router, authz). */
export const FILTER_HEADER = "x-mesh-filter";

/** How many proxy channels an isolate remembers (a forgotten one costs one more report). */
const REMEMBERED = 8192;
const lastForwarded = new Lru<string, string>(REMEMBERED);

/**
 * The pod an Istio node id names, `<type>~<ip>~<pod>.<namespace>~<domain>`, when its namespace is
 * `namespace`; undefined otherwise (such a poll is served but not tracked).
 */
export function podOfNode(nodeId: string, namespace: string): string | undefined {
  const parts = nodeId.split("~");
  if (parts.length !== 4 || !parts[2].endsWith(`.${namespace}`)) return undefined;
  const pod = parts[2].slice(0, -namespace.length - 1);
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(pod) && pod.length <= 253 ? pod : undefined;
}

/** A poll's report, or undefined when the poll does not name a proxy of `namespace` or a known channel. */
export function syncReport(fields: { namespace: string; workload: string; nodeId: string | undefined; channel: string | undefined; held: string; sent: string; nack?: string }): SyncReport | undefined {
  const { namespace, workload, nodeId, channel, held, sent, nack } = fields;
  const pod = nodeId && podOfNode(nodeId, namespace);
  if (!pod || !channel || !isChannel(channel)) return undefined;
  return { namespace, pod, workload, nodeId: nodeId!, channel, held, sent, ...(nack !== undefined ? { nack } : {}), at: Date.now() };
}

/** Forwards `report` to the store unless this isolate already forwarded the same state. */
export function forwardSync(env: Env, ctx: ExecutionContext, report: SyncReport | undefined): void {
  if (!report) return;
  const key = `${report.namespace}/${report.pod}|${report.channel}`;
  const state = JSON.stringify([report.workload, report.nodeId, report.held, report.sent, report.nack ?? null]);
  if (lastForwarded.get(key) === state) return;
  lastForwarded.set(key, state);
  ctx.waitUntil(
    storeStub(env)
      .recordProxySync(report)
      .catch((e: unknown) => {
        // Forgotten, so the next poll tries again.
        lastForwarded.delete(key);
        console.error("recording proxy status failed", e instanceof Error ? e.message : e);
      }),
  );
}
