// The config channel: the root context polls the control plane for this workload's compiled
// tables and keeps the last good copy.
//
// Plugin configuration (Envoy `configuration`, buffer 7), JSON:
//   {"cluster": "<Envoy cluster of the control plane>", "authority": "<Host>",
//    "path": "/mesh/v1/proxy/<ns>/<workload>/filter-config", "token": "<bearer, optional>",
//    "pollMs": 5000, "failOpen": false}
// Every pollMs (and once at configure time) the root does proxy_http_call GET path with
// If-None-Match: <last ETag>. 200 + valid body that acceptConfig() takes -> swapped in with its
// ETag; 304, other statuses, reset/timeout, bad JSON or a rejected body -> the last good config
// stays. Until a first good config arrives every request gets a 503 local reply, unless failOpen
// (then the filter steps aside).
import { Action, BufferType, MapType, proxy_get_buffer_bytes, proxy_http_call, proxy_set_tick_period_milliseconds, WasmResult } from "./abi";
import { Filter } from "./filter";
import { getHeader, Pairs } from "./headers";
import { JsonObject, JsonValue, parseJson } from "./json";
import { logError, logInfo, logWarn } from "./log";
import { OUT_PTR, OUT_SIZE, OUT_U32, takeOutBuffer, utf8 } from "./mem";
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

/** A filter fed by the config channel. Subclasses implement acceptConfig() (parse the tables;
 * false rejects the body and keeps the last good one) and call gate() first on each request. */
export abstract class MeshFilter extends Filter {
  settings: ChannelSettings = new ChannelSettings();
  /** The last good config body and its ETag; null until the first one arrives. */
  configBody: string | null = null;
  configEtag: string = "";
  private inFlight: bool = false;
  private token: u32 = 0;

  /** Parse/validate a new config body. Return false to reject it (bad or older). */
  abstract acceptConfig(body: string, doc: JsonValue, etag: string): bool;

  onConfigure(size: u32): bool {
    if (size == 0) {
      logError("mesh plugin configuration is empty");
      return false;
    }
    const rc = proxy_get_buffer_bytes(BufferType.PluginConfiguration, 0, size, OUT_PTR, OUT_SIZE);
    if (rc != WasmResult.Ok) {
      logError("cannot read plugin configuration: " + rc.toString());
      return false;
    }
    const settings = parseChannelSettings(String.UTF8.decode(takeOutBuffer()));
    if (settings === null) return false;
    this.settings = settings;
    proxy_set_tick_period_milliseconds(settings.pollMs);
    this.poll();
    return true;
  }

  onTick(): void {
    this.poll();
  }

  /** Starts one poll unless one is in flight. */
  poll(): void {
    if (this.inFlight) return;
    const s = this.settings;
    const headers = new Pairs()
      .add(":method", "GET")
      .add(":path", s.path)
      .add(":authority", s.authority)
      .add("accept", "application/json");
    if (s.token.length > 0) headers.add("authorization", "Bearer " + s.token);
    if (this.configEtag.length > 0) headers.add("if-none-match", this.configEtag);
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
      body = String.UTF8.decode(takeOutBuffer());
    }
    const doc = parseJson(body);
    if (doc === null) {
      logWarn("mesh config body is not valid JSON; keeping " + this.describe());
      return;
    }
    const etag = getHeader(MapType.HttpCallResponseHeaders, ETAG);
    const tag = etag === null ? "" : etag;
    if (!this.acceptConfig(body, doc, tag)) {
      logWarn("mesh config " + tag + " rejected; keeping " + this.describe());
      return;
    }
    this.configBody = body;
    this.configEtag = tag;
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

/** The action for a request the gate did not let through. */
export function gateAction(g: Gate): i32 {
  return g == Gate.Replied ? Action.StopIteration : Action.Continue;
}
