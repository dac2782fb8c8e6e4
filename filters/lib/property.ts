// Envoy attributes via proxy_get_property. Paths are segments joined by NUL (`request\0path`):
// Envoy splits on 0x00, so a dotted name such as "request.path" is one unknown attribute (the
// SDK's trap). Build paths once with propertyPath() and keep them in module-level constants.
import { proxy_get_property, WasmResult } from "./abi";
import { Decoder, discardOut, ONCE, OUT_PTR, OUT_SIZE, takeOutBool, takeOutBuffer, takeOutI64, takeOutString, takeOutStringAfter } from "./mem";

/** Encodes path segments (["request", "headers", "x-id"]) as Envoy's NUL-separated path. */
export function propertyPath(segments: string[]): ArrayBuffer {
  return String.UTF8.encode(segments.join("\0"));
}

/** Asks the host for an attribute: true when it returned one (then take it from the
 * out-parameters), false when it is absent (NOT_FOUND). Other results trap. */
function lookup(path: ArrayBuffer): bool {
  const rc = proxy_get_property(changetype<usize>(path), path.byteLength, OUT_PTR, OUT_SIZE);
  if (rc == WasmResult.NotFound) return false;
  if (rc != WasmResult.Ok) abort("proxy_get_property failed: " + rc.toString());
  return true;
}

/** The raw value, or null when the attribute is absent or the host cannot serialize it (a claim
 * that is an object, say): a request-controlled attribute must never trap the filter. */
export function tryGetProperty(path: ArrayBuffer): ArrayBuffer | null {
  const rc = proxy_get_property(changetype<usize>(path), path.byteLength, OUT_PTR, OUT_SIZE);
  if (rc != WasmResult.Ok) {
    discardOut();
    return null;
  }
  return takeOutBuffer();
}

/** String attribute (request.path, connection.uri_san_peer_certificate...); null when absent. */
export function getPropertyString(path: ArrayBuffer, dec: Decoder = ONCE): string | null {
  return lookup(path) ? takeOutString(dec) : null;
}

/** String attribute without a leading `prefix` (see takeOutStringAfter); null when absent or
 * empty. */
export function getPropertyStringAfter(path: ArrayBuffer, prefix: ArrayBuffer, dec: Decoder): string | null {
  return lookup(path) ? takeOutStringAfter(prefix, dec) : null;
}

/** Bool attribute (connection.mtls: one byte); absent -> false. */
export function getPropertyBool(path: ArrayBuffer): bool {
  return lookup(path) && takeOutBool();
}

/** Integer attribute (8 bytes little-endian, e.g. destination.port); absent -> fallback. */
export function getPropertyInt(path: ArrayBuffer, fallback: i64): i64 {
  return lookup(path) ? takeOutI64(fallback) : fallback;
}
