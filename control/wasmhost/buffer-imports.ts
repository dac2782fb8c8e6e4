// proxy_*_buffer_* imports: bodies of the current stream, and call-scoped buffers (VM and
// plugin configuration, the callout response body, foreign-function arguments).
import { AbiMisuse, BufferType, WasmResult } from "./abi.ts";
import { StreamContext } from "./context.ts";
import type { ImportFn } from "./guard.ts";
import type { VmCore } from "./vm.ts";

const SCOPED: Record<number, string> = {
  [BufferType.HttpCallResponseBody]: "the http call response body exists only during proxy_on_http_call_response",
  [BufferType.VmConfiguration]: "the VM configuration is readable only during proxy_on_vm_start",
  [BufferType.PluginConfiguration]: "the plugin configuration is readable only during proxy_on_configure",
  [BufferType.CallData]: "foreign function arguments exist only during proxy_on_foreign_function",
};

function stream(vm: VmCore, type: number): StreamContext {
  const ctx = vm.active;
  if (!(ctx instanceof StreamContext)) throw new AbiMisuse(WasmResult.BadArgument, `buffer ${type} needs a stream context; context ${ctx.id} is the root`);
  return ctx;
}

function bufferFor(vm: VmCore, type: number): Uint8Array {
  if (type === BufferType.RequestBody) return stream(vm, type).data.requestBody;
  if (type === BufferType.ResponseBody) return stream(vm, type).data.responseBody;
  if (type in SCOPED) {
    const buf = vm.scope.buffers?.get(type);
    if (!buf) throw new AbiMisuse(WasmResult.NotFound, SCOPED[type]);
    return buf;
  }
  if (type === BufferType.DownstreamData || type === BufferType.UpstreamData || type === BufferType.GrpcReceiveBuffer) {
    throw new AbiMisuse(WasmResult.Unimplemented, `buffer ${type} (TCP/gRPC) is not emulated`);
  }
  throw new AbiMisuse(WasmResult.BadArgument, `unknown buffer type ${type}`);
}

/** Envoy's set_buffer_bytes on a live body: prepend, replace, or append. */
function splice(buf: Uint8Array, start: number, size: number, data: Uint8Array): Uint8Array {
  const join = (a: Uint8Array, b: Uint8Array) => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  if (start === 0 && size === 0) return join(data, buf);
  if (start === 0 && size >= buf.length) return data.slice();
  if (start >= buf.length) return join(buf, data);
  throw new AbiMisuse(WasmResult.BadArgument, `set_buffer_bytes(start=${start}, size=${size}) on a ${buf.length}-byte body: only prepend, replace or append`);
}

export function bufferImports(vm: VmCore): Record<string, ImportFn> {
  return {
    proxy_get_buffer_bytes(type: number, start: number, max: number, rpPtr: number, rpSize: number): number {
      const buf = bufferFor(vm, type);
      start >>>= 0;
      max >>>= 0;
      const from = Math.min(start, buf.length);
      const to = Math.min(buf.length, from + max); // no u32 overflow in JS numbers
      vm.memory.returnBytes(buf.subarray(from, to), rpPtr, rpSize);
      return WasmResult.Ok;
    },
    proxy_get_buffer_status(type: number, rpSize: number, rpFlags: number): number {
      const buf = bufferFor(vm, type);
      vm.memory.writeU32(rpSize, buf.length);
      vm.memory.writeU32(rpFlags, 0);
      return WasmResult.Ok;
    },
    proxy_set_buffer_bytes(type: number, start: number, size: number, ptr: number, len: number): number {
      const data = vm.memory.read(ptr, len);
      if (type !== BufferType.RequestBody && type !== BufferType.ResponseBody) {
        bufferFor(vm, type); // unknown / out-of-scope diagnostics first
        throw new AbiMisuse(WasmResult.BadArgument, `buffer ${type} is read-only`);
      }
      const ctx = stream(vm, type);
      const which = type === BufferType.RequestBody ? "request" : "response";
      const next = splice(which === "request" ? ctx.data.requestBody : ctx.data.responseBody, start >>> 0, size >>> 0, data);
      if (which === "request") ctx.data.requestBody = next;
      else ctx.data.responseBody = next;
      ctx.record({ kind: "body-set", buffer: which, start: start >>> 0, length: size >>> 0, size: data.length });
      return WasmResult.Ok;
    },
  };
}
