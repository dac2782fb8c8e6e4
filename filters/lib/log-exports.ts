// proxy_on_log, exported only by filters that report at the end of a stream (stats): Envoy (and
// control/wasmhost) skip an absent callback, so the others pay nothing for it.
import { activeFilter } from "./filter";
import { maybeCollect } from "./gc";

export function proxy_on_log(ctx: u32): void {
  activeFilter().onLog(ctx);
  maybeCollect();
}
