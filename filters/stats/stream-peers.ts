// The peer each open stream learned from the exchange headers, by context id, until the stream
// is logged. A stream's callbacks come in order and the streams of a connection one after another,
// so the stream being logged is nearly always the one that learned last: it has a slot of its
// own, and only streams open at the same time as another go through the map (a map insert and
// delete per stream were a tenth of the filter's own work).
import { Node } from "./peer";

export class StreamPeers {
  /** 0 when empty (a stream's context id is never 0). */
  private lastCtx: u32 = 0;
  private lastPeer: Node | null = null;
  private others: Map<u32, Node> = new Map();

  set(ctx: u32, peer: Node): void {
    if (this.lastCtx != 0 && this.lastCtx != ctx) this.others.set(this.lastCtx, <Node>this.lastPeer);
    this.lastCtx = ctx;
    this.lastPeer = peer;
  }

  /** The peer stream `ctx` learned (null when none), forgotten. */
  take(ctx: u32): Node | null {
    if (ctx == this.lastCtx) {
      const peer = this.lastPeer;
      this.lastCtx = 0;
      this.lastPeer = null;
      return peer;
    }
    if (this.others.size == 0 || !this.others.has(ctx)) return null;
    const peer = this.others.get(ctx);
    this.others.delete(ctx);
    return peer;
  }
}
