// Logging through proxy_log (Envoy's log), never WASI stdout.
import { proxy_get_log_level, proxy_log, LogLevel, WasmResult } from "./abi";
import { OUT_U32 } from "./mem";

let debugOn = false;

/** Re-reads the host's log level (call at configure time and on ticks: it can change at run time). */
export function refreshLogLevel(): void {
  if (proxy_get_log_level(OUT_U32) == WasmResult.Ok) debugOn = load<u32>(OUT_U32) <= <u32>LogLevel.Debug;
}

/** Whether debug lines are wanted: build per-request decision strings only then (explain runs
 * the filters at debug level). */
export function debugEnabled(): bool {
  return debugOn;
}

export function logDebug(message: string): void {
  log(LogLevel.Debug, message);
}

export function log(level: i32, message: string): void {
  const buf = String.UTF8.encode(message);
  proxy_log(level, changetype<usize>(buf), buf.byteLength);
}

export function logInfo(message: string): void {
  log(LogLevel.Info, message);
}

export function logWarn(message: string): void {
  log(LogLevel.Warn, message);
}

export function logError(message: string): void {
  log(LogLevel.Error, message);
}

/** `abort` replacement (asconfig "use": "abort=filter_abort"): log through proxy_log, then trap,
 * so the host sees a failed VM (Envoy: 503 wasm_fail_stream, or skip when fail_open).
 * asconfig.json copies the wasi-shim options instead of `extends`-ing them: asc merges `use`
 * arrays with the parent's entries last, so the shim's abort=wasi_abort would always win. */
// @ts-ignore: decorator
@global export function filter_abort(
  message: string | null = null,
  fileName: string | null = null,
  lineNumber: u32 = 0,
  columnNumber: u32 = 0,
): void {
  let text = "abort: " + (message !== null ? message : "");
  if (fileName !== null) text += " at " + fileName + ":" + lineNumber.toString() + ":" + columnNumber.toString();
  log(LogLevel.Critical, text);
  unreachable();
}
