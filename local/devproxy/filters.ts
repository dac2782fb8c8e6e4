// One proxy-wasm filter (the real build/router.wasm or build/authz.wasm) run by the project's
// proxy-wasm host the way Envoy runs it: plugin configuration with the control plane's cluster,
// path and token; proxy_http_call answered by a real HTTPS request to the control plane; ticks on
// the wall clock (the filter asks for its period: its poll interval, or 10 ms while a fault delay
// is pending); paused streams resumed when the filter continues them.
import { readFileSync } from "node:fs";
import { type HttpCallRequest, type HttpCallResult, type PhaseResult, ProxyWasmHost, type Stream, type PropertyTree } from "../../control/wasmhost/index.ts";
import type { ControlPlane } from "./control-plane.ts";

export const CONTROL_PLANE_CLUSTER = "mesh-control-plane";

export type FilterName = "router" | "authz" | "stats";

const WasmModule = (WebAssembly as unknown as { Module: new (bytes: Uint8Array) => WebAssembly.Module }).Module;
const modules = new Map<string, WebAssembly.Module>();

/** Compiles a built filter once per process. */
export function filterModule(path: string): WebAssembly.Module {
  let m = modules.get(path);
  if (!m) {
    m = new WasmModule(readFileSync(path));
    modules.set(path, m);
  }
  return m;
}

export interface FilterOptions {
  name: FilterName;
  wasmPath: string;
  cp: ControlPlane;
  /** `/mesh/v1/proxy/<ns>/<workload>/filter-config` */
  configPath: string;
  pollMs: number;
  /** Host-wide attributes (node metadata, listener direction). */
  properties?: PropertyTree;
  /** The plugin configuration, when it is not the config channel's (the stats filter's). */
  pluginConfig?: string;
  /** Envoy's root_id (default: the filter's name). */
  rootId?: string;
  log?: (line: string) => void;
}

export class RunningFilter {
  /** FilterConfig version the filter applied (-1 before the first). */
  version = -1;
  lastWarning: string | undefined;
  private logCursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly paused = new Map<Stream, () => void>();

  private constructor(
    readonly name: FilterName,
    readonly host: ProxyWasmHost,
    private readonly log: (line: string) => void,
  ) {}

  static async start(o: FilterOptions): Promise<RunningFilter> {
    const log = o.log ?? (() => undefined);
    let filter: RunningFilter | undefined;
    const onHttpCall = async (req: HttpCallRequest): Promise<HttpCallResult> => {
      const result = await controlPlaneCall(o.cp, req);
      // Deliver the answer now rather than at the next tick (Envoy answers as soon as it arrives).
      queueMicrotask(() => void filter?.settle());
      return result;
    };
    const host = await ProxyWasmHost.load(filterModule(o.wasmPath), {
      pluginConfig:
        o.pluginConfig ??
        JSON.stringify({ cluster: CONTROL_PLANE_CLUSTER, authority: o.cp.authority, path: o.configPath, token: o.cp.options.token, pollMs: o.pollMs, failOpen: false }),
      onHttpCall,
      clusters: [CONTROL_PLANE_CLUSTER],
      properties: o.properties,
      rootId: o.rootId ?? o.name,
      pluginName: `edge-mesh.${o.name}`,
      vmId: `edge-mesh.${o.name}`,
      now: Date.now(),
      trace: false,
      strict: false,
    });
    if (host.failure) throw new Error(`${o.name}.wasm failed to start: ${host.failure.message}`);
    filter = new RunningFilter(o.name, host, log);
    filter.scheduleTick();
    return filter;
  }

  /** Advances the host's clock to the wall clock: fires the ticks that are due, then resumes the
   * streams the filter continued. */
  private async catchUp(): Promise<void> {
    const elapsed = Date.now() - this.host.now;
    if (elapsed > 0) await this.host.tick(elapsed);
    this.afterCallbacks();
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    const period = this.host.tickPeriodMs > 0 ? this.host.tickPeriodMs : 1000;
    this.timer = setTimeout(() => {
      this.catchUp()
        .catch((err: unknown) => this.log(`${this.name}: tick failed: ${String(err)}`))
        .finally(() => this.scheduleTick());
    }, Math.max(5, Math.min(period, 1000)));
  }

  async settle(): Promise<void> {
    await this.host.settle();
    this.afterCallbacks();
  }

  /** Reads new log lines (config applied / kept), resumes continued streams. */
  private afterCallbacks(): void {
    const logs = this.host.logs;
    if (this.logCursor > logs.length) this.logCursor = 0; // the host keeps a bounded window
    for (; this.logCursor < logs.length; this.logCursor++) {
      const { level, message } = logs[this.logCursor];
      const applied = /^mesh config applied, etag "?(\d+)"?/.exec(message);
      if (applied) this.version = Math.max(this.version, Number(applied[1]));
      if (level === "warn" || level === "error" || level === "critical") {
        this.lastWarning = message;
        this.log(`${this.name}: ${message}`);
      }
    }
    for (const [stream, resume] of this.paused) {
      if (!stream.paused || stream.localReply || stream.reset) {
        this.paused.delete(stream);
        resume();
      }
    }
  }

  /** Runs one callback; a paused stream resolves once the filter continues it (or replies). */
  async run(stream: Stream, phase: (s: Stream) => PhaseResult): Promise<PhaseResult> {
    const result = phase(stream);
    this.afterCallbacks();
    if (result.action !== "pause") return result;
    await new Promise<void>((resolve) => this.paused.set(stream, resolve));
    if (stream.localReply) return { action: "reply", code: result.code, localReply: stream.localReply };
    return { action: "continue", code: result.code };
  }

  /** Drops a stream that ended while paused (client went away). */
  forget(stream: Stream): void {
    this.paused.delete(stream);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const resume of this.paused.values()) resume();
    this.paused.clear();
  }
}

/** Answers a filter's proxy_http_call with a real request to the control plane. */
async function controlPlaneCall(cp: ControlPlane, req: HttpCallRequest): Promise<HttpCallResult> {
  if (req.cluster !== CONTROL_PLANE_CLUSTER) return { failure: "reset" };
  const headers: Record<string, string> = {};
  let method = "GET";
  let path = "/";
  for (const [k, v] of req.headers) {
    if (k === ":method") method = v;
    else if (k === ":path") path = v;
    else if (!k.startsWith(":")) headers[k] = v;
  }
  try {
    const res = await cp.request(path, {
      method,
      headers,
      body: req.body.length > 0 ? Buffer.from(req.body).toString("utf8") : undefined,
      timeoutMs: req.timeoutMs > 0 ? req.timeoutMs : 5000,
    });
    return { status: res.status, headers: Object.entries(res.headers).filter(([k]) => k === "etag" || k === "content-type"), body: res.body };
  } catch (err) {
    return { failure: /timed out/.test(String(err)) ? "timeout" : "reset" };
  }
}
