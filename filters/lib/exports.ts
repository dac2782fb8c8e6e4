// The ABI 0.2.1 exports. Each filter's entry file does `export * from "../lib/exports"`, and
// `export * from "../lib/stream-exports"` when it works on response headers or keeps state per
// stream. Only the hooks our filters use are exported: an absent proxy_on_* means "continue" to
// Envoy, so body/trailer callbacks cost nothing per request (nor, for authz, response headers
// and stream deletion). Garbage is collected only at the end of a callback (here and in
// stream-exports.ts), where no managed value is on the stack (gc.ts).
import { activeFilter } from "./filter";
import { collectNow, maybeCollect, noteStream } from "./gc";
import "./log"; // defines the global filter_abort (asconfig "use": "abort=filter_abort")

export { malloc } from "./mem";

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(ctx: u32, parent: u32): void {
  if (parent == 0) activeFilter().rootId = ctx;
  else noteStream();
}

export function proxy_on_vm_start(root: u32, vmConfigSize: u32): u32 {
  return activeFilter().onVmStart(vmConfigSize) ? 1 : 0;
}

export function proxy_on_configure(root: u32, pluginConfigSize: u32): u32 {
  return activeFilter().onConfigure(pluginConfigSize) ? 1 : 0;
}

export function proxy_on_tick(root: u32): void {
  activeFilter().onTick();
  maybeCollect();
}

export function proxy_on_http_call_response(root: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  activeFilter().onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  collectNow(activeFilter().liveBytesHint());
}

export function proxy_on_request_headers(ctx: u32, numHeaders: u32, endOfStream: u32): i32 {
  const action = activeFilter().onRequestHeaders(ctx, numHeaders, endOfStream != 0);
  maybeCollect();
  return action;
}

export function proxy_on_done(ctx: u32): u32 {
  return 1;
}
