// The full import object: env (proxy_* ABI 0.2.1) + wasi_snapshot_preview1, every function
// guarded so ABI misuse returns Envoy's error code and is recorded as a violation.
import { ENVOY_PROXY_IMPORTS } from "./abi.ts";
import { bufferImports } from "./buffer-imports.ts";
import type { Callouts } from "./callouts.ts";
import { guardImports, type ImportFn } from "./guard.ts";
import { mapImports } from "./map-imports.ts";
import { propertyImports } from "./property-imports.ts";
import { streamImports } from "./stream-imports.ts";
import { type Metric, systemImports } from "./system-imports.ts";
import type { HostEnv, VmCore } from "./vm.ts";
import { wasiImports, type WasiEnv } from "./wasi.ts";

const WASI_EFAULT = 21;

export function buildImports(vm: VmCore, env: HostEnv, wasi: WasiEnv, callouts: Callouts, metrics: Map<number, Metric>): WebAssembly.Imports {
  const proxy: Record<string, ImportFn> = {
    ...systemImports(vm, env, metrics),
    ...mapImports(vm),
    ...bufferImports(vm),
    ...propertyImports(vm, env),
    ...streamImports(vm),
    ...callouts.imports(),
  };
  const missing = ENVOY_PROXY_IMPORTS.filter((name) => !proxy[name]);
  if (missing.length > 0) throw new Error(`wasmhost does not implement ${missing.join(", ")}`);
  const wasiFns = guardImports(vm, wasiImports(wasi), () => WASI_EFAULT);
  return {
    env: guardImports(vm, proxy),
    wasi_snapshot_preview1: wasiFns,
    wasi_unstable: wasiFns,
  };
}
