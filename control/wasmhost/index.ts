// Public surface of the proxy-wasm host.
export { ProxyWasmHost, type HostOptions } from "./host.ts";
export { Stream, type PhaseResult, type StreamOptions } from "./stream.ts";
export { HeaderMap, type HeaderInit, headerValueBytes, rawHeaderValue } from "./headers.ts";
export type { HostContext, LocalReply, MapName, TraceEvent } from "./context.ts";
export type { HttpCallHandler, HttpCallRequest, HttpCallResult } from "./callouts.ts";
export { jwtPayloadProperties, mergeProperties, peerProperties, type PropertyTree, type PropertyValue } from "./properties.ts";
export { AbiViolationError, type AbiViolation, type ForeignFunction, type LogEntry, type VmFailure } from "./vm.ts";
export { ENVOY_PROXY_IMPORTS, ENVOY_WASI_IMPORTS, unsupportedImports, WasmLoadError } from "./abi.ts";
export { decodePairs, encodePairs, type Pair } from "./pairs.ts";
export type { Metric } from "./system-imports.ts";
export { ENVOY_DEFAULT_BUCKETS, Histogram } from "./histogram.ts";
