// Host-side state of the guest's contexts (root and per-stream) and the trace of what the
// filter did in each, which tests and `explain` read.
import type { LogLevelName } from "./abi.ts";
import { HeaderMap } from "./headers.ts";
import type { Pair } from "./pairs.ts";
import type { PropertyTree } from "./properties.ts";

export type MapName = "request-headers" | "request-trailers" | "response-headers" | "response-trailers" | "http-call-headers" | "http-call-trailers";

export type TraceEvent =
  | { kind: "callback"; name: string; result: number | undefined }
  | { kind: "header"; map: MapName; op: "add" | "replace" | "remove" | "set-all"; name?: string; value?: string }
  | { kind: "property-get"; path: string[]; found: boolean }
  | { kind: "property-set"; path: string[]; value: Uint8Array }
  | { kind: "body-set"; buffer: "request" | "response"; start: number; length: number; size: number }
  | { kind: "local-reply"; status: number; details: string; body: string; headers: Pair[] }
  | { kind: "continue" | "close"; stream: "request" | "response" | "downstream" | "upstream" }
  | { kind: "http-call"; token: number; cluster: string; headers: Pair[] }
  | { kind: "foreign-function"; name: string; result: number }
  | { kind: "log"; level: LogLevelName; message: string }
  | { kind: "violation"; call: string; code: number; message: string }
  | { kind: "trap"; during: string; message: string };

export interface LocalReply {
  status: number;
  details: string;
  body: string;
  /** Final response headers, after the filter's own proxy_on_response_headers ran on them. */
  headers: Pair[];
  grpcStatus: number;
}

export class HostContext {
  readonly trace: TraceEvent[] = [];
  /** Values stored with proxy_set_property, by NUL-joined path. */
  readonly setProperties = new Map<string, Uint8Array>();

  constructor(
    readonly id: number,
    readonly kind: "root" | "stream",
    /** Hot paths test this before building an event, so tracing off costs no allocation. */
    readonly tracing: boolean,
  ) {}

  record(event: TraceEvent): void {
    if (this.tracing) this.trace.push(event);
  }
}

export type StreamPhase = "new" | "request" | "response" | "log" | "done";

/** Maps and bodies of one HTTP stream, as the filter sees and modifies them. */
export class StreamData {
  readonly requestHeaders = new HeaderMap();
  readonly requestTrailers = new HeaderMap();
  readonly responseHeaders = new HeaderMap();
  readonly responseTrailers = new HeaderMap();
  /** Body bytes the filter can see in the current body callback (buffered + this chunk). */
  requestBody: Uint8Array = new Uint8Array(0);
  responseBody: Uint8Array = new Uint8Array(0);
}

/** The state of one HTTP stream that the proxy_* imports read and modify. */
export class StreamContext extends HostContext {
  readonly data = new StreamData();
  phase: StreamPhase = "new";
  /** Set by proxy_send_local_response during a callback; acted on when it returns. */
  pendingReply: LocalReply | undefined;
  localReply: LocalReply | undefined;
  paused = false;
  reset = false;
  created = false;

  constructor(
    id: number,
    tracing: boolean,
    readonly properties: PropertyTree,
    readonly protocol: string,
  ) {
    super(id, "stream", tracing);
  }
}
