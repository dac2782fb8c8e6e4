// proxy_http_call and its reply. Envoy runs the call on the root context, dispatches it after
// the current callback returns and answers later with proxy_on_http_call_response(root, token,
// headers, body_size, trailers) (0/0/0 on reset or timeout, proxy_get_status = 11 + reason).
// Here the caller's onHttpCall answers; answers are delivered when the caller awaits
// host.settle() or host.tick().
import { AbiMisuse, BufferType, MapType, WasmResult } from "./abi.ts";
import type { HostContext } from "./context.ts";
import type { ImportFn } from "./guard.ts";
import { type HeaderInit, HeaderMap } from "./headers.ts";
import { encodeUtf8 } from "./memory.ts";
import { decodePairs, type Pair } from "./pairs.ts";
import type { VmCore } from "./vm.ts";

export interface HttpCallRequest {
  token: number;
  cluster: string;
  headers: Pair[];
  body: Uint8Array;
  trailers: Pair[];
  timeoutMs: number;
  /** The context that issued the call (the root, or a stream). */
  contextId: number;
  /** Virtual time of dispatch, ms. */
  at: number;
}

export type HttpCallResult =
  | { status: number; headers?: HeaderInit; body?: string | Uint8Array; trailers?: HeaderInit }
  | { failure: "reset" | "timeout" };

export type HttpCallHandler = (request: HttpCallRequest) => HttpCallResult | Promise<HttpCallResult>;

const REQUIRED = [":method", ":path", ":authority"];

export class Callouts {
  /** Every call the filter made, in order. */
  readonly history: HttpCallRequest[] = [];
  private readonly inFlight: { request: HttpCallRequest; result: Promise<HttpCallResult> }[] = [];
  private nextToken = 1;

  constructor(
    private readonly vm: VmCore,
    private readonly root: HostContext,
    private readonly handler: HttpCallHandler | undefined,
    private readonly clusters: readonly string[] | undefined,
    private readonly nowMs: () => number,
  ) {}

  get pending(): number {
    return this.inFlight.length;
  }

  imports(): Record<string, ImportFn> {
    const vm = this.vm;
    return {
      proxy_http_call: (cPtr: number, cLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number, tPtr: number, tLen: number, timeoutMs: number, rpToken: number): number => {
        const cluster = vm.memory.readString(cPtr, cLen);
        const headers = decodePairs(vm.memory.read(hPtr, hLen));
        const body = vm.memory.read(bPtr, bLen);
        const trailers = decodePairs(vm.memory.read(tPtr, tLen));
        vm.memory.readU32(rpToken); // the token slot must be valid before anything is sent
        const missing = REQUIRED.filter((name) => !headers.some(([k]) => k === name));
        if (missing.length > 0) throw new AbiMisuse(WasmResult.BadArgument, `http call without ${missing.join(", ")}`);
        if (!this.handler || (this.clusters && !this.clusters.includes(cluster))) return WasmResult.BadArgument; // unknown cluster
        const request: HttpCallRequest = { token: this.nextToken++, cluster, headers, body, trailers, timeoutMs: timeoutMs >>> 0, contextId: vm.active.id, at: this.nowMs() };
        vm.memory.writeU32(rpToken, request.token);
        vm.active.record({ kind: "http-call", token: request.token, cluster, headers });
        this.history.push(request);
        vm.defer(() => this.dispatch(request));
        return WasmResult.Ok;
      },
    };
  }

  private dispatch(request: HttpCallRequest): void {
    const handler = this.handler!;
    const result = Promise.resolve()
      .then(() => handler(request))
      .catch((): HttpCallResult => ({ failure: "reset" }));
    this.inFlight.push({ request, result });
  }

  /** Delivers answers, in dispatch order, until none is in flight (answers may start new calls). */
  async settle(): Promise<void> {
    while (this.inFlight.length > 0) {
      const { request, result } = this.inFlight.shift()!;
      this.deliver(request, await result);
    }
  }

  private deliver(request: HttpCallRequest, result: HttpCallResult): void {
    const root = this.root;
    if ("failure" in result) {
      this.vm.status = { code: WasmResult.BrokenConnection, message: result.failure };
      this.vm.call(root, "proxy_on_http_call_response", [root.id, request.token, 0, 0, 0]);
      return;
    }
    const headers = new HeaderMap([[":status", String(result.status)]]);
    for (const [k, v] of new HeaderMap(result.headers).pairs()) headers.add(k, v);
    const trailers = new HeaderMap(result.trailers);
    const body = typeof result.body === "string" ? encodeUtf8(result.body) : (result.body ?? new Uint8Array(0));
    this.vm.status = { code: WasmResult.Ok, message: "" };
    this.vm.call(root, "proxy_on_http_call_response", [root.id, request.token, headers.size, body.length, trailers.size], {
      maps: new Map([
        [MapType.HttpCallResponseHeaders, headers],
        [MapType.HttpCallResponseTrailers, trailers],
      ]),
      buffers: new Map([[BufferType.HttpCallResponseBody, body]]),
    });
  }
}
