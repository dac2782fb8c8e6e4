// One HTTP stream driven as Envoy's HTTP filter chain drives a wasm filter: lazy context
// creation, request/response headers/body/trailers with end_of_stream, local replies (which
// then pass through the filter's own response callbacks), pause/continue, and log/done/delete.
import { LocalReply, StreamContext } from "./context.ts";
import type { HeaderInit, HeaderMap } from "./headers.ts";
import { decodeUtf8, encodeUtf8 } from "./memory.ts";
import type { Pair } from "./pairs.ts";
import type { PropertyTree } from "./properties.ts";
import type { VmCore } from "./vm.ts";

export interface StreamOptions {
  /** Attributes for this stream (connection.*, source.*, metadata...), see properties.ts. */
  properties?: PropertyTree;
  /** request.protocol (default "HTTP/1.1"). */
  protocol?: string;
}

/**
 * - continue: the filter let the data through.
 * - pause: the filter stopped iteration; it may resume with proxy_continue_stream (check
 *   `stream.paused` after `await host.settle()`).
 * - buffer: body callback asked Envoy to buffer; the next body call gets the data so far.
 * - reply: the stream ended with a local reply (`localReply`); `failed` when that reply is
 *   Envoy's 503 wasm_fail_stream for a dead VM.
 */
export interface PhaseResult {
  action: "continue" | "pause" | "buffer" | "reply";
  /** The raw value the export returned (undefined when absent or the VM failed). */
  code: number | undefined;
  localReply?: LocalReply;
  failed?: boolean;
  /** The VM is dead and the plugin is fail_open: Envoy skips the filter. */
  skipped?: boolean;
}

/** What the stream needs from its host. */
export interface StreamHost {
  readonly failOpen: boolean;
  readonly rootId: number;
}

type BodyKind = "request" | "response";

export class Stream extends StreamContext {
  /** Body bytes the filter let through, per direction. */
  private readonly forwarded: Record<BodyKind, Uint8Array[]> = { request: [], response: [] };

  constructor(
    private readonly vm: VmCore,
    private readonly host: StreamHost,
    id: number,
    options: StreamOptions,
    tracing: boolean,
  ) {
    super(id, tracing, options.properties ?? {}, options.protocol ?? "HTTP/1.1");
  }

  requestHeaders(headers: HeaderInit, endOfStream = true): PhaseResult {
    return this.headers("request", headers, endOfStream);
  }

  requestBody(chunk: string | Uint8Array, endOfStream = true): PhaseResult {
    return this.body("request", chunk, endOfStream);
  }

  requestTrailers(trailers: HeaderInit): PhaseResult {
    return this.trailers("request", trailers);
  }

  responseHeaders(headers: HeaderInit, endOfStream = true): PhaseResult {
    return this.headers("response", headers, endOfStream);
  }

  responseBody(chunk: string | Uint8Array, endOfStream = true): PhaseResult {
    return this.body("response", chunk, endOfStream);
  }

  responseTrailers(trailers: HeaderInit): PhaseResult {
    return this.trailers("response", trailers);
  }

  /** End of stream: proxy_on_log, proxy_on_done, proxy_on_delete (modern Envoy order). */
  done(): void {
    if (this.phase === "done") throw new Error(`stream ${this.id}: done() called twice`);
    if (this.created && !this.vm.failure) {
      this.phase = "log";
      this.vm.call(this, "proxy_on_log", [this.id]);
      this.vm.call(this, "proxy_on_done", [this.id]);
      this.vm.call(this, "proxy_on_delete", [this.id]);
    }
    this.phase = "done";
    this.vm.contexts.delete(this.id);
  }

  /** Body bytes let through so far in one direction. */
  forwardedBody(kind: BodyKind): Uint8Array {
    return concat(this.forwarded[kind]);
  }

  /** The request headers as the filter left them. */
  get request(): HeaderMap {
    return this.data.requestHeaders;
  }

  /** The response headers as the filter left them (a local reply's, after the filter ran). */
  get response(): HeaderMap {
    return this.data.responseHeaders;
  }

  private headers(kind: BodyKind, headers: HeaderInit, endOfStream: boolean): PhaseResult {
    const exportName = `proxy_on_${kind}_headers`;
    this.assertOpen(exportName);
    const map = kind === "request" ? this.data.requestHeaders : this.data.responseHeaders;
    map.setAll(headers);
    this.phase = kind;
    return this.run(exportName, () => [this.id, map.size, endOfStream ? 1 : 0], "headers");
  }

  private trailers(kind: BodyKind, trailers: HeaderInit): PhaseResult {
    const exportName = `proxy_on_${kind}_trailers`;
    this.assertOpen(exportName);
    const map = kind === "request" ? this.data.requestTrailers : this.data.responseTrailers;
    map.setAll(trailers);
    return this.run(exportName, () => [this.id, map.size], "trailers");
  }

  private body(kind: BodyKind, chunk: string | Uint8Array, endOfStream: boolean): PhaseResult {
    const exportName = kind === "request" ? "proxy_on_request_body" : "proxy_on_response_body";
    this.assertOpen(exportName);
    const bytes = typeof chunk === "string" ? encodeUtf8(chunk) : chunk;
    const buffered = concat([kind === "request" ? this.data.requestBody : this.data.responseBody, bytes]);
    if (kind === "request") this.data.requestBody = buffered;
    else this.data.responseBody = buffered;
    const result = this.run(exportName, () => [this.id, buffered.length, endOfStream ? 1 : 0], "body");
    if (result.action === "continue") {
      this.forwarded[kind].push(kind === "request" ? this.data.requestBody : this.data.responseBody);
      if (kind === "request") this.data.requestBody = new Uint8Array(0);
      else this.data.responseBody = new Uint8Array(0);
    }
    return result;
  }

  /** Usage errors of the caller (not of the filter): driving a stream that cannot move. */
  private assertOpen(exportName: string): void {
    if (this.phase === "done" || this.phase === "log") throw new Error(`stream ${this.id}: ${exportName} after done()`);
    if (this.localReply || this.reset) throw new Error(`stream ${this.id}: ${exportName} after the stream ended (${this.localReply ? "local reply" : "reset"})`);
    if (this.paused) throw new Error(`stream ${this.id}: ${exportName} while paused; await host.settle() and check stream.paused`);
  }

  private run(exportName: string, args: () => number[], kind: "headers" | "body" | "trailers"): PhaseResult {
    if (this.vm.failure) return this.failedResult();
    if (!this.created) {
      this.created = true;
      this.vm.contexts.set(this.id, this);
      this.vm.call(this, "proxy_on_context_create", [this.id, this.host.rootId]);
      if (this.vm.failure) return this.failedResult();
    }
    const code = this.vm.call(this, exportName, args());
    if (this.vm.failure) return this.failedResult();
    if (this.pendingReply) return this.finishLocalReply(code);
    const value = code ?? 0;
    if (kind === "headers" && (value === 0 || value === 2)) return { action: "continue", code };
    if (kind !== "headers" && value === 0) return { action: "continue", code };
    if (kind === "body" && (value === 1 || value === 2)) return { action: "buffer", code };
    this.paused = true;
    return { action: "pause", code };
  }

  /** Envoy: 503 wasm_fail_stream for a dead VM, or skip the filter when fail_open. */
  private failedResult(): PhaseResult {
    if (this.host.failOpen) return { action: "continue", code: undefined, skipped: true };
    const reply: LocalReply = { status: 503, details: "wasm_fail_stream", body: "", headers: [[":status", "503"]], grpcStatus: -1 };
    this.localReply = reply;
    this.data.responseHeaders.setAll(reply.headers);
    return { action: "reply", code: undefined, localReply: reply, failed: true };
  }

  /** The reply Envoy builds (:status, the filter's headers, content-length, content-type when
   * absent), then passes through the filter's own response callbacks. */
  private finishLocalReply(code: number | undefined): PhaseResult {
    const reply = this.pendingReply!;
    this.pendingReply = undefined;
    const body = encodeUtf8(reply.body);
    const headers: Pair[] = [[":status", String(reply.status)], ...reply.headers];
    if (body.length > 0) {
      headers.push(["content-length", String(body.length)]);
      if (!reply.headers.some(([k]) => k === "content-type")) headers.push(["content-type", "text/plain"]);
    }
    this.data.responseHeaders.setAll(headers);
    this.data.responseBody = body;
    this.phase = "response";
    this.vm.call(this, "proxy_on_response_headers", [this.id, this.data.responseHeaders.size, body.length === 0 ? 1 : 0]);
    if (body.length > 0 && !this.vm.failure) this.vm.call(this, "proxy_on_response_body", [this.id, body.length, 1]);
    this.pendingReply = undefined; // a second reply from the encoder path is ignored, as in Envoy
    this.localReply = { ...reply, headers: this.data.responseHeaders.pairs(), body: decodeUtf8(this.data.responseBody) };
    return { action: "reply", code, localReply: this.localReply };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
