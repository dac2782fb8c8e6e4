// ABI 0.2.1 constants and the host imports this lib uses. The import declarations come from
// the SDK (only the ones a filter actually calls end up in the module's import section); the
// SDK's runtime is NOT used: it logs to WASI stdout, builds debug strings on every call, asks
// for properties with dotted names and pulls ABI 0.1.0 / FastEdge-only imports. See
// docs/proxy-wasm-host.md.
export {
  proxy_log,
  proxy_get_log_level,
  proxy_set_tick_period_milliseconds,
  proxy_get_current_time_nanoseconds,
  proxy_set_effective_context,
  proxy_continue_stream,
  proxy_get_buffer_bytes,
  proxy_get_header_map_value,
  proxy_add_header_map_value,
  proxy_replace_header_map_value,
  proxy_remove_header_map_value,
  proxy_get_property,
  proxy_send_local_response,
  proxy_http_call,
  proxy_define_metric,
  proxy_increment_metric,
  proxy_record_metric,
} from "@gcoredev/proxy-wasm-sdk-as/assembly/imports";

export namespace WasmResult {
  // @ts-ignore: decorator
  @inline export const Ok: u32 = 0;
  // @ts-ignore: decorator
  @inline export const NotFound: u32 = 1;
}

/** proxy_on_*_headers return values (Envoy numbering). */
export namespace Action {
  // @ts-ignore: decorator
  @inline export const Continue: i32 = 0;
  // @ts-ignore: decorator
  @inline export const StopIteration: i32 = 1;
}

export namespace StreamType {
  // @ts-ignore: decorator
  @inline export const Request: i32 = 0;
}

export namespace MapType {
  // @ts-ignore: decorator
  @inline export const RequestHeaders: i32 = 0;
  // @ts-ignore: decorator
  @inline export const RequestTrailers: i32 = 1;
  // @ts-ignore: decorator
  @inline export const ResponseHeaders: i32 = 2;
  // @ts-ignore: decorator
  @inline export const ResponseTrailers: i32 = 3;
  // @ts-ignore: decorator
  @inline export const HttpCallResponseHeaders: i32 = 6;
}

export namespace BufferType {
  // @ts-ignore: decorator
  @inline export const HttpCallResponseBody: i32 = 4;
  // @ts-ignore: decorator
  @inline export const VmConfiguration: i32 = 6;
  // @ts-ignore: decorator
  @inline export const PluginConfiguration: i32 = 7;
}

export namespace LogLevel {
  // @ts-ignore: decorator
  @inline export const Trace: i32 = 0;
  // @ts-ignore: decorator
  @inline export const Debug: i32 = 1;
  // @ts-ignore: decorator
  @inline export const Info: i32 = 2;
  // @ts-ignore: decorator
  @inline export const Warn: i32 = 3;
  // @ts-ignore: decorator
  @inline export const Error: i32 = 4;
  // @ts-ignore: decorator
  @inline export const Critical: i32 = 5;
}
