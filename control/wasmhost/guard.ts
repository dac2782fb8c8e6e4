// Wraps import implementations: an AbiMisuse becomes the WasmResult Envoy would return plus a
// recorded violation; anything else (trap, proc_exit, host bug) propagates and kills the VM.
import { AbiMisuse } from "./abi.ts";
import type { VmCore } from "./vm.ts";

// Import implementations take wasm numbers (i32 as number, i64 as bigint).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ImportFn = (...args: any[]) => number | void;

/** The wrapper passes parameters on one by one: a rest/spread wrapper would allocate an
 * arguments array on every import call. No implementation declares more than 10 (proxy_http_call);
 * one that did would get the rest/spread wrapper. */
export function guardImports(vm: VmCore, fns: Record<string, ImportFn>, misuseResult?: (m: AbiMisuse) => number): Record<string, ImportFn> {
  const out: Record<string, ImportFn> = {};
  for (const [name, fn] of Object.entries(fns)) {
    const misuse = (e: unknown): number => {
      if (!(e instanceof AbiMisuse)) throw e;
      const code = vm.violation(name, e);
      return misuseResult ? misuseResult(e) : code;
    };
    out[name] =
      fn.length <= 10
        ? (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown, i: unknown, j: unknown) => {
            try {
              return fn(a, b, c, d, e, f, g, h, i, j);
            } catch (err) {
              return misuse(err);
            }
          }
        : (...args: unknown[]) => {
            try {
              return fn(...args);
            } catch (err) {
              return misuse(err);
            }
          };
  }
  return out;
}

/** An import the emulator does not model: Unimplemented, recorded as a violation. */
export function unimplemented(what: string): ImportFn {
  return () => {
    throw new AbiMisuse(12, `${what} is not emulated by this host`);
  };
}
