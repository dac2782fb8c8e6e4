// The config channel: the root context polls the control plane for this workload's compiled
// tables and keeps the last good copy.
//
// Plugin configuration (Envoy `configuration`, buffer 7), JSON:
//   {"cluster": "<Envoy cluster of the control plane>", "authority": "<Host>",
//    "path": "/mesh/v1/proxy/<ns>/<workload>/filter-config", "token": "<bearer, optional>",
//    "pollMs": 5000, "failOpen": false}
// Every pollMs (and once at configure time) the root does proxy_http_call GET path with
// If-None-Match: <last ETag>. 200 + valid body that acceptConfig() takes -> swapped in with its
// ETag; 304, other statuses, reset/timeout, bad JSON, a body that is not a FilterConfig
// ({version, workload, router, authz}), an OLDER version than the current one, or a body the
// filter's acceptConfig() rejects -> the last good config stays. Until a first good config arrives every request gets a 503 local reply, unless failOpen
// (then the filter steps aside).
import {
  Action,
  BufferType,
  MapType,
  proxy_get_buffer_bytes,
  proxy_get_current_time_nanoseconds,
  proxy_http_call,
  proxy_set_tick_period_milliseconds,
  WasmResult,
} from "./abi";
import { Filter } from "./filter";
import { getHeader, Pairs } from "./headers";
import { JsonObject, JsonValue, parseJson } from "./json";
import { logError, logInfo, logWarn, refreshLogLevel } from "./log";
import { OUT_PTR, OUT_SIZE, OUT_U32, OUT_U64, takeOutString, utf8 } from "./mem";
import { propertyPath, tryGetProperty } from "./property";
import { sendLocalReply } from "./reply";

export class ChannelSettings {
  cluster: string = "";
  authority: string = "";
  path: string = "";
  token: string = "";
  pollMs: u32 = 5000;
  failOpen: bool = false;
}

/** Parses and checks the plugin configuration; null (with a logged reason) when invalid. */
export function parseChannelSettings(text: string): ChannelSettings | null {
  const doc = parseJson(text);
  const obj: JsonObject | null = doc === null ? null : doc.asObject();
  if (obj === null) {
    logError("mesh plugin configuration is not a JSON object");
    return null;
  }
  const s = new ChannelSettings();
  const cluster = obj.getString("cluster");
  const authority = obj.getString("authority");
  const path = obj.getString("path");
  if (cluster === null || cluster.length == 0 || authority === null || authority.length == 0 || path === null || !path.startsWith("/")) {
    logError("mesh plugin configuration needs string cluster, authority and an absolute path");
    return null;
  }
  s.cluster = cluster;
  s.authority = authority;
  s.path = path;
  const token = obj.get("token");
  if (token !== null) {
    const t = token.asString();
    if (t === null) {
      logError("mesh plugin configuration: token must be a string");
      return null;
    }
    s.token = t;
  }
  const poll = obj.get("pollMs");
  if (poll !== null) {
    const ms = poll.numberValue();
    if (!(ms >= 1 && ms <= 3600000) || ms != Math.floor(ms)) {
      logError("mesh plugin configuration: pollMs must be an integer in 1..3600000");
      return null;
    }
    s.pollMs = <u32>ms;
  }
  const failOpen = obj.get("failOpen");
  if (failOpen !== null) {
    if (!failOpen.isBool()) {
      logError("mesh plugin configuration: failOpen must be a boolean");
      return null;
    }
    s.failOpen = failOpen.boolValue();
  }
  return s;
}

/** What a filter does with a request given the config state. */
export const enum Gate { Ready, Skip, Replied }

const STATUS = utf8(":status");
const ETAG = utf8("etag");
const NO_CONFIG_HEADERS = new Pairs().add("content-type", "text/plain").serialize();
const MAX_TIMEOUT_MS: u32 = 5000;
// Each poll names the proxy (Envoy's node id) and the filter (its root id), so the control plane
// can say which proxies run which config version (proxy status).
const NODE_ID = propertyPath(["xds", "node", "id"]);
const ROOT_ID = propertyPath(["plugin_root_id"]);

/** A string attribute, or "" when absent or not a string. */
function attribute(path: ArrayBuffer): string {
  const raw = tryGetProperty(path);
  return raw === null ? "" : String.UTF8.decode(raw);
}

/** A filter fed by the config channel. Subclasses implement acceptConfig() (parse the tables;
 * false rejects the body and keeps the last good one) and call gate() first on each request. */
export abstract class MeshFilter extends Filter {
  settings: ChannelSettings = new ChannelSettings();
  /** The last good config body and its ETag; null until the first one arrives. */
  configBody: string | null = null;
  configEtag: string = "";
  /** FilterConfig.version of the current config (-1 before the first one). */
  configVersion: f64 = -1;
  /** Why acceptConfig() refused the last body (set by the subclass). */
  rejection: string = "";
  private inFlight: bool = false;
  private token: u32 = 0;
  private nextPollAt: f64 = 0;
  private tickMs: u32 = 0;
  private nodeId: string = "";
  private filterName: string = "";

  /** Parse/validate a new config body (the envelope and version order are already checked).
   * Return false, with a reason in `rejection`, to reject it and keep the last good one. */
  abstract acceptConfig(body: string, doc: JsonValue, etag: string): bool;

  onConfigure(size: u32): bool {
    refreshLogLevel();
    const text = readPluginConfiguration(size);
    if (text === null) return false;
    const settings = parseChannelSettings(text);
    if (settings === null) return false;
    this.settings = settings;
    this.nodeId = attribute(NODE_ID);
    this.filterName = attribute(ROOT_ID);
    this.setTickPeriod(settings.pollMs);
    this.poll();
    return true;
  }

  /** Polls when the poll period has elapsed (a subclass may tick faster for its own timers). */
  onTick(): void {
    refreshLogLevel();
    if (nowMs() + <f64>(this.tickMs >> 1) >= this.nextPollAt) this.poll();
  }

  /** Sets the root's tick period (the host has one timer per root context). */
  setTickPeriod(ms: u32): void {
    if (ms == this.tickMs) return;
    this.tickMs = ms;
    proxy_set_tick_period_milliseconds(ms);
  }

  liveBytesHint(): usize {
    const body = this.configBody;
    return body === null ? 0 : <usize>body.length << 1;
  }

  /** Starts one poll unless one is in flight. */
  poll(): void {
    if (this.inFlight) return;
    const s = this.settings;
    this.nextPollAt = nowMs() + <f64>s.pollMs;
    const headers = new Pairs()
      .add(":method", "GET")
      .add(":path", s.path)
      .add(":authority", s.authority)
      .add("accept", "application/json");
    if (s.token.length > 0) headers.add("authorization", "Bearer " + s.token);
    if (this.configEtag.length > 0) headers.add("if-none-match", this.configEtag);
    if (this.nodeId.length > 0) headers.add("x-mesh-node", this.nodeId);
    if (this.filterName.length > 0) headers.add("x-mesh-filter", this.filterName);
    const h = headers.serialize();
    const cluster = utf8(s.cluster);
    const noTrailers = new Pairs().serialize();
    const rc = proxy_http_call(
      changetype<usize>(cluster), cluster.byteLength,
      changetype<usize>(h), h.byteLength,
      0, 0,
      changetype<usize>(noTrailers), noTrailers.byteLength,
      s.pollMs < MAX_TIMEOUT_MS ? s.pollMs : MAX_TIMEOUT_MS,
      OUT_U32,
    );
    if (rc != WasmResult.Ok) {
      logWarn("mesh config poll not sent: proxy_http_call returned " + rc.toString());
      return;
    }
    this.inFlight = true;
    this.token = load<u32>(OUT_U32);
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    if (!this.inFlight || token != this.token) {
      logWarn("unexpected http call response, token " + token.toString());
      return;
    }
    this.inFlight = false;
    if (numHeaders == 0) {
      logWarn("mesh config poll failed (reset or timeout); keeping " + this.describe());
      return;
    }
    const status = getHeader(MapType.HttpCallResponseHeaders, STATUS);
    if (status == "304") return;
    if (status != "200") {
      logWarn("mesh config poll got HTTP " + (status === null ? "?" : status) + "; keeping " + this.describe());
      return;
    }
    let body = "";
    if (bodySize > 0) {
      const rc = proxy_get_buffer_bytes(BufferType.HttpCallResponseBody, 0, bodySize, OUT_PTR, OUT_SIZE);
      if (rc != WasmResult.Ok) {
        logWarn("cannot read mesh config body: " + rc.toString());
        return;
      }
      body = takeOutString();
    }
    const doc = parseJson(body);
    if (doc === null) {
      logWarn("mesh config body is not valid JSON; keeping " + this.describe());
      return;
    }
    const etag = getHeader(MapType.HttpCallResponseHeaders, ETAG);
    const tag = etag === null ? "" : etag;
    const version = envelopeVersion(doc);
    this.rejection = "";
    if (version < 0) this.rejection = "not a FilterConfig (needs an integer version >= 0, a workload string and router/authz objects)";
    else if (version < this.configVersion) this.rejection = "version " + (<i64>version).toString() + " is older than the current " + (<i64>this.configVersion).toString();
    else if (!this.acceptConfig(body, doc, tag) && this.rejection.length == 0) this.rejection = "invalid";
    if (this.rejection.length > 0) {
      logWarn("mesh config " + tag + " rejected: " + this.rejection + "; keeping " + this.describe());
      return;
    }
    this.configBody = body;
    this.configEtag = tag;
    this.configVersion = version;
    logInfo("mesh config applied, etag " + tag);
  }

  /** Ready: handle the request. Skip: no config and failOpen, return Continue. Replied: a 503
   * local reply was sent, return StopIteration. */
  gate(): Gate {
    if (this.configBody !== null) return Gate.Ready;
    if (this.settings.failOpen) return Gate.Skip;
    sendLocalReply(503, "mesh_config_missing", "mesh configuration not received yet\n", NO_CONFIG_HEADERS);
    return Gate.Replied;
  }

  private describe(): string {
    return this.configBody === null ? "no config (none received yet)" : "config " + this.configEtag;
  }
}

/** FilterConfig.version when `doc` has the FilterConfig envelope, else -1. */
function envelopeVersion(doc: JsonValue): f64 {
  const o = doc.asObject();
  if (o === null) return -1;
  const v = o.get("version");
  const w = o.get("workload");
  const router = o.get("router");
  const authz = o.get("authz");
  if (v === null || w === null || router === null || authz === null) return -1;
  const n = v.numberValue();
  if (!v.isNumber() || !(n >= 0 && n <= 9007199254740991) || n != Math.floor(n)) return -1;
  if (w.asString() === null || router.asObject() === null || authz.asObject() === null) return -1;
  return n;
}

/** The plugin configuration Envoy passed (`size` bytes, from proxy_on_configure); null, with
 * an error logged, when it is empty or unreadable. */
export function readPluginConfiguration(size: u32): string | null {
  if (size == 0) {
    logError("mesh plugin configuration is empty");
    return null;
  }
  const rc = proxy_get_buffer_bytes(BufferType.PluginConfiguration, 0, size, OUT_PTR, OUT_SIZE);
  if (rc != WasmResult.Ok) {
    logError("cannot read plugin configuration: " + rc.toString());
    return null;
  }
  return takeOutString();
}

/** Host time in whole milliseconds, rounded (proxy_get_current_time_nanoseconds; integer
 * arithmetic, since ns since the epoch exceed f64's 53-bit precision). */
export function nowMs(): f64 {
  proxy_get_current_time_nanoseconds(OUT_U64);
  return <f64>((load<u64>(OUT_U64) + 500_000) / 1_000_000);
}

/** The action for a request the gate did not let through. */
export function gateAction(g: Gate): i32 {
  return g == Gate.Replied ? Action.StopIteration : Action.Continue;
}
