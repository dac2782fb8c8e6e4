// Stream control imports: proxy_send_local_response, proxy_continue_stream, proxy_close_stream.
// Like Envoy, they take effect after the current callback returns.
import { AbiMisuse, WasmResult } from "./abi.ts";
import { StreamContext } from "./context.ts";
import type { ImportFn } from "./guard.ts";
import { decodePairs } from "./pairs.ts";
import type { VmCore } from "./vm.ts";

const STREAM_TYPES = ["request", "response", "downstream", "upstream"] as const;

function currentStream(vm: VmCore, call: string): StreamContext {
  const ctx = vm.active;
  if (!(ctx instanceof StreamContext)) throw new AbiMisuse(WasmResult.BadArgument, `${call} needs a stream context; context ${ctx.id} is the root`);
  return ctx;
}

/** continue_stream un-pauses, close_stream resets; both after the callback returns. */
function control(vm: VmCore, op: "continue" | "close", type: number): number {
  const ctx = currentStream(vm, `proxy_${op}_stream`);
  const stream = STREAM_TYPES[type];
  if (!stream) throw new AbiMisuse(WasmResult.BadArgument, `unknown stream type ${type}`);
  vm.defer(() => {
    if (op === "continue") ctx.paused = false;
    else ctx.reset = true;
    ctx.record({ kind: op, stream });
  });
  return WasmResult.Ok;
}

export function streamImports(vm: VmCore): Record<string, ImportFn> {
  const mem = () => vm.memory;
  return {
    proxy_send_local_response(status: number, dPtr: number, dLen: number, bPtr: number, bLen: number, hPtr: number, hLen: number, grpcStatus: number): number {
      const details = mem().readString(dPtr, dLen);
      const body = mem().readString(bPtr, bLen);
      const headers = decodePairs(mem().read(hPtr, hLen)).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
      const ctx = currentStream(vm, "proxy_send_local_response");
      if (status < 200 || status > 599) throw new AbiMisuse(WasmResult.BadArgument, `local reply status ${status} is not an HTTP status`);
      if (/\s/.test(details)) throw new AbiMisuse(WasmResult.BadArgument, `response code details "${details}" contain whitespace (Envoy asserts there is none)`);
      if (ctx.pendingReply || ctx.localReply) throw new AbiMisuse(WasmResult.BadArgument, "a local reply was already sent on this stream");
      ctx.pendingReply = { status, details, body, headers, grpcStatus };
      ctx.record({ kind: "local-reply", status, details, body, headers });
      return WasmResult.Ok;
    },
    proxy_continue_stream: (type: number) => control(vm, "continue", type),
    proxy_close_stream: (type: number) => control(vm, "close", type),
  };
}
