// The router's compiled form of FilterConfig.router (control/mesh/snapshot.ts RouterTable),
// built once when a config is accepted: domains indexed for lookup, regexes compiled, header
// names interned into request slots, constant header names/values pre-encoded. Anything outside
// the schema rejects the whole config (the last good one stays).
import { JsonObject, JsonValue } from "../lib/json";
import { readStringMatch, StringMatcher } from "../lib/match";
import { utf8 } from "../lib/mem";
import { compileRegex, Regex } from "../lib/regex";
import { regexError } from "../lib/regex-syntax";
import { SlotNames, toLowerAscii } from "../lib/request";
import { Reader } from "../lib/schema";
import { StringTable } from "../lib/string-table";
import { UriIndex } from "./uri-index";

export class HeaderOps {
  removeNames: ArrayBuffer[] = [];
  setNames: ArrayBuffer[] = [];
  setValues: ArrayBuffer[] = [];
  addNames: ArrayBuffer[] = [];
  addValues: ArrayBuffer[] = [];
}

export class KeyMatch {
  /** Header slot (headers) or -1 (query parameters use `name`). */
  slot: i32 = -1;
  name: string = "";
  value: StringMatcher | null = null;
  /** -1 unspecified, 0 must be absent, 1 must be present. */
  present: i32 = -1;
  invert: bool = false;
}

export class RouteMatch {
  uri: StringMatcher | null = null;
  method: StringMatcher | null = null;
  authority: StringMatcher | null = null;
  headers: KeyMatch[] = [];
  queryParams: KeyMatch[] = [];
  port: i64 = -1;
}

export class Destination {
  cluster: string = "";
  clusterBytes: ArrayBuffer = new ArrayBuffer(0);
  weight: f64 = 0;
  requestOps: HeaderOps | null = null;
  responseOps: HeaderOps | null = null;
}

export class Redirect {
  /** Replaces the whole path. */
  uri: string | null = null;
  /** Replaces the matched prefix (exclusive with uri). */
  prefix: string | null = null;
  authority: string | null = null;
  scheme: string | null = null;
  port: i32 = -1;
  status: u32 = 301;
}

export class Rewrite {
  uri: string | null = null;
  uriRegex: Regex | null = null;
  substitution: string = "";
  /** Replaces the whole path whatever the match (exclusive with uri and uriRegex). */
  fullPath: string | null = null;
  authority: ArrayBuffer | null = null;
}

export class Route {
  /** "<kind> <namespace>/<name> rule <n>" for logs. */
  origin: string = "";
  matches: RouteMatch[] = [];
  destinations: Destination[] = [];
  totalWeight: f64 = 0;
  redirect: Redirect | null = null;
  directStatus: u32 = 0;
  directBody: string = "";
  requestOps: HeaderOps | null = null;
  responseOps: HeaderOps | null = null;
  rewrite: Rewrite | null = null;
  delayMs: f64 = 0;
  delayPercent: f64 = 0;
  abortStatus: u32 = 0;
  abortPercent: f64 = 0;
  timeout: ArrayBuffer | null = null;
  retries: ArrayBuffer | null = null;
  retryOn: ArrayBuffer | null = null;
  perTryTimeout: ArrayBuffer | null = null;
  /** Response header operations exist on the route or any destination. */
  hasResponseOps: bool = false;
}

export class VirtualHost {
  name: string = "";
  routes: Route[] = [];
  /** null when no route is indexable by exact uri (uri-index.ts). */
  uriIndex: UriIndex | null = null;
}

/** Envoy's domain lookup order: exact, then longest `*suffix`, then longest `prefix*`, then `*`. */
export class PortTable {
  port: i64 = 0;
  exact: StringTable<VirtualHost> = new StringTable();
  suffixes: string[] = [];
  suffixHosts: VirtualHost[] = [];
  prefixes: string[] = [];
  prefixHosts: VirtualHost[] = [];
  star: VirtualHost | null = null;

  find(authorityLower: string): VirtualHost | null {
    const exact = this.exact.find(authorityLower);
    if (exact !== null) return exact;
    for (let i = 0; i < this.suffixes.length; i++) {
      const s = unchecked(this.suffixes[i]);
      if (authorityLower.length > s.length && authorityLower.endsWith(s)) return unchecked(this.suffixHosts[i]);
    }
    for (let i = 0; i < this.prefixes.length; i++) {
      const p = unchecked(this.prefixes[i]);
      if (authorityLower.length > p.length && authorityLower.startsWith(p)) return unchecked(this.prefixHosts[i]);
    }
    return this.star;
  }

  addDomain(domain: string, vh: VirtualHost): void {
    const d = toLowerAscii(domain);
    if (d == "*") {
      if (this.star === null) this.star = vh;
    } else if (d.startsWith("*")) {
      insertByLength(this.suffixes, this.suffixHosts, d.substring(1), vh);
    } else if (d.endsWith("*")) {
      insertByLength(this.prefixes, this.prefixHosts, d.substring(0, d.length - 1), vh);
    } else {
      this.exact.getOrInsert(d, vh); // the first virtual host with a domain keeps it
    }
  }
}

/** Keeps `keys` sorted longest first (first registration wins on ties of the same key). */
function insertByLength(keys: string[], hosts: VirtualHost[], key: string, vh: VirtualHost): void {
  let at = keys.length;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] == key) return;
    if (keys[i].length < key.length) {
      at = i;
      break;
    }
  }
  keys.push(key);
  hosts.push(vh);
  for (let i = keys.length - 1; i > at; i--) {
    keys[i] = keys[i - 1];
    hosts[i] = hosts[i - 1];
  }
  keys[at] = key;
  hosts[at] = vh;
}

export class RouterTable {
  ports: Map<i64, PortTable> = new Map();
  /** Look virtual hosts up by the authority without its port (gateways). */
  ignoreHostPort: bool = false;
  slots: SlotNames = new SlotNames();
  routeCount: i32 = 0;
}

const MAX_WEIGHT: f64 = 4294967295;

/** Builds the router table from FilterConfig.router; null with the reason in r.error. */
export function readRouterTable(r: Reader, v: JsonValue | null): RouterTable | null {
  const t = new RouterTable();
  const root = r.object(v, "router");
  t.ignoreHostPort = r.bool(root, "ignoreHostPort", "router", false);
  const ports = r.array(root, "ports", "router", true);
  for (let i = 0; i < ports.length && r.ok(); i++) {
    const path = "router.ports[" + i.toString() + "]";
    const po = r.object(ports[i], path);
    const port = <i64>r.int(po, "port", path, 1, 65535, 0, true);
    if (t.ports.has(port)) {
      r.fail(path + ".port", "duplicate port " + port.toString());
      break;
    }
    const pt = new PortTable();
    pt.port = port;
    t.ports.set(port, pt);
    const hosts = r.array(po, "virtualHosts", path, true);
    for (let j = 0; j < hosts.length && r.ok(); j++) {
      const hpath = path + ".virtualHosts[" + j.toString() + "]";
      const ho = r.object(hosts[j], hpath);
      const vh = new VirtualHost();
      vh.name = r.string(ho, "name", hpath);
      const domains = r.strings(ho, "domains", hpath);
      if (ho.get("domains") === null) r.fail(hpath + ".domains", "is required");
      for (let k = 0; k < domains.length; k++) pt.addDomain(domains[k], vh);
      const routes = r.array(ho, "routes", hpath, true);
      for (let k = 0; k < routes.length && r.ok(); k++) {
        vh.routes.push(readRoute(r, t, routes[k], hpath + ".routes[" + k.toString() + "]"));
        t.routeCount++;
      }
      if (r.ok()) vh.uriIndex = UriIndex.build(vh.routes);
    }
  }
  return r.ok() ? t : null;
}

function readRoute(r: Reader, t: RouterTable, v: JsonValue, path: string): Route {
  const o = r.object(v, path);
  const route = new Route();
  const origin = r.child(o, "origin", path, false);
  if (origin !== null) {
    route.origin = r.string(origin, "kind", path + ".origin") + " " + r.string(origin, "namespace", path + ".origin") + "/" +
      r.string(origin, "name", path + ".origin") + " rule " + (<i64>r.int(origin, "rule", path + ".origin", 0, 1e9, 0)).toString();
  }
  const matches = r.array(o, "matches", path, false);
  for (let i = 0; i < matches.length; i++) route.matches.push(readMatch(r, t, matches[i], path + ".matches[" + i.toString() + "]"));

  let actions = 0;
  if (o.get("destinations") !== null) {
    actions++;
    const dests = r.array(o, "destinations", path, true);
    if (dests.length == 0) r.fail(path + ".destinations", "must not be empty");
    for (let i = 0; i < dests.length; i++) {
      const dpath = path + ".destinations[" + i.toString() + "]";
      const dobj = r.object(dests[i], dpath);
      const d = new Destination();
      d.cluster = r.string(dobj, "cluster", dpath);
      if (d.cluster.length == 0 || !headerValueOk(d.cluster)) r.fail(dpath + ".cluster", "must be a non-empty header-safe string");
      d.clusterBytes = utf8(d.cluster);
      d.weight = r.int(dobj, "weight", dpath, 0, MAX_WEIGHT, 0, true);
      d.requestOps = readOps(r, dobj, "requestHeaders", dpath);
      d.responseOps = readOps(r, dobj, "responseHeaders", dpath);
      if (d.responseOps !== null) route.hasResponseOps = true;
      route.totalWeight += d.weight;
      route.destinations.push(d);
    }
    if (dests.length > 0 && route.totalWeight <= 0) r.fail(path + ".destinations", "weights must not all be 0");
  }
  const redirect = r.child(o, "redirect", path, false);
  if (redirect !== null) {
    actions++;
    const rp = path + ".redirect";
    const rd = new Redirect();
    rd.uri = r.optString(redirect, "uri", rp);
    rd.prefix = r.optString(redirect, "prefix", rp);
    if (rd.uri !== null && rd.prefix !== null) r.fail(rp, "uri and prefix are exclusive");
    rd.authority = r.optString(redirect, "authority", rp);
    rd.scheme = r.optString(redirect, "scheme", rp);
    rd.port = <i32>r.int(redirect, "port", rp, 1, 65535, -1);
    rd.status = <u32>r.int(redirect, "status", rp, 300, 399, 301);
    if (!optHeaderValueOk(rd.uri) || !optHeaderValueOk(rd.prefix) || !optHeaderValueOk(rd.authority) || !optHeaderValueOk(rd.scheme)) r.fail(rp, "values must be header-safe");
    route.redirect = rd;
  }
  const direct = r.child(o, "directResponse", path, false);
  if (direct !== null) {
    actions++;
    route.directStatus = <u32>r.int(direct, "status", path + ".directResponse", 200, 599, 200, true);
    const body = r.optString(direct, "body", path + ".directResponse");
    route.directBody = body === null ? "" : body;
  }
  if (actions != 1) r.fail(path, "needs exactly one of destinations, redirect, directResponse");

  route.requestOps = readOps(r, o, "requestHeaders", path);
  route.responseOps = readOps(r, o, "responseHeaders", path);
  if (route.responseOps !== null) route.hasResponseOps = true;

  const rw = r.child(o, "rewrite", path, false);
  if (rw !== null) {
    const rwp = path + ".rewrite";
    const rewrite = new Rewrite();
    rewrite.uri = r.optString(rw, "uri", rwp);
    if (rewrite.uri !== null && !headerValueOk(<string>rewrite.uri)) r.fail(rwp + ".uri", "must be header-safe");
    rewrite.fullPath = r.optString(rw, "fullPath", rwp);
    if (rewrite.fullPath !== null && !headerValueOk(<string>rewrite.fullPath)) r.fail(rwp + ".fullPath", "must be header-safe");
    if (rewrite.fullPath !== null && rewrite.uri !== null) r.fail(rwp, "uri and fullPath are exclusive");
    const authority = r.optString(rw, "authority", rwp);
    if (authority !== null) {
      if (authority.length == 0 || !headerValueOk(authority)) r.fail(rwp + ".authority", "must be a non-empty header-safe string");
      rewrite.authority = utf8(authority);
    }
    const rx = r.child(rw, "uriRegex", rwp, false);
    if (rx !== null) {
      const pattern = r.string(rx, "match", rwp + ".uriRegex");
      rewrite.substitution = r.string(rx, "substitution", rwp + ".uriRegex");
      const re = compileRegex(pattern);
      if (re === null) r.fail(rwp + ".uriRegex.match", "unsupported regex: " + regexError);
      rewrite.uriRegex = re;
      if (rewrite.uri !== null || rewrite.fullPath !== null) r.fail(rwp, "uriRegex excludes uri and fullPath");
    }
    route.rewrite = rewrite;
  }
  const fault = r.child(o, "fault", path, false);
  if (fault !== null) {
    const fp = path + ".fault";
    const delay = r.child(fault, "delay", fp, false);
    if (delay !== null) {
      route.delayMs = r.int(delay, "fixedDelayMs", fp + ".delay", 0, 86400000, 0, true);
      route.delayPercent = r.number(delay, "percent", fp + ".delay", 0, 100, 100);
    }
    const abort = r.child(fault, "abort", fp, false);
    if (abort !== null) {
      route.abortStatus = <u32>r.int(abort, "httpStatus", fp + ".abort", 200, 599, 500, true);
      route.abortPercent = r.number(abort, "percent", fp + ".abort", 0, 100, 100);
    }
  }
  if (o.get("timeoutMs") !== null) route.timeout = intBytes(r.int(o, "timeoutMs", path, 0, 4294967295, 0));
  const retries = r.child(o, "retries", path, false);
  if (retries !== null) {
    const rp = path + ".retries";
    route.retries = intBytes(r.int(retries, "attempts", rp, 0, 1000000, 0, true));
    if (retries.get("perTryTimeoutMs") !== null) route.perTryTimeout = intBytes(r.int(retries, "perTryTimeoutMs", rp, 0, 4294967295, 0));
    const on = r.optString(retries, "retryOn", rp);
    if (on !== null) {
      if (!headerValueOk(on)) r.fail(rp + ".retryOn", "must be header-safe");
      route.retryOn = utf8(on);
    }
  }
  return route;
}

function readMatch(r: Reader, t: RouterTable, v: JsonValue, path: string): RouteMatch {
  const o = r.object(v, path);
  const m = new RouteMatch();
  m.uri = readStringMatch(r, o.get("uri"), path + ".uri");
  m.method = readStringMatch(r, o.get("method"), path + ".method");
  m.authority = readStringMatch(r, o.get("authority"), path + ".authority");
  const headers = r.array(o, "headers", path, false);
  for (let i = 0; i < headers.length; i++) {
    const km = readKeyMatch(r, headers[i], path + ".headers[" + i.toString() + "]");
    km.name = toLowerAscii(km.name);
    if (km.name.length == 0 || km.name.charCodeAt(0) == 0x3a) r.fail(path + ".headers[" + i.toString() + "].name", "must be a non-empty regular header name");
    km.slot = t.slots.header(km.name);
    m.headers.push(km);
  }
  const query = r.array(o, "queryParams", path, false);
  for (let i = 0; i < query.length; i++) m.queryParams.push(readKeyMatch(r, query[i], path + ".queryParams[" + i.toString() + "]"));
  if (o.get("port") !== null) m.port = <i64>r.int(o, "port", path, 1, 65535, -1);
  return m;
}

function readKeyMatch(r: Reader, v: JsonValue, path: string): KeyMatch {
  const o = r.object(v, path);
  const km = new KeyMatch();
  km.name = r.string(o, "name", path);
  km.value = readStringMatch(r, o.get("value"), path + ".value");
  if (o.get("present") !== null) km.present = r.bool(o, "present", path, true) ? 1 : 0;
  km.invert = r.bool(o, "invert", path, false);
  return km;
}

function readOps(r: Reader, o: JsonObject, key: string, path: string): HeaderOps | null {
  const obj = r.child(o, key, path, false);
  if (obj === null) return null;
  const p = path + "." + key;
  const ops = new HeaderOps();
  const remove = r.strings(obj, "remove", p);
  for (let i = 0; i < remove.length; i++) ops.removeNames.push(headerName(r, remove[i], p + ".remove"));
  const set = r.pairs(obj, "set", p);
  for (let i = 0; i < set.length; i++) {
    ops.setNames.push(headerName(r, set[i][0], p + ".set"));
    ops.setValues.push(headerValue(r, set[i][1], p + ".set"));
  }
  const add = r.pairs(obj, "add", p);
  for (let i = 0; i < add.length; i++) {
    ops.addNames.push(headerName(r, add[i][0], p + ".add"));
    ops.addValues.push(headerValue(r, add[i][1], p + ".add"));
  }
  return ops;
}

function headerName(r: Reader, name: string, path: string): ArrayBuffer {
  const n = toLowerAscii(name);
  if (n.length == 0 || n.charCodeAt(0) == 0x3a || !headerValueOk(n) || n.indexOf(" ") >= 0) r.fail(path, "bad header name \"" + name + "\"");
  return utf8(n);
}

function headerValue(r: Reader, value: string, path: string): ArrayBuffer {
  if (!headerValueOk(value)) r.fail(path, "header values must not contain NUL, CR or LF");
  return utf8(value);
}

function headerValueOk(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0 || c == 0x0a || c == 0x0d) return false;
  }
  return true;
}

function optHeaderValueOk(s: string | null): bool {
  return s === null || headerValueOk(s);
}

function intBytes(n: f64): ArrayBuffer {
  return utf8((<u64>n).toString());
}
