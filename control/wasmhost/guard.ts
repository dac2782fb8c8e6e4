// Wraps import implementations: an AbiMisuse becomes the WasmResult Envoy would return plus a
// recorded violation; anything else (trap, proc_exit, host bug) propagates and kills the VM.
import { AbiMisuse } from "./abi.ts";
import type { VmCore } from "./vm.ts";

// Import implementations take wasm numbers (i32 as number, i64 as bigint).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ImportFn = (...args: any[]) => number | void;
type Misuse = (e: unknown) => number;
type A = unknown;

/** A wrapper that declares exactly as many parameters as the implementation: V8 calls a JS
 * import from wasm through a fast wrapper only when the arities match (a mismatch goes through
 * an adapter on every call), and a rest/spread wrapper would allocate an array per call. */
const WRAPPERS: ((fn: ImportFn, misuse: Misuse) => ImportFn)[] = [
  (fn, misuse) => () => { try { return fn(); } catch (err) { return misuse(err); } },
  (fn, misuse) => (a: A) => { try { return fn(a); } catch (err) { return misuse(err); } },
  (fn, misuse) => (a: A, b: A) => { try { return fn(a, b); } catch (err) { return misuse(err); } },
  (fn, misuse) => (a: A, b: A, c: A) => { try { return fn(a, b, c); } catch (err) { return misuse(err); } },
  (fn, misuse) => (a: A, b: A, c: A, d: A) => { try { return fn(a, b, c, d); } catch (err) { return misuse(err); } },
  (fn, misuse) => (a: A, b: A, c: A, d: A, e: A) => { try { return fn(a, b, c, d, e); } catch (err) { return misuse(err); } },
  (fn, misuse) => (a: A, b: A, c: A, d: A, e: A, f: A) => { try { return fn(a, b, c, d, e, f); } catch (err) { return misuse(err); } },
];

export function guardImports(vm: VmCore, fns: Record<string, ImportFn>, misuseResult?: (m: AbiMisuse) => number): Record<string, ImportFn> {
  const out: Record<string, ImportFn> = {};
  for (const [name, fn] of Object.entries(fns)) {
    const misuse = (e: unknown): number => {
      if (!(e instanceof AbiMisuse)) throw e;
      const code = vm.violation(name, e);
      return misuseResult ? misuseResult(e) : code;
    };
    const wrap = WRAPPERS[fn.length];
    out[name] = wrap
      ? wrap(fn, misuse)
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
