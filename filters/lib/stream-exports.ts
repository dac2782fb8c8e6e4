// proxy_on_response_headers and proxy_on_delete, exported only by filters that work on response
// headers and keep per-stream state (the router; not authz, noop or abi-floor): Envoy (and
// control/wasmhost) skip an absent callback, which saves a call into the VM per request each.
import { activeFilter } from "./filter";
import { maybeCollect } from "./gc";

export * from "./response-exports";

export function proxy_on_delete(ctx: u32): void {
  activeFilter().onDelete(ctx);
  maybeCollect();
}
