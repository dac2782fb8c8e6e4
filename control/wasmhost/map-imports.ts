// proxy_*_header_map_* imports: the stream's header/trailer maps and the callout response maps.
import { AbiMisuse, MapType, WasmResult } from "./abi.ts";
import { type MapName, StreamContext } from "./context.ts";
import type { ImportFn } from "./guard.ts";
import { type HeaderMap, headerValueBytes, isRawHeaderValue } from "./headers.ts";
import { decodePairs, encodePairs } from "./pairs.ts";
import type { VmCore } from "./vm.ts";

const NAMES: Record<number, MapName> = {
  [MapType.RequestHeaders]: "request-headers",
  [MapType.RequestTrailers]: "request-trailers",
  [MapType.ResponseHeaders]: "response-headers",
  [MapType.ResponseTrailers]: "response-trailers",
  [MapType.HttpCallResponseHeaders]: "http-call-headers",
  [MapType.HttpCallResponseTrailers]: "http-call-trailers",
};

/** The map for `type` in the current context; misuse for a wrong context or unknown type. */
function mapFor(vm: VmCore, type: number, write: boolean): HeaderMap {
  if (type >= MapType.RequestHeaders && type <= MapType.ResponseTrailers) {
    const ctx = vm.active;
    if (!(ctx instanceof StreamContext)) {
      throw new AbiMisuse(WasmResult.BadArgument, `map type ${type} (${NAMES[type]}) needs a stream context; context ${ctx.id} is the root`);
    }
    if (write && ctx.phase === "log") throw new AbiMisuse(WasmResult.BadArgument, `${NAMES[type]} are read-only in proxy_on_log`);
    const d = ctx.data;
    if (type === MapType.RequestHeaders) return d.requestHeaders;
    if (type === MapType.ResponseHeaders) return d.responseHeaders;
    return type === MapType.RequestTrailers ? d.requestTrailers : d.responseTrailers;
  }
  if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) {
    const map = vm.scope.maps?.get(type);
    if (!map) throw new AbiMisuse(WasmResult.NotFound, `http call response map ${type} exists only during proxy_on_http_call_response`);
    if (write) throw new AbiMisuse(WasmResult.BadArgument, `http call response map ${type} is read-only`);
    return map;
  }
  if (type === MapType.GrpcInitialMetadata || type === MapType.GrpcTrailingMetadata) {
    throw new AbiMisuse(WasmResult.Unimplemented, `gRPC metadata map ${type} is not emulated`);
  }
  throw new AbiMisuse(WasmResult.BadArgument, `unknown map type ${type}`);
}

/** add appends a value; replace leaves exactly this one (adding when absent). */
function setValue(vm: VmCore, op: "add" | "replace", type: number, kPtr: number, kLen: number, vPtr: number, vLen: number): number {
  const name = vm.memory.readString(kPtr, kLen);
  const value = vm.memory.readString(vPtr, vLen);
  const map = mapFor(vm, type, true);
  if (op === "add") map.add(name, value);
  else map.replace(name, value);
  if (vm.active.tracing) vm.active.record({ kind: "header", map: NAMES[type], op, name: name.toLowerCase(), value });
  return WasmResult.Ok;
}

export function mapImports(vm: VmCore): Record<string, ImportFn> {
  const mem = () => vm.memory;
  return {
    proxy_get_header_map_value(type: number, kPtr: number, kLen: number, rpPtr: number, rpSize: number): number {
      const map = mapFor(vm, type, false);
      const value = map.get(mem().readString(kPtr, kLen));
      if (value === undefined) return WasmResult.NotFound;
      if (isRawHeaderValue(value)) mem().returnBytes(headerValueBytes(value), rpPtr, rpSize);
      else mem().returnString(value, rpPtr, rpSize);
      return WasmResult.Ok;
    },
    proxy_get_header_map_pairs(type: number, rpPtr: number, rpSize: number): number {
      const map = mapFor(vm, type, false);
      mem().returnBytes(encodePairs(map.pairs()), rpPtr, rpSize);
      return WasmResult.Ok;
    },
    proxy_get_header_map_size(type: number, rpSize: number): number {
      const map = mapFor(vm, type, false);
      mem().writeU32(rpSize, encodePairs(map.pairs()).length);
      return WasmResult.Ok;
    },
    proxy_set_header_map_pairs(type: number, ptr: number, len: number): number {
      const pairs = decodePairs(mem().read(ptr, len));
      const map = mapFor(vm, type, true);
      map.setAll(pairs);
      if (vm.active.tracing) vm.active.record({ kind: "header", map: NAMES[type], op: "set-all" });
      return WasmResult.Ok;
    },
    proxy_add_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => setValue(vm, "add", type, kPtr, kLen, vPtr, vLen),
    proxy_replace_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => setValue(vm, "replace", type, kPtr, kLen, vPtr, vLen),
    proxy_remove_header_map_value(type: number, kPtr: number, kLen: number): number {
      const name = mem().readString(kPtr, kLen);
      const map = mapFor(vm, type, true);
      if (map.remove(name) && vm.active.tracing) vm.active.record({ kind: "header", map: NAMES[type], op: "remove", name: name.toLowerCase() });
      return WasmResult.Ok;
    },
  };
}
