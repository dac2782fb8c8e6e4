// The wasi_snapshot_preview1 functions Envoy provides, enough for AssemblyScript + wasi-shim:
// stdout/stderr go to the log, proc_exit is fatal, clock and random come from the host.
import { ENVOY_WASI_IMPORTS, ProcExit } from "./abi.ts";
import type { ImportFn } from "./guard.ts";
import { encodeUtf8, type GuestMemory } from "./memory.ts";

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;

export interface WasiEnv {
  memory(): GuestMemory;
  /** fd 1 -> "stdout", fd 2 -> "stderr". */
  write(stream: "stdout" | "stderr", text: string): void;
  nowNs(): bigint;
  monotonicNs(): bigint;
  random(bytes: Uint8Array): void;
  environment: Record<string, string>;
}

export function wasiImports(env: WasiEnv): Record<string, ImportFn> {
  const decoder = new TextDecoder();
  const envEntries = () => Object.entries(env.environment).map(([k, v]) => encodeUtf8(`${k}=${v}\0`));
  const fns: Record<string, ImportFn> = {
    fd_write(fd: number, iovs: number, iovsLen: number, rpWritten: number): number {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const mem = env.memory();
      let text = "";
      let total = 0;
      for (let i = 0; i < iovsLen >>> 0; i++) {
        const buf = mem.readU32(iovs + 8 * i);
        const len = mem.readU32(iovs + 8 * i + 4);
        text += decoder.decode(mem.read(buf, len), { stream: true });
        total += len;
      }
      text += decoder.decode();
      env.write(fd === 1 ? "stdout" : "stderr", text.endsWith("\n") ? text.slice(0, -1) : text);
      mem.writeU32(rpWritten, total);
      return ERRNO_SUCCESS;
    },
    proc_exit(code: number): never {
      throw new ProcExit(code);
    },
    clock_time_get(id: number, _precision: bigint, rp: number): number {
      if (id === 0) env.memory().writeU64(rp, env.nowNs());
      else if (id === 1) env.memory().writeU64(rp, env.monotonicNs());
      else return ERRNO_INVAL;
      return ERRNO_SUCCESS;
    },
    random_get(ptr: number, len: number): number {
      const bytes = new Uint8Array(len >>> 0);
      for (let off = 0; off < bytes.length; off += 65536) env.random(bytes.subarray(off, off + 65536));
      env.memory().write(ptr, bytes);
      return ERRNO_SUCCESS;
    },
    environ_sizes_get(rpCount: number, rpBytes: number): number {
      const entries = envEntries();
      env.memory().writeU32(rpCount, entries.length);
      env.memory().writeU32(rpBytes, entries.reduce((n, e) => n + e.length, 0));
      return ERRNO_SUCCESS;
    },
    environ_get(rpPtrs: number, buf: number): number {
      let at = buf >>> 0;
      envEntries().forEach((entry, i) => {
        env.memory().writeU32(rpPtrs + 4 * i, at);
        env.memory().write(at, entry);
        at += entry.length;
      });
      return ERRNO_SUCCESS;
    },
    args_sizes_get(rpCount: number, rpBytes: number): number {
      env.memory().writeU32(rpCount, 0);
      env.memory().writeU32(rpBytes, 0);
      return ERRNO_SUCCESS;
    },
    args_get: () => ERRNO_SUCCESS,
    fd_read: () => ERRNO_BADF,
    fd_seek: () => ERRNO_BADF,
    fd_close: () => ERRNO_BADF,
    fd_fdstat_get: () => ERRNO_BADF,
  };
  for (const name of ENVOY_WASI_IMPORTS) if (!fns[name]) fns[name] = () => ERRNO_NOSYS;
  return fns;
}
