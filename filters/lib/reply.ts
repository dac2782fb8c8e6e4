// Local replies for the current stream.
import { proxy_send_local_response, WasmResult } from "./abi";

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
