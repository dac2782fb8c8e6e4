// proxy-wasm ABI 0.2.1 constants (Envoy numbering) and the import set Envoy provides.
// See docs/proxy-wasm-host.md.

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcInitialMetadata: 4,
  GrpcTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

export const BufferType = {
  RequestBody: 0,
  ResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** `proxy_*` imports Envoy registers for ABI 0.2.1 (proxy-wasm-cpp-host WasmBase::registerCallbacks).
 * Not there: proxy_clear_route_cache / proxy_get_configuration / proxy_continue_request (0.1.0
 * only) and the FastEdge-only imports (proxy_get_secret, proxy_kv_store_*, proxy_dictionary_get). */
export const ENVOY_PROXY_IMPORTS: readonly string[] = [
  "log", "get_log_level", "get_status", "set_property", "get_property", "send_local_response",
  "get_shared_data", "set_shared_data", "register_shared_queue", "resolve_shared_queue",
  "dequeue_shared_queue", "enqueue_shared_queue", "get_header_map_value", "add_header_map_value",
  "replace_header_map_value", "remove_header_map_value", "get_header_map_pairs",
  "set_header_map_pairs", "get_header_map_size", "get_buffer_status", "get_buffer_bytes",
  "set_buffer_bytes", "http_call", "grpc_call", "grpc_stream", "grpc_close", "grpc_cancel",
  "grpc_send", "set_tick_period_milliseconds", "get_current_time_nanoseconds", "define_metric",
  "increment_metric", "record_metric", "get_metric", "set_effective_context", "done",
  "call_foreign_function", "continue_stream", "close_stream",
].map((name) => `proxy_${name}`);

/** `wasi_snapshot_preview1` functions Envoy registers (same list, also under `wasi_unstable`). */
export const ENVOY_WASI_IMPORTS: readonly string[] = [
  "fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "environ_get",
  "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get", "random_get", "proc_exit",
];

/** Imports of `module` that Envoy would not provide (so Envoy would refuse to load it). */
export function unsupportedImports(module: WebAssembly.Module): string[] {
  const env = new Set(ENVOY_PROXY_IMPORTS);
  const wasi = new Set(ENVOY_WASI_IMPORTS);
  return WebAssembly.Module.imports(module)
    .filter((imp) => {
      if (imp.kind !== "function") return true;
      if (imp.module === "env") return !env.has(imp.name);
      if (imp.module === "wasi_snapshot_preview1" || imp.module === "wasi_unstable") return !wasi.has(imp.name);
      return true;
    })
    .map((imp) => `${imp.module}.${imp.name}`);
}

/** The filter misused the ABI (bad pointer, unknown map type, bad argument...). The import
 * returns `code` to the guest as Envoy would, and the host records a violation. */
export class AbiMisuse extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "AbiMisuse";
  }
}

/** The guest called WASI proc_exit (AssemblyScript's default abort does): fatal, like a trap. */
export class ProcExit extends Error {
  constructor(readonly exitCode: number) {
    super(`proc_exit(${exitCode})`);
    this.name = "ProcExit";
  }
}

/** The module cannot be loaded (missing ABI export, unsupported import, no malloc...). */
export class WasmLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmLoadError";
  }
}
