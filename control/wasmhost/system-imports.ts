// Logging, time, timer, status, effective context, metrics, shared data and foreign functions.
import { AbiMisuse, LOG_LEVELS, WasmResult } from "./abi.ts";
import type { ImportFn } from "./guard.ts";
import { unimplemented } from "./guard.ts";
import { Histogram } from "./histogram.ts";
import { encodeUtf8, NO_BYTES } from "./memory.ts";
import type { HostEnv, VmCore } from "./vm.ts";

export interface Metric {
  name: string;
  type: "counter" | "gauge" | "histogram";
  /** Counter and gauge value (0 for a histogram). */
  value: bigint;
  /** A histogram's buckets, sum and count (Envoy's default bounds). */
  histogram?: Histogram;
}

const METRIC_TYPES = ["counter", "gauge", "histogram"] as const;

export function systemImports(vm: VmCore, env: HostEnv, metrics: Map<number, Metric>): Record<string, ImportFn> {
  const mem = () => vm.memory;
  const shared = new Map<string, { value: Uint8Array; cas: number }>();
  /** Metric id by `<type>|<name>`: a filter defines each labelled name once, then reuses the id. */
  const idByName = new Map<string, number>();
  let nextCas = 1;
  const metric = (id: number): Metric => {
    const m = metrics.get(id >>> 0);
    if (!m) throw new AbiMisuse(WasmResult.NotFound, `unknown metric id ${id}`);
    return m;
  };
  return {
    proxy_log(level: number, ptr: number, len: number): number {
      const message = mem().readString(ptr, len);
      const name = LOG_LEVELS[level];
      if (!name) throw new AbiMisuse(WasmResult.BadArgument, `unknown log level ${level}`);
      if (level >= env.logLevel) {
        vm.log(name, message, vm.active.id, "proxy_log");
        vm.active.record({ kind: "log", level: name, message });
      }
      return WasmResult.Ok;
    },
    proxy_get_log_level(rp: number): number {
      mem().writeU32(rp, env.logLevel);
      return WasmResult.Ok;
    },
    proxy_get_current_time_nanoseconds(rp: number): number {
      mem().writeU64(rp, BigInt(Math.round(env.nowMs() * 1e6)));
      return WasmResult.Ok;
    },
    proxy_set_tick_period_milliseconds(ms: number): number {
      env.setTickPeriod(ms >>> 0);
      return WasmResult.Ok;
    },
    proxy_get_status(rpCode: number, rpPtr: number, rpSize: number): number {
      mem().writeU32(rpCode, vm.status.code);
      mem().returnBytes(encodeUtf8(vm.status.message), rpPtr, rpSize);
      return WasmResult.Ok;
    },
    proxy_set_effective_context(id: number): number {
      const ctx = vm.context(id >>> 0);
      if (!ctx) throw new AbiMisuse(WasmResult.BadArgument, `proxy_set_effective_context(${id}): no such context`);
      vm.active = ctx;
      return WasmResult.Ok;
    },
    proxy_done(): number {
      return env.done();
    },
    proxy_call_foreign_function(nPtr: number, nLen: number, aPtr: number, aLen: number, rpPtr: number, rpSize: number): number {
      const name = mem().readString(nPtr, nLen);
      const args = mem().read(aPtr, aLen);
      const fn = env.foreignFunctions[name];
      if (!fn) throw new AbiMisuse(WasmResult.NotFound, `no foreign function "${name}"`);
      mem().returnBytes(fn(args, vm.active) ?? NO_BYTES, rpPtr, rpSize);
      if (vm.active.tracing) vm.active.record({ kind: "foreign-function", name, result: WasmResult.Ok });
      return WasmResult.Ok;
    },
    proxy_define_metric(type: number, nPtr: number, nLen: number, rpId: number): number {
      const name = mem().readString(nPtr, nLen);
      const kind = METRIC_TYPES[type];
      if (!kind) throw new AbiMisuse(WasmResult.BadArgument, `unknown metric type ${type}`);
      const key = `${kind}|${name}`;
      let id = idByName.get(key);
      if (id === undefined) {
        id = metrics.size + 1;
        metrics.set(id, { name, type: kind, value: 0n, ...(kind === "histogram" ? { histogram: new Histogram() } : {}) });
        idByName.set(key, id);
      }
      mem().writeU32(rpId, id);
      return WasmResult.Ok;
    },
    proxy_increment_metric(id: number, delta: bigint): number {
      const m = metric(id);
      if (m.type === "histogram") throw new AbiMisuse(WasmResult.BadArgument, `cannot increment histogram ${m.name}`);
      if (m.type === "counter" && delta <= 0n) throw new AbiMisuse(WasmResult.BadArgument, `counter ${m.name} delta must be > 0`);
      m.value += delta;
      return WasmResult.Ok;
    },
    proxy_record_metric(id: number, value: bigint): number {
      const m = metric(id);
      if (m.histogram) m.histogram.record(Number(BigInt.asUintN(64, value)));
      else m.value = m.type === "counter" ? m.value + BigInt.asUintN(64, value) : BigInt.asUintN(64, value);
      return WasmResult.Ok;
    },
    proxy_get_metric(id: number, rp: number): number {
      const m = metric(id);
      if (m.type === "histogram") throw new AbiMisuse(WasmResult.BadArgument, `cannot read histogram ${m.name}`);
      mem().writeU64(rp, m.value);
      return WasmResult.Ok;
    },
    proxy_get_shared_data(kPtr: number, kLen: number, rpPtr: number, rpSize: number, rpCas: number): number {
      const entry = shared.get(mem().readString(kPtr, kLen));
      if (!entry) return WasmResult.NotFound;
      mem().returnBytes(entry.value, rpPtr, rpSize);
      mem().writeU32(rpCas, entry.cas);
      return WasmResult.Ok;
    },
    proxy_set_shared_data(kPtr: number, kLen: number, vPtr: number, vLen: number, cas: number): number {
      const key = mem().readString(kPtr, kLen);
      const value = mem().read(vPtr, vLen);
      const entry = shared.get(key);
      if (cas !== 0 && entry && entry.cas !== cas >>> 0) return WasmResult.CasMismatch;
      shared.set(key, { value, cas: nextCas++ });
      return WasmResult.Ok;
    },
    proxy_register_shared_queue: unimplemented("proxy_register_shared_queue"),
    proxy_resolve_shared_queue: unimplemented("proxy_resolve_shared_queue"),
    proxy_enqueue_shared_queue: unimplemented("proxy_enqueue_shared_queue"),
    proxy_dequeue_shared_queue: unimplemented("proxy_dequeue_shared_queue"),
    proxy_grpc_call: unimplemented("proxy_grpc_call"),
    proxy_grpc_stream: unimplemented("proxy_grpc_stream"),
    proxy_grpc_send: unimplemented("proxy_grpc_send"),
    proxy_grpc_cancel: unimplemented("proxy_grpc_cancel"),
    proxy_grpc_close: unimplemented("proxy_grpc_close"),
  };
}
