// A deliberately thin proxy-wasm host for benchmarks only: it answers the imports our filters use
// with the least work JS allows (pre-encoded header/property bytes, no tracing, no ABI checks),
// so a per-request timing measures the filter's own work plus host-call costs closer to Envoy's
// C++ host than control/wasmhost (which validates and traces every call, ~3 us per import).
// Correctness is tested with control/wasmhost; this host only drives already-tested modules.

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface ThinRequest {
  /** Pre-encoded (encoding per request would dominate the timing: TextEncoder ~1 us a call here). */
  headers: Map<string, Uint8Array[]>;
  count: number;
  /** NUL-joined property path -> value bytes (ints: 8 bytes LE; bools: 1 byte). */
  properties: Map<string, Uint8Array>;
}

export class ThinHost {
  private exports!: Record<string, (...a: number[]) => number>;
  private memory!: WebAssembly.Memory;
  private buffers = new Map<number, Uint8Array>();
  /** The stream's header maps by map type (request 0, response 2; an http_call's answer is
   * served as the response map): the caller's (never modified), plus the filter's changes to
   * them (null = removed). Envoy does not copy header maps per filter, so neither does this host. */
  private headers: Map<string, Uint8Array[]>[] = [new Map(), new Map(), new Map()];
  private headerChanges: (Map<string, Uint8Array[] | null> | null)[] = [null, null, null];
  /** Metric values by id (proxy_define_metric hands out ids in order). */
  private metrics: bigint[] = [];
  private metricIds = new Map<string, number>();
  private props = new Map<string, Uint8Array>();
  private nextId = 2;
  private callToken = 0;
  private keyCache = new Map<number, string>();
  /** Header values the filter writes, copied here and reset per request, as Envoy copies them
   * into its header map: a fresh copy (Uint8Array#slice) of a value over 64 bytes, such as the
   * ~150-byte x-envoy-peer-metadata, is an off-heap ArrayBuffer in V8, ~430 ns plus its
   * collection, where Envoy's copy is a memcpy. */
  private arena = new Uint8Array(16 * 1024);
  private arenaUsed = 0;
  localReplies = 0;
  /** proxy_* imports called so far (counted only when loaded with countCalls). */
  hostCalls = 0;

  /** `nodeProperties`: the attributes the plugin reads while it is configured (xds.node...). */
  static async load(module: WebAssembly.Module, pluginConfig: string, configBody: string, countCalls = false, nodeProperties?: Map<string, Uint8Array>): Promise<ThinHost> {
    const h = new ThinHost();
    if (nodeProperties) h.props = nodeProperties;
    const inst = await WebAssembly.instantiate(module, h.imports(module, countCalls));
    h.exports = inst.exports as never;
    h.memory = inst.exports.memory as WebAssembly.Memory;
    h.exports._start();
    h.exports.proxy_on_context_create(1, 0);
    h.exports.proxy_on_vm_start(1, 0);
    const cfg = enc.encode(pluginConfig);
    h.buffers.set(7, cfg);
    if (!h.exports.proxy_on_configure(1, cfg.length)) throw new Error("configure failed");
    h.buffers.delete(7);
    if (h.callToken && h.exports.proxy_on_http_call_response) {
      const body = enc.encode(configBody);
      h.buffers.set(4, body);
      h.useHeaders(2, new Map([[":status", [enc.encode("200")]], ["etag", [enc.encode('"bench"')]]]));
      h.exports.proxy_on_http_call_response(1, h.callToken, 2, body.length, 0);
      h.buffers.delete(4);
    }
    return h;
  }

  /** request headers, response headers, log, done, delete; returns the request-headers action. */
  request(req: ThinRequest, responseHeaders: Map<string, Uint8Array[]>): number {
    const id = this.nextId++;
    const e = this.exports;
    this.arenaUsed = 0;
    this.useHeaders(0, req.headers);
    this.props = req.properties;
    e.proxy_on_context_create(id, 1);
    const action = e.proxy_on_request_headers(id, req.count, 1);
    this.useHeaders(2, responseHeaders);
    if (e.proxy_on_response_headers) e.proxy_on_response_headers(id, responseHeaders.size, 1);
    if (e.proxy_on_log) e.proxy_on_log(id);
    e.proxy_on_done(id);
    if (e.proxy_on_delete) e.proxy_on_delete(id);
    return action;
  }

  /** The value of metric `name` (as the filter defined it). */
  metric(name: string): bigint | undefined {
    const id = this.metricIds.get(name);
    return id === undefined ? undefined : this.metrics[id];
  }

  get metricCount(): number {
    return this.metricIds.size;
  }

  private useHeaders(type: number, headers: Map<string, Uint8Array[]>): void {
    this.headers[type] = headers;
    this.headerChanges[type] = null;
  }

  /** Map types 6/7 (an http_call's answer) are served from the response slot. */
  private slot(type: number): number {
    return type === 0 || type === 1 ? 0 : 2;
  }

  private header(type: number, name: string): Uint8Array[] | undefined {
    const t = this.slot(type);
    const changed = this.headerChanges[t]?.get(name);
    return changed === undefined ? this.headers[t].get(name) : (changed ?? undefined);
  }

  private setHeader(type: number, name: string, values: Uint8Array[] | null): void {
    const t = this.slot(type);
    (this.headerChanges[t] ??= new Map()).set(name, values);
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(8));

  /** Views over guest memory, rebuilt only when memory grew: growing detaches the old buffer,
   * leaving views over it with length 0 (cheaper to test than reading memory.buffer each time). */
  private u8(): Uint8Array {
    if (this.bytes.length === 0) {
      const b = this.memory.buffer;
      this.bytes = new Uint8Array(b);
      this.view = new DataView(b);
    }
    return this.bytes;
  }

  private dv(): DataView {
    this.u8();
    return this.view;
  }

  private str(ptr: number, len: number): string {
    // header names/paths come from the filter's constant buffers: cache by address
    const key = ptr * 65536 + len;
    let s = this.keyCache.get(key);
    if (s === undefined) {
      s = dec.decode(this.u8().subarray(ptr, ptr + len));
      if (this.keyCache.size < 4096) this.keyCache.set(key, s);
    }
    return s;
  }

  /** Guest bytes the host keeps for the rest of the request (see arena). */
  private copy(ptr: number, len: number): Uint8Array {
    const src = this.u8().subarray(ptr, ptr + len);
    if (this.arenaUsed + len > this.arena.length) return src.slice();
    const out = this.arena.subarray(this.arenaUsed, this.arenaUsed + len);
    out.set(src);
    this.arenaUsed += len;
    return out;
  }

  private give(bytes: Uint8Array, rpPtr: number, rpSize: number): void {
    const ptr = bytes.length === 0 ? 0 : this.exports.malloc(bytes.length) >>> 0;
    if (bytes.length) this.u8().set(bytes, ptr);
    const view = this.dv();
    view.setUint32(rpPtr, ptr, true);
    view.setUint32(rpSize, bytes.length, true);
  }

  private imports(module: WebAssembly.Module, countCalls: boolean): WebAssembly.Imports {
    const env: Record<string, (...a: never[]) => number> = {
      proxy_log: () => 0,
      proxy_set_tick_period_milliseconds: () => 0,
      proxy_get_current_time_nanoseconds: (rp: number) => (this.dv().setBigUint64(rp, 1_700_000_000_000_000_000n, true), 0),
      proxy_get_buffer_bytes: (type: number, start: number, max: number, rpPtr: number, rpSize: number) => {
        const b = this.buffers.get(type);
        if (!b) return 1;
        this.give(b.subarray(start, Math.min(b.length, start + (max >>> 0))), rpPtr, rpSize);
        return 0;
      },
      proxy_get_header_map_value: (t: number, kPtr: number, kLen: number, rpPtr: number, rpSize: number) => {
        const v = this.header(t, this.str(kPtr, kLen));
        if (!v) return 1;
        this.give(v[0], rpPtr, rpSize);
        return 0;
      },
      proxy_add_header_map_value: (t: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => {
        const k = this.str(kPtr, kLen);
        const v = this.copy(vPtr, vLen);
        const list = this.header(t, k);
        this.setHeader(t, k, list ? [...list, v] : [v]);
        return 0;
      },
      proxy_replace_header_map_value: (t: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => (this.setHeader(t, this.str(kPtr, kLen), [this.copy(vPtr, vLen)]), 0),
      proxy_remove_header_map_value: (t: number, kPtr: number, kLen: number) => {
        const k = this.str(kPtr, kLen);
        if (this.header(t, k)) this.setHeader(t, k, null);
        return 0;
      },
      proxy_define_metric: (_type: number, nPtr: number, nLen: number, rpId: number) => {
        const name = dec.decode(this.u8().subarray(nPtr, nPtr + nLen));
        let id = this.metricIds.get(name);
        if (id === undefined) {
          id = this.metrics.push(0n) - 1;
          this.metricIds.set(name, id);
        }
        this.dv().setUint32(rpId, id, true);
        return 0;
      },
      proxy_increment_metric: (id: number, delta: bigint) => ((this.metrics[id] += delta), 0),
      proxy_record_metric: (id: number, value: bigint) => ((this.metrics[id] += value), 0),
      proxy_get_property: (pPtr: number, pLen: number, rpPtr: number, rpSize: number) => {
        const v = this.props.get(this.str(pPtr, pLen));
        if (!v) return 1;
        this.give(v, rpPtr, rpSize);
        return 0;
      },
      proxy_send_local_response: () => (this.localReplies++, 0),
      proxy_http_call: (_a: number, _b: number, _c: number, _d: number, _e: number, _f: number, _g: number, _h: number, _i: number, rpToken: number) => {
        this.callToken = 7;
        this.dv().setUint32(rpToken, 7, true);
        return 0;
      },
      proxy_call_foreign_function: (_n: number, _nl: number, _a: number, _al: number, rpPtr: number, rpSize: number) => (this.give(new Uint8Array(0), rpPtr, rpSize), 0),
      proxy_set_effective_context: () => 0,
      proxy_continue_stream: () => 0,
    };
    const wasi: Record<string, (...a: never[]) => number> = {
      fd_write: () => 0,
      proc_exit: () => {
        throw new Error("proc_exit");
      },
      random_get: (ptr: number, len: number) => (crypto.getRandomValues(new Uint8Array(this.memory.buffer, ptr, len)), 0),
      clock_time_get: (_id: number, _p: bigint, rp: number) => (this.dv().setBigUint64(rp, 0n, true), 0),
    };
    const out: Record<string, Record<string, unknown>> = { env: {}, wasi_snapshot_preview1: {} };
    for (const imp of WebAssembly.Module.imports(module)) {
      const table = imp.module === "env" ? env : wasi;
      const fn = table[imp.name] ?? (() => 12);
      out[imp.module] ??= {};
      out[imp.module][imp.name] = countCalls && imp.module === "env" ? (...args: never[]) => (this.hostCalls++, fn(...args)) : fn;
    }
    return out as WebAssembly.Imports;
  }
}

export function thinRequest(headers: [string, string][], properties: Map<string, Uint8Array>): ThinRequest {
  const map = new Map<string, Uint8Array[]>();
  for (const [k, v] of headers) map.set(k, [...(map.get(k) ?? []), enc.encode(v)]);
  return { headers: map, count: headers.length, properties };
}

/** Property bytes as Envoy serializes them. */
export function thinProperties(props: { port?: number; mtls?: boolean; principal?: string; address?: string }): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  if (props.port !== undefined) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(props.port), true);
    m.set("destination\0port", b);
  }
  m.set("connection\0mtls", Uint8Array.of(props.mtls ? 1 : 0));
  if (props.principal) m.set("connection\0uri_san_peer_certificate", enc.encode(props.principal));
  if (props.address) m.set("source\0address", enc.encode(props.address));
  return m;
}
