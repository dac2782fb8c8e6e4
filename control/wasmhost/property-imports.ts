// proxy_get_property / proxy_set_property. Lookup order for a stream: values the filter set,
// the caller's per-stream tree, request.*/response.* derived from live headers, then the
// host-wide tree (plugin_name, xds.node ...). The root context sees only the last.
import { AbiMisuse, WasmResult } from "./abi.ts";
import { type HostContext, StreamContext } from "./context.ts";
import type { ImportFn } from "./guard.ts";
import { derivedRequest, derivedResponse, lookupProperty, type PropertyValue, serializeProperty } from "./properties.ts";
import type { GuestMemory } from "./memory.ts";
import type { HostEnv, VmCore } from "./vm.ts";

const TRUE = Uint8Array.of(1);
const FALSE = Uint8Array.of(0);

/** Resolves an attribute for `ctx` (also used by callers, e.g. explain). */
export function resolveProperty(ctx: HostContext, env: HostEnv, segments: string[]): PropertyValue | Uint8Array | undefined {
  const set = ctx.setProperties.size > 0 ? ctx.setProperties.get(segments.join("\0")) : undefined;
  if (set) return set;
  if (ctx instanceof StreamContext) {
    const own = lookupProperty(ctx.properties, segments);
    if (own !== undefined) return own;
    if (segments[0] === "request") {
      const v = lookupProperty({ request: derivedRequest(ctx.data.requestHeaders, ctx.protocol) }, segments);
      if (v !== undefined) return v;
    }
    if (segments[0] === "response") {
      const response = derivedResponse(ctx.data.responseHeaders);
      const v = response && lookupProperty({ response }, segments);
      if (v !== undefined) return v;
    }
  }
  return lookupProperty(env.hostProperties, segments);
}

/** Writes `value` to the guest as serializeProperty() encodes it; the per-request kinds
 * (strings, integers, bools) go straight into guest memory without a temporary array. */
function returnProperty(mem: GuestMemory, value: PropertyValue, segments: string[], rpPtr: number, rpSize: number): void {
  if (typeof value === "string") mem.returnString(value, rpPtr, rpSize);
  else if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))) mem.returnInt64(value, rpPtr, rpSize);
  else if (typeof value === "boolean") mem.returnBytes(value ? TRUE : FALSE, rpPtr, rpSize);
  else mem.returnBytes(serializeProperty(value, segments.join(".")), rpPtr, rpSize);
}

export function propertyImports(vm: VmCore, env: HostEnv): Record<string, ImportFn> {
  // A filter asks for the same few paths on every request: split each once (never modified).
  const splitPaths = new Map<string, string[]>();
  const segmentsOf = (path: string): string[] => {
    let segments = splitPaths.get(path);
    if (segments === undefined) {
      segments = path.split("\0");
      if (splitPaths.size >= 256) splitPaths.clear();
      splitPaths.set(path, segments);
    }
    return segments;
  };
  return {
    proxy_get_property(pathPtr: number, pathLen: number, rpPtr: number, rpSize: number): number {
      const segments = segmentsOf(vm.memory.readString(pathPtr, pathLen));
      const value = resolveProperty(vm.active, env, segments);
      if (vm.active.tracing) vm.active.record({ kind: "property-get", path: [...segments], found: value !== undefined });
      if (value === undefined) {
        if (segments.length === 1 && segments[0].includes(".")) {
          throw new AbiMisuse(WasmResult.NotFound, `property "${segments[0]}" uses dots; Envoy wants NUL-separated segments (${segments[0].split(".").join("\\0")})`);
        }
        return WasmResult.NotFound;
      }
      returnProperty(vm.memory, value, segments, rpPtr, rpSize);
      return WasmResult.Ok;
    },
    proxy_set_property(pathPtr: number, pathLen: number, valPtr: number, valLen: number): number {
      const segments = vm.memory.readString(pathPtr, pathLen).split("\0");
      const value = vm.memory.read(valPtr, valLen);
      vm.active.setProperties.set(segments.join("\0"), value);
      vm.active.record({ kind: "property-set", path: segments, value });
      return WasmResult.Ok;
    },
  };
}
