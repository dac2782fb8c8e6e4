// ProxyWasmHost: loads a proxy-wasm module and drives it as Envoy does (ABI 0.2.1).
// Runs in Node and in a Worker: plain WebAssembly, TextEncoder/Decoder and crypto only.
//
//   const host = await ProxyWasmHost.load(module, { pluginConfig, onHttpCall, now });
//   await host.settle();                       // deliver the config poll's answer
//   const s = host.newStream({ properties });
//   const r = s.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "a" });
//   s.done();
import { LOG_LEVELS, type LogLevelName, unsupportedImports, WasmLoadError } from "./abi.ts";
import { Callouts, type HttpCallHandler, type HttpCallRequest } from "./callouts.ts";
import { HostContext } from "./context.ts";
import { buildImports } from "./imports.ts";
import { encodeUtf8, GuestMemory } from "./memory.ts";
import type { PropertyTree } from "./properties.ts";
import { mergeProperties } from "./properties.ts";
import { Stream, type StreamOptions } from "./stream.ts";
import type { Metric } from "./system-imports.ts";
import { type AbiViolation, type ForeignFunction, type HostEnv, type LogEntry, VmCore, type VmFailure } from "./vm.ts";

export interface HostOptions {
  /** Envoy `configuration` (buffer 7, read in proxy_on_configure). */
  pluginConfig?: string | Uint8Array;
  /** Envoy `vm_config.configuration` (buffer 6, read in proxy_on_vm_start). */
  vmConfig?: string | Uint8Array;
  /** Host-wide attributes (xds.node..., listener_direction...). plugin_name/plugin_root_id/
   * plugin_vm_id default from pluginName/rootId/vmId. */
  properties?: PropertyTree;
  pluginName?: string;
  rootId?: string;
  vmId?: string;
  /** Start of the virtual clock, ms since the epoch (default Date.now()). Only tick() moves it. */
  now?: number;
  /** Fills bytes for WASI random_get (default crypto.getRandomValues). */
  random?: (bytes: Uint8Array) => void;
  /** Answers proxy_http_call. Without it every http_call fails with BadArgument (no cluster). */
  onHttpCall?: HttpCallHandler;
  /** Known upstream clusters; an http_call to another one gets BadArgument, as in Envoy. */
  clusters?: string[];
  /** Foreign functions; default: clear_route_cache (no-op, traced). */
  foreignFunctions?: Record<string, ForeignFunction>;
  /** Envoy's plugin fail_open: a failed VM skips the filter instead of 503 wasm_fail_stream. */
  failOpen?: boolean;
  /** Default true: ABI misuse throws AbiViolationError from the driving call. */
  strict?: boolean;
  /** Default true: record per-context trace events (turn off for benchmarks). */
  trace?: boolean;
  /** Lowest log level kept (default "info"); also what proxy_get_log_level answers. */
  logLevel?: LogLevelName;
  /** WASI environment variables (Envoy vm_config.environment_variables). */
  environment?: Record<string, string>;
}

const ROOT_ID = 1;

export class ProxyWasmHost {
  private readonly vm: VmCore;
  private readonly callouts: Callouts;
  private readonly metricsById = new Map<number, Metric>();
  private clockMs: number;
  private tickPeriod = 0;
  private nextTickAt = 0;
  private nextContextId = ROOT_ID + 1;
  private rootDonePending = false;
  readonly failOpen: boolean;
  readonly rootId = ROOT_ID;
  private readonly tracing: boolean;

  private constructor(private readonly options: HostOptions) {
    this.clockMs = options.now ?? Date.now();
    this.failOpen = options.failOpen ?? false;
    this.tracing = options.trace ?? true;
    this.vm = new VmCore(new HostContext(ROOT_ID, "root", this.tracing), options.strict ?? true);
    this.vm.contexts.set(ROOT_ID, this.vm.root);
    this.callouts = new Callouts(this.vm, this.vm.root, options.onHttpCall, options.clusters, () => this.clockMs);
  }

  /** Links, starts and configures a compiled module (Workers cannot compile at run time:
   * import the .wasm; in Node use `new WebAssembly.Module(bytes)`). A module Envoy would refuse
   * (no ABI 0.2.1 export, an import Envoy lacks, no malloc/memory) throws WasmLoadError; a VM
   * that traps or returns false while starting loads but is failed (see `failure`). */
  static async load(compiled: WebAssembly.Module, options: HostOptions = {}): Promise<ProxyWasmHost> {
    const exportNames = new Set(WebAssembly.Module.exports(compiled).map((e) => e.name));
    if (!exportNames.has("proxy_abi_version_0_2_1")) {
      throw new WasmLoadError("module does not export proxy_abi_version_0_2_1 (only ABI 0.2.1 is emulated)");
    }
    const unsupported = unsupportedImports(compiled);
    if (unsupported.length > 0) throw new WasmLoadError(`Envoy would refuse this module: missing imports ${unsupported.join(", ")}`);
    const host = new ProxyWasmHost(options);
    await host.instantiate(compiled);
    host.start();
    return host;
  }

  private async instantiate(module: WebAssembly.Module): Promise<void> {
    const vm = this.vm;
    const start = this.clockMs;
    const env: HostEnv = {
      nowMs: () => this.clockMs,
      setTickPeriod: (ms) => {
        this.tickPeriod = ms;
        this.nextTickAt = this.clockMs + ms;
      },
      logLevel: LOG_LEVELS.indexOf(this.options.logLevel ?? "info"),
      hostProperties: mergeProperties(
        { plugin_name: this.options.pluginName ?? "", plugin_root_id: this.options.rootId ?? "", plugin_vm_id: this.options.vmId ?? "" },
        this.options.properties,
      ),
      foreignFunctions: { clear_route_cache: () => undefined, ...this.options.foreignFunctions },
      done: () => {
        if (!this.rootDonePending) return 1; // NOT_FOUND
        this.rootDonePending = false;
        vm.defer(() => vm.call(vm.root, "proxy_on_delete", [ROOT_ID]));
        return 0;
      },
    };
    const random = this.options.random ?? ((b: Uint8Array) => void crypto.getRandomValues(b));
    const wasi = {
      memory: () => vm.memory,
      write: (stream: "stdout" | "stderr", text: string) => {
        vm.log(stream === "stdout" ? "info" : "error", text, vm.active.id, stream);
        vm.active.record({ kind: "log", level: stream === "stdout" ? "info" : "error", message: text });
      },
      nowNs: () => BigInt(Math.round(this.clockMs * 1e6)),
      monotonicNs: () => BigInt(Math.round((this.clockMs - start) * 1e6)),
      random,
      environment: this.options.environment ?? {},
    };
    const instance = await WebAssembly.instantiate(module, buildImports(vm, env, wasi, this.callouts, this.metricsById));
    vm.exports = instance.exports as Record<string, unknown>;
    const memory = instance.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new WasmLoadError("module does not export its memory");
    const malloc = vm.fn("malloc") ?? vm.fn("proxy_on_memory_allocate");
    if (!malloc) throw new WasmLoadError("module exports neither malloc nor proxy_on_memory_allocate");
    vm.memory = new GuestMemory(memory, (size) => Number(malloc(size)));
  }

  /** Envoy's start sequence: _initialize (+main) or _start in the VM context (id 0), then
   * proxy_on_context_create(root, 0), proxy_on_vm_start, proxy_on_configure. */
  private start(): void {
    const vm = this.vm;
    const vmContext = new HostContext(0, "root", this.tracing);
    if (vm.fn("_initialize")) {
      vm.call(vmContext, "_initialize", []);
      if (vm.fn("main")) vm.call(vmContext, "main", [0, 0]);
      else if (vm.fn("__main_void")) vm.call(vmContext, "__main_void", []);
    } else {
      vm.call(vmContext, "_start", []);
    }
    const root = vm.root;
    vm.call(root, "proxy_on_context_create", [ROOT_ID, 0]);
    const toBytes = (v: string | Uint8Array | undefined) => (typeof v === "string" ? encodeUtf8(v) : (v ?? new Uint8Array(0)));
    const vmConfig = toBytes(this.options.vmConfig);
    const pluginConfig = toBytes(this.options.pluginConfig);
    const started = vm.call(root, "proxy_on_vm_start", [ROOT_ID, vmConfig.length], { buffers: new Map([[6, vmConfig]]) });
    if (started === 0 && !vm.failure) this.failWith("proxy_on_vm_start", "proxy_on_vm_start returned false");
    const configured = vm.call(root, "proxy_on_configure", [ROOT_ID, pluginConfig.length], { buffers: new Map([[7, pluginConfig]]) });
    if (configured === 0 && !vm.failure) this.failWith("proxy_on_configure", "proxy_on_configure returned false");
  }

  private failWith(during: string, message: string): void {
    this.vm.failure = { during, contextId: ROOT_ID, message, error: undefined };
    this.vm.log("critical", `plugin failed: ${message}`, ROOT_ID, "host");
  }

  /** A new HTTP stream (context id allocated now; created in the VM at its first callback). */
  newStream(options: StreamOptions = {}): Stream {
    return new Stream(this.vm, this, this.nextContextId++, options, this.tracing);
  }

  /** Advances the virtual clock by `ms`, firing proxy_on_tick each period that elapses and (unless
   * `settle: false`, to keep a slow answer in flight across ticks) delivering callout answers
   * after each tick. */
  async tick(ms: number, options: { settle?: boolean } = {}): Promise<void> {
    const settle = options.settle ?? true;
    const target = this.clockMs + ms;
    while (this.tickPeriod > 0 && this.nextTickAt <= target && !this.vm.failure) {
      this.clockMs = this.nextTickAt;
      this.nextTickAt = this.clockMs + this.tickPeriod;
      this.vm.call(this.vm.root, "proxy_on_tick", [ROOT_ID]);
      if (settle) await this.settle();
    }
    this.clockMs = target;
    if (settle) await this.settle();
  }

  /** Delivers the answers of every http_call in flight (and of calls those answers start). */
  settle(): Promise<void> {
    return this.callouts.settle();
  }

  /** Shutdown: proxy_on_done(root); proxy_on_delete now, or after the plugin calls proxy_done. */
  close(): void {
    const vm = this.vm;
    if (vm.failure) return;
    const done = vm.call(vm.root, "proxy_on_done", [ROOT_ID]);
    if (done === 0) this.rootDonePending = true;
    else vm.call(vm.root, "proxy_on_delete", [ROOT_ID]);
  }

  /** The VM's failure (trap, proc_exit, start/configure returned false), if any. */
  get failure(): VmFailure | undefined {
    return this.vm.failure;
  }

  get logs(): readonly LogEntry[] {
    return this.vm.logs;
  }

  /** Every ABI misuse seen (in strict mode each one also threw). */
  get violations(): readonly AbiViolation[] {
    return this.vm.violations;
  }

  /** The root context (its trace holds ticks, callouts and config logs). */
  get root(): HostContext {
    return this.vm.root;
  }

  /** Every http_call the filter made. */
  get httpCalls(): readonly HttpCallRequest[] {
    return this.callouts.history;
  }

  get pendingHttpCalls(): number {
    return this.callouts.pending;
  }

  /** Virtual time, ms since the epoch. */
  get now(): number {
    return this.clockMs;
  }

  /** The period the plugin asked for with proxy_set_tick_period_milliseconds (0 = none). */
  get tickPeriodMs(): number {
    return this.tickPeriod;
  }

  /** Guest linear memory size in bytes. */
  get memoryBytes(): number {
    return this.vm.memory.byteLength;
  }

  /** Every metric the filter defined, histograms with their buckets (what /stats reads). */
  metrics(): readonly Metric[] {
    return [...this.metricsById.values()];
  }
}
