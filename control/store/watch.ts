// Kubernetes watch, held by the ConfigStore: each watch is a stream of JSON lines
// ({"type": "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK", "object": ...}). A write enqueues its
// events into the open streams after it commits, without waiting for any reader, so watchers never
// slow writes; a stream whose reader falls too far behind is closed (the client re-lists and
// watches again, as informers do). Events from a past resourceVersion are replayed from the
// revision log.
import type { KubeObject } from "../mesh/kinds/types.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
  /** MODIFIED only: the object before, so a selector watch can tell an object entering or leaving
   *  its selection (Kubernetes turns those into ADDED and DELETED). Not sent to clients. */
  before?: KubeObject;
}

export interface WatchRequest {
  /** `<group>/<plural>` */
  resource: string;
  /** "" for every namespace. */
  namespace: string;
  allowBookmarks: boolean;
  timeoutMs: number;
  /** Send MODIFIED events' `before` (a selector watch needs it; a plain one does not). */
  withBefore: boolean;
}

/** A watcher unread this far behind (bytes queued) is closed rather than buffered without end. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
export const BOOKMARK_INTERVAL_MS = 30_000;
/** Kubernetes' default request timeout bounds a watch the client did not bound itself. */
export const MAX_WATCH_MS = 30 * 60_000;

interface Watcher {
  request: WatchRequest;
  controller: ReadableStreamDefaultController<Uint8Array>;
  timers: ReturnType<typeof setTimeout>[];
}

const encoder = new TextEncoder();

export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly bookmark: (resource: string) => KubeObject) {}

  get size(): number {
    return this.watchers.size;
  }

  /** A stream starting with `initial` events, then every matching event until timeout or cancel. */
  open(request: WatchRequest, initial: WatchEvent[]): ReadableStream<Uint8Array> {
    let watcher: Watcher | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          watcher = { request, controller, timers: [] };
          for (const e of initial) controller.enqueue(line(e, request.withBefore));
          this.watchers.add(watcher);
          const w = watcher;
          w.timers.push(setTimeout(() => this.close(w), Math.min(request.timeoutMs, MAX_WATCH_MS)));
          if (request.allowBookmarks) {
            const tick = () => {
              this.send(w, line({ type: "BOOKMARK", object: this.bookmark(request.resource) }, false));
              w.timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
            };
            w.timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
          }
        },
        cancel: () => {
          if (watcher) this.drop(watcher);
        },
      },
      { highWaterMark: MAX_QUEUED_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  /** Delivers committed events to the watchers they match, each event encoded once. */
  publish(events: { resource: string; namespace: string; event: WatchEvent }[]): void {
    if (this.watchers.size === 0) return;
    const encoded = events.map((e) => ({ ...e, lines: [undefined, undefined] as (Uint8Array | undefined)[] }));
    for (const w of this.watchers)
      for (const e of encoded)
        if (e.resource === w.request.resource && (w.request.namespace === "" || w.request.namespace === e.namespace)) {
          const variant = w.request.withBefore ? 1 : 0;
          this.send(w, (e.lines[variant] ??= line(e.event, w.request.withBefore)));
        }
  }

  private send(w: Watcher, bytes: Uint8Array): void {
    if ((w.controller.desiredSize ?? 0) <= 0) return this.close(w);
    w.controller.enqueue(bytes);
  }

  private close(w: Watcher): void {
    if (!this.watchers.has(w)) return;
    this.drop(w);
    try {
      w.controller.close();
    } catch {
      // already closed by the reader
    }
  }

  private drop(w: Watcher): void {
    this.watchers.delete(w);
    for (const t of w.timers) clearTimeout(t);
  }
}

function line(event: WatchEvent, withBefore: boolean): Uint8Array {
  return encoder.encode(`${JSON.stringify(withBefore || !event.before ? event : { type: event.type, object: event.object })}\n`);
}
