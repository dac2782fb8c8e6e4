// proxy_on_response_headers, exported only by filters that work on response headers (the router,
// through stream-exports.ts, and stats): Envoy (and control/wasmhost) skip an absent callback,
// which saves a call into the VM per request.
import { activeFilter } from "./filter";
import { maybeCollect } from "./gc";

export function proxy_on_response_headers(ctx: u32, numHeaders: u32, endOfStream: u32): i32 {
  const action = activeFilter().onResponseHeaders(ctx, numHeaders, endOfStream != 0);
  maybeCollect();
  return action;
}
