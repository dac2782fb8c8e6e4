// Router filter (outbound): per request, pick the port's table (destination.port, else the
// :authority port, else 80), the virtual host by :authority, the first matching route, then act:
// direct response, redirect, fault abort/delay, or a weighted draw over the destinations with
// header operations, rewrites, timeout/retry headers and `x-mesh-cluster: <cluster>` (Envoy's
// route uses it as `cluster_header`). A client can never choose the cluster: any x-mesh-cluster
// it sent is removed first. No virtual host or no route -> 404 route_not_found (Envoy's NR).
//
// Fault delays pause the stream and resume it from the root's tick (proxy_continue_stream with
// the stream as effective context): while a delay is pending the tick period drops to
// DELAY_TICK_MS, so a delay ends within DELAY_TICK_MS after it is due; config polls keep their
// own schedule.
export * from "../lib/exports";
export * from "../lib/stream-exports";
import { Action, MapType, proxy_continue_stream, proxy_set_effective_context, StreamType, WasmResult } from "../lib/abi";
import { Gate, gateAction, MeshFilter, nowMs } from "../lib/config";
import { debugEnabled, logDebug } from "../lib/log";
import { registerFilter } from "../lib/filter";
import { addHeaderBytes, Pairs, removeHeader, setHeader, setHeaderBytes } from "../lib/headers";
import { hexDigit } from "../lib/chars";
import { JsonObject, JsonValue } from "../lib/json";
import { MatchKind, StringMatcher } from "../lib/match";
import { utf8 } from "../lib/mem";
import { sendLocalReply } from "../lib/reply";
import { authorityPort, hostWithoutPort, request } from "../lib/request";
import { Reader } from "../lib/schema";
import { Destination, HeaderOps, KeyMatch, readRouterTable, Route, RouteMatch, RouterTable } from "./table";

const CLUSTER_HEADER = utf8("x-mesh-cluster");
const PATH = utf8(":path");
const AUTHORITY = utf8(":authority");
const TIMEOUT = utf8("x-envoy-upstream-rq-timeout-ms");
const MAX_RETRIES = utf8("x-envoy-max-retries");
const RETRY_ON = utf8("x-envoy-retry-on");
const PER_TRY_TIMEOUT = utf8("x-envoy-upstream-rq-per-try-timeout-ms");
const NO_HEADERS = new Pairs().serialize();
const DELAY_TICK_MS: u32 = 10;

/** What a stream remembers between request and response headers (only when it needs to). */
class Chosen {
  constructor(public route: Route, public dest: Destination) {}
}

class Router extends MeshFilter {
  table: RouterTable | null = null;
  /** Streams whose route has response header operations. */
  chosen: Map<u32, Chosen> = new Map();
  /** Paused streams (fault delay) and when each resumes, ms. */
  delayedIds: u32[] = [];
  delayedUntil: f64[] = [];
  /** The match entry that selected the route (for prefix rewrites). */
  matched: RouteMatch | null = null;

  acceptConfig(body: string, doc: JsonValue, etag: string): bool {
    const r = new Reader();
    const obj = doc.asObject();
    const table = readRouterTable(r, obj === null ? null : (<JsonObject>obj).get("router"));
    if (table === null) {
      this.rejection = r.error;
      return false;
    }
    this.table = table;
    return true;
  }

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    const gate = this.gate();
    if (gate != Gate.Ready) {
      // Even without a config, a client-sent cluster must not reach the route.
      removeHeader(MapType.RequestHeaders, CLUSTER_HEADER);
      return gateAction(gate);
    }
    const table = <RouterTable>this.table;
    request.begin(table.slots);
    const route = this.findRoute(table);
    if (route === null) {
      if (debugEnabled()) logDebug("no route for " + request.authority() + request.path() + " on port " + request.port().toString() + ": 404 route_not_found");
      sendLocalReply(404, "route_not_found", "", NO_HEADERS);
      return Action.StopIteration;
    }
    return this.act(ctx, route);
  }

  findRoute(table: RouterTable): Route | null {
    const port = request.port();
    if (!table.ports.has(port)) return null;
    const authority = request.authorityLower();
    const vh = table.ports.get(port).find(table.ignoreHostPort ? hostWithoutPort(authority) : authority);
    if (vh === null) return null;
    const routes = vh.routes;
    const index = vh.uriIndex;
    if (index === null) {
      for (let i = 0; i < routes.length; i++) if (this.routeMatches(unchecked(routes[i]))) return unchecked(routes[i]);
      return null;
    }
    // The routes that can match, in table order: those indexed under the path merged with
    // those that may match any path (uri-index.ts).
    const exact = index.routesFor(request.path());
    const any = index.anyPath;
    let i = 0;
    let j = 0;
    while (i < exact.length || j < any.length) {
      const takeExact = j >= any.length || (i < exact.length && unchecked(exact[i]) < unchecked(any[j]));
      const route = unchecked(routes[takeExact ? unchecked(exact[i++]) : unchecked(any[j++])]);
      if (this.routeMatches(route)) return route;
    }
    return null;
  }

  /** Whether the request matches `route` (no match entries, or one that holds); remembers the
   * entry that held for prefix rewrites. */
  routeMatches(route: Route): bool {
    const matches = route.matches;
    if (matches.length == 0) {
      this.matched = null;
      return true;
    }
    for (let j = 0; j < matches.length; j++) {
      const m = unchecked(matches[j]);
      if (entryHolds(m)) {
        this.matched = m;
        return true;
      }
    }
    return false;
  }

  act(ctx: u32, route: Route): i32 {
    if (route.directStatus != 0) {
      sendLocalReply(route.directStatus, "direct_response", route.directBody, NO_HEADERS);
      return Action.StopIteration;
    }
    if (route.redirect !== null) {
      this.sendRedirect(route);
      return Action.StopIteration;
    }
    if (route.abortPercent > 0 && chance(route.abortPercent)) {
      if (debugEnabled()) logDebug("route " + route.origin + ": fault abort " + route.abortStatus.toString());
      sendLocalReply(route.abortStatus, "fault_filter_abort", "fault filter abort", NO_HEADERS);
      return Action.StopIteration;
    }
    const delayed = route.delayPercent > 0 && chance(route.delayPercent);
    const dest = pick(route);
    const M = MapType.RequestHeaders;
    if (route.requestOps !== null) applyOps(M, <HeaderOps>route.requestOps);
    if (dest.requestOps !== null) applyOps(M, <HeaderOps>dest.requestOps);
    if (route.rewrite !== null) this.rewrite(route);
    if (route.timeout !== null) setHeaderBytes(M, TIMEOUT, <ArrayBuffer>route.timeout);
    if (route.retries !== null) {
      setHeaderBytes(M, MAX_RETRIES, <ArrayBuffer>route.retries);
      if (route.retryOn !== null) setHeaderBytes(M, RETRY_ON, <ArrayBuffer>route.retryOn);
      if (route.perTryTimeout !== null) setHeaderBytes(M, PER_TRY_TIMEOUT, <ArrayBuffer>route.perTryTimeout);
    }
    // One replace: Envoy's replace (HeaderMap::setCopy) drops every client-sent value before adding
    // ours (Envoy >= 1.17; older versions kept later duplicates), and any request-header edit by a
    // wasm filter clears the route cache, so the router re-picks the route by this cluster_header
    // (docs/proxy-wasm-host.md; Envoy's wasm Context::replaceHeaderMapValue).
    setHeaderBytes(M, CLUSTER_HEADER, dest.clusterBytes);
    if (route.hasResponseOps) this.chosen.set(ctx, new Chosen(route, dest));
    if (debugEnabled()) logDebug("route " + route.origin + " -> " + dest.cluster + (delayed ? " after a " + (<i64>route.delayMs).toString() + " ms fault delay" : ""));
    if (delayed && route.delayMs > 0) {
      this.delayedIds.push(ctx);
      this.delayedUntil.push(nowMs() + route.delayMs);
      this.setTickPeriod(this.settings.pollMs < DELAY_TICK_MS ? this.settings.pollMs : DELAY_TICK_MS);
      return Action.StopIteration;
    }
    return Action.Continue;
  }

  rewrite(route: Route): void {
    const rw = route.rewrite!;
    const M = MapType.RequestHeaders;
    if (rw.uri !== null || rw.uriRegex !== null || rw.fullPath !== null) {
      const path = request.path();
      let next = "";
      if (rw.uriRegex !== null) next = rw.uriRegex!.replaceAll(path, rw.substitution);
      else if (rw.fullPath !== null) next = <string>rw.fullPath;
      else next = this.replaceMatchedPrefix(path, <string>rw.uri);
      if (next.length == 0) next = "/";
      setHeader(M, PATH, withQuery(next, request.fullPath()));
    }
    if (rw.authority !== null) setHeaderBytes(M, AUTHORITY, <ArrayBuffer>rw.authority);
  }

  /** `path` with the prefix the route matched replaced by `repl` (the whole path when the match
   * was not a prefix). */
  replaceMatchedPrefix(path: string, repl: string): string {
    const m = this.matched;
    const uri: StringMatcher | null = m === null ? null : m.uri;
    if (uri === null || !uri.isPrefix()) return repl;
    let rest = path.substring(uri.prefixLength(path));
    // Gateway API ReplacePrefixMatch: "/foo" -> "/" on "/foo/bar" gives "/bar", not "//bar".
    if (uri.kind == MatchKind.SegmentPrefix && repl.endsWith("/") && rest.startsWith("/")) rest = rest.substring(1);
    return repl + rest;
  }

  /** Redirect: Location is scheme://host[:port]path; a port that is the scheme's well-known one
   * (http 80, https 443) is left out, as Envoy does. */
  sendRedirect(route: Route): void {
    const rd = route.redirect!;
    let scheme = rd.scheme !== null ? <string>rd.scheme : request.scheme();
    if (scheme.length == 0) scheme = "http";
    let host = rd.authority !== null ? <string>rd.authority : request.authority();
    let port = authorityPort(host);
    if (rd.port > 0) {
      host = hostWithoutPort(host);
      port = rd.port;
    }
    if ((port == 80 && scheme == "http") || (port == 443 && scheme == "https")) host = hostWithoutPort(host);
    else if (rd.port > 0) host += ":" + port.toString();
    let path = request.fullPath();
    if (rd.uri !== null) {
      const uri = <string>rd.uri;
      path = uri.indexOf("?") < 0 ? withQuery(uri, path) : uri;
    } else if (rd.prefix !== null) {
      let next = this.replaceMatchedPrefix(request.path(), <string>rd.prefix);
      if (next.length == 0) next = "/";
      path = withQuery(next, path);
    }
    const headers = new Pairs().add("location", scheme + "://" + host + path).serialize();
    sendLocalReply(rd.status, "redirect", "", headers);
  }

  onResponseHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    if (this.chosen.size == 0 || !this.chosen.has(ctx)) return Action.Continue;
    const c = this.chosen.get(ctx);
    const M = MapType.ResponseHeaders;
    if (c.route.responseOps !== null) applyOps(M, <HeaderOps>c.route.responseOps);
    if (c.dest.responseOps !== null) applyOps(M, <HeaderOps>c.dest.responseOps);
    return Action.Continue;
  }

  onTick(): void {
    if (this.delayedIds.length > 0) {
      const now = nowMs();
      let i = 0;
      while (i < this.delayedIds.length) {
        if (this.delayedUntil[i] <= now) {
          const id = this.delayedIds[i];
          this.dropDelay(i);
          if (proxy_set_effective_context(id) == WasmResult.Ok) proxy_continue_stream(StreamType.Request);
        } else i++;
      }
      if (this.delayedIds.length == 0) this.setTickPeriod(this.settings.pollMs);
    }
    super.onTick();
  }

  private dropDelay(i: i32): void {
    const last = this.delayedIds.length - 1;
    this.delayedIds[i] = this.delayedIds[last];
    this.delayedUntil[i] = this.delayedUntil[last];
    this.delayedIds.pop();
    this.delayedUntil.pop();
  }

  onDelete(ctx: u32): void {
    if (this.chosen.size > 0) this.chosen.delete(ctx);
    for (let i = 0; i < this.delayedIds.length; i++) {
      if (this.delayedIds[i] == ctx) {
        this.dropDelay(i);
        if (this.delayedIds.length == 0) this.setTickPeriod(this.settings.pollMs);
        break;
      }
    }
  }
}

/** Every field of one match entry holds. */
function entryHolds(m: RouteMatch): bool {
  if (m.port >= 0 && request.port() != m.port) return false;
  const uri = m.uri;
  if (uri !== null && !uri.matches(request.path())) return false;
  const method = m.method;
  if (method !== null && !method.matches(request.method())) return false;
  const authority = m.authority;
  if (authority !== null && !authority.matches(request.authority())) return false;
  const headers = m.headers;
  for (let i = 0; i < headers.length; i++) {
    const km = unchecked(headers[i]);
    if (!keyHolds(km, request.text(km.slot))) return false;
  }
  const qp = m.queryParams;
  for (let i = 0; i < qp.length; i++) {
    const km = unchecked(qp[i]);
    if (!keyHolds(km, queryParam(request.query(), km.name))) return false;
  }
  return true;
}

function keyHolds(km: KeyMatch, v: string | null): bool {
  let hit: bool;
  if (km.present == 0) hit = v === null;
  else if (v === null) hit = false;
  else {
    const value = km.value;
    hit = value === null ? true : value.matches(v);
  }
  return km.invert ? !hit : hit;
}

/** The percent-decoded value of the first `name` parameter of `query`; "" for a bare key. */
export function queryParam(query: string, name: string): string | null {
  const n = query.length;
  let start = 0;
  while (start <= n) {
    let end = query.indexOf("&", start);
    if (end < 0) end = n;
    const eq = query.indexOf("=", start);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd - start == name.length && query.substr(start, name.length) == name) {
      return keyEnd == end ? "" : percentDecode(query.substring(keyEnd + 1, end));
    }
    start = end + 1;
  }
  return null;
}

/** %XX decoding (no "+" -> space, as Envoy); malformed escapes stay as they are. */
export function percentDecode(s: string): string {
  if (s.indexOf("%") < 0) return s;
  const bytes = Uint8Array.wrap(String.UTF8.encode(s));
  let w = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b == 0x25 && i + 2 < bytes.length) {
      const h = hexDigit(bytes[i + 1]);
      const l = hexDigit(bytes[i + 2]);
      if (h >= 0 && l >= 0) {
        bytes[w++] = <u8>((h << 4) | l);
        i += 2;
        continue;
      }
    }
    bytes[w++] = b;
  }
  return String.UTF8.decodeUnsafe(bytes.dataStart, w);
}


function chance(percent: f64): bool {
  return percent >= 100 || Math.random() * 100 < percent;
}

/** Weighted draw over relative weights (Math.random: xoroshiro128+ seeded once from WASI
 * random_get, which Envoy provides). */
function pick(route: Route): Destination {
  const dests = route.destinations;
  if (dests.length == 1) return unchecked(dests[0]);
  let x = Math.random() * route.totalWeight;
  for (let i = 0; i < dests.length; i++) {
    const d = unchecked(dests[i]);
    if (x < d.weight) return d;
    x -= d.weight;
  }
  for (let i = dests.length - 1; i >= 0; i--) if (dests[i].weight > 0) return dests[i];
  return dests[0];
}

/** Envoy's order: removals, then sets, then appends. */
function applyOps(map: i32, ops: HeaderOps): void {
  for (let i = 0; i < ops.removeNames.length; i++) removeHeader(map, unchecked(ops.removeNames[i]));
  for (let i = 0; i < ops.setNames.length; i++) setHeaderBytes(map, unchecked(ops.setNames[i]), unchecked(ops.setValues[i]));
  for (let i = 0; i < ops.addNames.length; i++) addHeaderBytes(map, unchecked(ops.addNames[i]), unchecked(ops.addValues[i]));
}

/** `path` with the query string of `fullPath` (the request's :path), if it has one. */
function withQuery(path: string, fullPath: string): string {
  const q = fullPath.indexOf("?");
  return q < 0 ? path : path + fullPath.substring(q);
}

registerFilter(new Router());
