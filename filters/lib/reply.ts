// Local replies and Envoy foreign functions for the current stream.
import { proxy_call_foreign_function, proxy_send_local_response, WasmResult } from "./abi";
import { discardOut, OUT_PTR, OUT_SIZE } from "./mem";

const CLEAR_ROUTE_CACHE = String.UTF8.encode("clear_route_cache");

/** Sends a local reply (the host stops the stream after the callback returns). `details` becomes
 * Envoy's response code details (no spaces); `headers` is Pairs.serialize() output. */
export function sendLocalReply(status: u32, details: string, body: string, headers: ArrayBuffer): void {
  const d = String.UTF8.encode(details);
  const b = String.UTF8.encode(body);
  const h = headers;
  const rc = proxy_send_local_response(
    status,
    changetype<usize>(d), d.byteLength,
    changetype<usize>(b), b.byteLength,
    changetype<usize>(h), h.byteLength,
    -1,
  );
  if (rc != WasmResult.Ok) abort("proxy_send_local_response failed: " + rc.toString());
}

/** Makes Envoy re-pick the route after request headers changed. ABI 0.2.1 has no
 * proxy_clear_route_cache import (0.1.0 only): Envoy exposes it as a foreign function. */
export function clearRouteCache(): bool {
  const rc = proxy_call_foreign_function(
    changetype<usize>(CLEAR_ROUTE_CACHE), CLEAR_ROUTE_CACHE.byteLength, 0, 0, OUT_PTR, OUT_SIZE,
  );
  discardOut(); // the function returns nothing we use
  return rc == WasmResult.Ok;
}
