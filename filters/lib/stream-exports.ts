// proxy_on_response_headers and proxy_on_delete, exported only by filters that work on response
// headers or keep per-stream state (the router; not authz, noop or abi-floor): Envoy (and
// control/wasmhost) skip an absent callback, which saves a call into the VM per request each.
import { activeFilter } from "./filter";
import { maybeCollect } from "./gc";

export function proxy_on_response_headers(ctx: u32, numHeaders: u32, endOfStream: u32): i32 {
  const action = activeFilter().onResponseHeaders(ctx, numHeaders, endOfStream != 0);
  maybeCollect();
  return action;
}

export function proxy_on_delete(ctx: u32): void {
  activeFilter().onDelete(ctx);
  maybeCollect();
}
