// The filter a module registers, and the one root context the ABI exports dispatch to.
import { Action } from "./abi";

/** One plugin per module (Envoy gives each of our filters its own VM). Override what you need;
 * every hook defaults to "continue". `ctx` is the stream's context id. */
export abstract class Filter {
  rootId: u32 = 0;

  onVmStart(vmConfigSize: u32): bool { return true; }
  onConfigure(pluginConfigSize: u32): bool { return true; }
  onTick(): void {}
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 { return Action.Continue; }
  onResponseHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 { return Action.Continue; }
  /** Roughly how many bytes of live data the filter holds (sets the GC threshold, gc.ts). */
  liveBytesHint(): usize { return 0; }
  /** The stream ended (Envoy's access-log point: response code, sizes and duration are known). */
  onLog(ctx: u32): void {}
  /** The stream (or the root, when ctx == rootId) is gone; drop per-stream state. */
  onDelete(ctx: u32): void {}
}

class NoFilter extends Filter {}

let current: Filter = new NoFilter();

/** Call once at module top level (runs in `_start`, before any proxy_on_* call). */
export function registerFilter(filter: Filter): void {
  current = filter;
}

export function activeFilter(): Filter {
  return current;
}
