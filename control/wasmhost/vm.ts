// The VM core: the instance, the current (effective) context, call-scoped buffers, deferred
// actions, violations, logs and the trap/failure state. Import builders and the lifecycle
// drive the guest only through VmCore.call().
import { AbiMisuse, type LogLevelName, ProcExit } from "./abi.ts";
import { HostContext } from "./context.ts";
import type { HeaderMap } from "./headers.ts";
import type { GuestMemory } from "./memory.ts";
import type { PropertyTree } from "./properties.ts";

export interface AbiViolation {
  call: string;
  code: number;
  message: string;
  contextId: number;
}

export interface LogEntry {
  level: LogLevelName;
  message: string;
  contextId: number;
  via: "proxy_log" | "stdout" | "stderr" | "host";
}

/** Host-level services the import builders need (owned by ProxyWasmHost). */
export interface HostEnv {
  nowMs(): number;
  setTickPeriod(ms: number): void;
  /** Lowest level recorded (and what proxy_get_log_level answers), 0 trace .. 5 critical. */
  logLevel: number;
  hostProperties: PropertyTree;
  foreignFunctions: Record<string, ForeignFunction>;
  /** proxy_done: OK only while the root context's on_done returned false. */
  done(): number;
}

/** An Envoy foreign function (proxy_call_foreign_function). Returns the result bytes. */
export type ForeignFunction = (args: Uint8Array, context: HostContext) => Uint8Array | void;

export interface VmFailure {
  /** The export (or import) that was running. */
  during: string;
  contextId: number;
  message: string;
  error: unknown;
}

/** Maps and buffers that exist only during one callback (plugin config in on_configure,
 * the callout's response in on_http_call_response...). */
export interface CallScope {
  maps?: Map<number, HeaderMap>;
  buffers?: Map<number, Uint8Array>;
}

/** ABI misuse seen in strict mode: thrown from the host method that drove the callback. */
export class AbiViolationError extends Error {
  constructor(readonly violations: AbiViolation[]) {
    super(`proxy-wasm ABI misuse: ${violations.map((v) => `${v.call}: ${v.message}`).join("; ")}`);
    this.name = "AbiViolationError";
  }
}

const NO_SCOPE: CallScope = {};
const MAX_LOGS = 1000;

export class VmCore {
  exports: Record<string, unknown> = {};
  memory!: GuestMemory;
  readonly contexts = new Map<number, HostContext>();
  active: HostContext;
  scope: CallScope = NO_SCOPE;
  /** The export running now ("" between calls). */
  running = "";
  failure: VmFailure | undefined;
  readonly violations: AbiViolation[] = [];
  readonly logs: LogEntry[] = [];
  /** Status for proxy_get_status (set by callout failures). */
  status = { code: 0, message: "" };
  private readonly deferred: (() => void)[] = [];

  constructor(
    readonly root: HostContext,
    readonly strict: boolean,
  ) {
    this.active = root;
  }

  fn(name: string): ((...args: number[]) => unknown) | undefined {
    const f = this.exports[name];
    return typeof f === "function" ? (f as (...args: number[]) => unknown) : undefined;
  }

  /** Runs an export for `ctx`. Returns its i32 result, or undefined when the export is absent,
   * returns nothing, or the VM failed (check `failure`). Deferred actions run afterwards. */
  call(ctx: HostContext, name: string, args: number[], scope: CallScope = NO_SCOPE): number | undefined {
    if (this.failure) return undefined;
    const f = this.fn(name);
    if (!f) return undefined;
    const before = this.violations.length;
    const prevActive = this.active;
    const prevScope = this.scope;
    const prevRunning = this.running;
    this.active = ctx;
    this.scope = scope;
    this.running = name;
    let result: number | undefined;
    try {
      const r = f.apply(undefined, args);
      result = typeof r === "number" ? r : undefined;
    } catch (error) {
      this.fail(name, ctx, error);
    } finally {
      this.active = prevActive;
      this.scope = prevScope;
      this.running = prevRunning;
    }
    if (ctx.tracing) ctx.record({ kind: "callback", name, result });
    if (this.deferred.length > 0) this.runDeferred();
    if (this.strict && this.violations.length > before) throw new AbiViolationError(this.violations.slice(before));
    return result;
  }

  /** Queue work that Envoy does after the current VM call returns. */
  defer(action: () => void): void {
    this.deferred.push(action);
    if (!this.running) this.runDeferred();
  }

  private runDeferred(): void {
    while (this.deferred.length > 0 && !this.running) this.deferred.shift()!();
  }

  /** A trap, proc_exit or host bug: the VM is dead from now on (Envoy: every later request is
   * failed with 503 wasm_fail_stream, or skipped with fail_open). Host bugs are rethrown. */
  fail(during: string, ctx: HostContext, error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.failure = { during, contextId: ctx.id, message, error };
    this.log("critical", `VM failed in ${during}: ${message}`, ctx.id, "host");
    ctx.record({ kind: "trap", during, message });
    if (!(error instanceof WebAssembly.RuntimeError) && !(error instanceof ProcExit)) throw error;
  }

  violation(call: string, misuse: AbiMisuse): number {
    const v: AbiViolation = { call, code: misuse.code, message: misuse.message, contextId: this.active.id };
    this.violations.push(v);
    this.active.record({ kind: "violation", call, code: v.code, message: v.message });
    return misuse.code;
  }

  /** Keeps the last MAX_LOGS entries (a long-lived host must not grow without bound). */
  log(level: LogLevelName, message: string, contextId: number, via: LogEntry["via"]): void {
    if (this.logs.length >= MAX_LOGS) this.logs.splice(0, this.logs.length - MAX_LOGS + 1);
    this.logs.push({ level, message, contextId, via });
  }

  context(id: number): HostContext | undefined {
    return this.contexts.get(id);
  }
}
