// The current request as the decision code sees it: each attribute is read from the host at most
// once per request, and only when a rule needs it (a request that matches the first route reads
// :authority and the destination port and nothing else). One RequestView is reused for every
// request; begin() invalidates the cache by bumping a generation counter, so reading an
// attribute allocates only its value, and not even that when it repeats the previous request's
// (each attribute has its own Decoder, whose result is then the same string: what was derived
// from it, such as the lower-cased :authority, is kept too).
import { MapType } from "./abi";
import { getHeader } from "./headers";
import { getPropertyBool, getPropertyInt, getPropertyString, getPropertyStringAfter, propertyPath, tryGetProperty } from "./property";
import { Decoder, utf8 } from "./mem";

const AUTHORITY = utf8(":authority");
const PATH = utf8(":path");
const METHOD = utf8(":method");
const SCHEME = utf8(":scheme");
const XFF = utf8("x-forwarded-for");
const DESTINATION_PORT = propertyPath(["destination", "port"]);
const DESTINATION_ADDRESS = propertyPath(["destination", "address"]);
const SOURCE_ADDRESS = propertyPath(["source", "address"]);
const MTLS = propertyPath(["connection", "mtls"]);
const PEER_URI_SAN = propertyPath(["connection", "uri_san_peer_certificate"]);
const SNI = propertyPath(["connection", "requested_server_name"]);
const SPIFFE = utf8("spiffe://");
/** Values of :method and :scheme read without allocating (any other value is decoded). */
const METHODS: string[] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE"];
const SCHEMES: string[] = ["http", "https"];
const AUTHORITY_TEXT = new Decoder();
const PATH_TEXT = new Decoder();
const METHOD_TEXT = new Decoder(METHODS);
const SCHEME_TEXT = new Decoder(SCHEMES);
const PRINCIPAL_TEXT = new Decoder();
const SOURCE_TEXT = new Decoder();

// Bits of RequestView.loaded
const L_AUTHORITY: u32 = 1 << 0;
const L_PATH: u32 = 1 << 1;
const L_METHOD: u32 = 1 << 2;
const L_SCHEME: u32 = 1 << 3;
const L_PORT: u32 = 1 << 4;
const L_MTLS: u32 = 1 << 5;
const L_PRINCIPAL: u32 = 1 << 6;
const L_SOURCE: u32 = 1 << 7;
const L_DEST: u32 = 1 << 8;
const L_SNI: u32 = 1 << 9;
const L_XFF: u32 = 1 << 10;
const L_DPORT: u32 = 1 << 11;

/** Names (header names or property paths) a config refers to, interned to small integers when
 * the config is accepted, so the per-request cache is an array indexed by slot. */
export class SlotNames {
  names: ArrayBuffer[] = [];
  isProperty: bool[] = [];
  private index: Map<string, i32> = new Map();

  /** Slot of a lower-case header name. */
  header(name: string): i32 {
    return this.intern("h:" + name, utf8(name), false);
  }

  /** Slot of a property path (segments joined with NUL by propertyPath). */
  property(segments: string[]): i32 {
    return this.intern("p:" + segments.join("\0"), propertyPath(segments), true);
  }

  private intern(key: string, bytes: ArrayBuffer, isProperty: bool): i32 {
    if (this.index.has(key)) return this.index.get(key);
    const slot = this.names.length;
    this.names.push(bytes);
    this.isProperty.push(isProperty);
    this.index.set(key, slot);
    return slot;
  }
}

export class RequestView {
  private loaded: u32 = 0;
  private gen: u32 = 1;
  private slots: SlotNames = new SlotNames();
  private slotGen: u32[] = [];
  private slotText: (string | null)[] = [];
  private slotRaw: (ArrayBuffer | null)[] = [];

  private _authority: string = "";
  private _authorityLower: string = "";
  private _path: string = "";
  private _pathOnly: string = "";
  private _query: string = "";
  private _method: string = "";
  private _scheme: string = "";
  private _port: i64 = 0;
  private _destPort: i64 = -1;
  private _mtls: bool = false;
  private _principal: string | null = null;
  private _sourceAddress: string = "";
  private _source: string = "";
  private _dest: string = "";
  private _sni: string | null = null;
  private _xff: string = "";

  /** Starts a new request against the slot names of the current config. */
  begin(slots: SlotNames): void {
    this.loaded = 0;
    this.gen++;
    if (this.gen == 0) {
      // wrapped: clear every stamp so no stale slot looks current
      for (let i = 0; i < this.slotGen.length; i++) this.slotGen[i] = 0;
      this.gen = 1;
    }
    this.slots = slots;
    const n = slots.names.length;
    while (this.slotGen.length < n) {
      this.slotGen.push(0);
      this.slotText.push(null);
      this.slotRaw.push(null);
    }
  }

  /** :authority as sent ("" when absent). */
  authority(): string {
    this.loadAuthority();
    return this._authority;
  }

  /** :authority lower-cased (ASCII), for domain and host matching. */
  authorityLower(): string {
    this.loadAuthority();
    return this._authorityLower;
  }

  private loadAuthority(): void {
    if (this.loaded & L_AUTHORITY) return;
    this.loaded |= L_AUTHORITY;
    const v = getHeader(MapType.RequestHeaders, AUTHORITY, AUTHORITY_TEXT);
    const a = v === null ? "" : v;
    if (same(a, this._authority)) return;
    this._authority = a;
    this._authorityLower = toLowerAscii(a);
  }

  /** :path including the query string. */
  fullPath(): string {
    this.loadPath();
    return this._path;
  }

  /** :path without the query string (what uri and paths matches see). */
  path(): string {
    this.loadPath();
    return this._pathOnly;
  }

  /** The query string without "?" ("" when none). */
  query(): string {
    this.loadPath();
    return this._query;
  }

  private loadPath(): void {
    if (this.loaded & L_PATH) return;
    this.loaded |= L_PATH;
    const v = getHeader(MapType.RequestHeaders, PATH, PATH_TEXT);
    const p = v === null ? "" : v;
    if (same(p, this._path)) return;
    this._path = p;
    const q = indexOfCode(this._path, 0x3f, 0); // "?"
    if (q < 0) {
      this._pathOnly = this._path;
      this._query = "";
    } else {
      this._pathOnly = this._path.substring(0, q);
      this._query = this._path.substring(q + 1);
    }
  }

  method(): string {
    if (!(this.loaded & L_METHOD)) {
      this.loaded |= L_METHOD;
      const v = getHeader(MapType.RequestHeaders, METHOD, METHOD_TEXT);
      this._method = v === null ? "" : v;
    }
    return this._method;
  }

  scheme(): string {
    if (!(this.loaded & L_SCHEME)) {
      this.loaded |= L_SCHEME;
      const v = getHeader(MapType.RequestHeaders, SCHEME, SCHEME_TEXT);
      this._scheme = v === null ? "" : v;
    }
    return this._scheme;
  }

  /** destination.port; -1 when the host does not provide it. */
  destinationPort(): i64 {
    if (!(this.loaded & L_DPORT)) {
      this.loaded |= L_DPORT;
      this._destPort = getPropertyInt(DESTINATION_PORT, -1);
    }
    return this._destPort;
  }

  /** The port the request is for: destination.port, else the :authority port, else 80. */
  port(): i64 {
    if (!(this.loaded & L_PORT)) {
      this.loaded |= L_PORT;
      let p = this.destinationPort();
      if (p < 0) p = authorityPort(this.authority());
      this._port = p < 0 ? 80 : p;
    }
    return this._port;
  }

  mtls(): bool {
    if (!(this.loaded & L_MTLS)) {
      this.loaded |= L_MTLS;
      this._mtls = getPropertyBool(MTLS);
    }
    return this._mtls;
  }

  /** The peer's URI SAN without "spiffe://" (Istio source.principal); null without mTLS. */
  principal(): string | null {
    if (!(this.loaded & L_PRINCIPAL)) {
      this.loaded |= L_PRINCIPAL;
      this._principal = getPropertyStringAfter(PEER_URI_SAN, SPIFFE, PRINCIPAL_TEXT);
    }
    return this._principal;
  }

  /** source.address without the port ("" when absent). */
  sourceIp(): string {
    if (!(this.loaded & L_SOURCE)) {
      this.loaded |= L_SOURCE;
      const v = getPropertyString(SOURCE_ADDRESS, SOURCE_TEXT);
      const a = v === null ? "" : v;
      if (!same(a, this._sourceAddress)) {
        this._sourceAddress = a;
        this._source = stripPort(a);
      }
    }
    return this._source;
  }

  /** destination.address without the port ("" when absent). */
  destinationIp(): string {
    if (!(this.loaded & L_DEST)) {
      this.loaded |= L_DEST;
      const v = getPropertyString(DESTINATION_ADDRESS);
      this._dest = v === null ? "" : stripPort(v);
    }
    return this._dest;
  }

  sni(): string | null {
    if (!(this.loaded & L_SNI)) {
      this.loaded |= L_SNI;
      this._sni = getPropertyString(SNI);
    }
    return this._sni;
  }

  /** The client address Istio calls remote.ip: the first x-forwarded-for hop, else source.ip. */
  remoteIp(): string {
    if (!(this.loaded & L_XFF)) {
      this.loaded |= L_XFF;
      const v = getHeader(MapType.RequestHeaders, XFF);
      if (v === null) this._xff = this.sourceIp();
      else {
        const comma = v.indexOf(",");
        this._xff = stripPort(trimAscii(comma < 0 ? v : v.substring(0, comma)));
      }
    }
    return this._xff;
  }

  /** Header value (first value) or property value decoded as UTF-8, by slot; null when absent. */
  text(slot: i32): string | null {
    this.fill(slot);
    return unchecked(this.slotText[slot]);
  }

  /** Raw property bytes by slot (lists arrive in the pairs encoding); null when absent. */
  raw(slot: i32): ArrayBuffer | null {
    this.fill(slot);
    return unchecked(this.slotRaw[slot]);
  }

  private fill(slot: i32): void {
    if (unchecked(this.slotGen[slot]) == this.gen) return;
    unchecked((this.slotGen[slot] = this.gen));
    const name = unchecked(this.slots.names[slot]);
    if (unchecked(this.slots.isProperty[slot])) {
      const v = tryGetProperty(name);
      unchecked((this.slotRaw[slot] = v));
      unchecked((this.slotText[slot] = v === null ? null : String.UTF8.decode(v)));
    } else {
      unchecked((this.slotRaw[slot] = null));
      unchecked((this.slotText[slot] = getHeader(MapType.RequestHeaders, name)));
    }
  }
}

/** The shared per-request view (one request is handled at a time per VM). */
export const request = new RequestView();

/** Whether `a` and `b` are the same string object (a Decoder's repeat of its last result). */
export function same(a: string, b: string): bool {
  return changetype<usize>(a) == changetype<usize>(b);
}

/** ASCII lower-case; returns `s` itself when it has no upper-case letters (no allocation). */
export function toLowerAscii(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) break;
    i++;
  }
  if (i == n) return s;
  // ASCII only (header names, hosts): String#toLowerCase would pull in the Unicode tables.
  const out = changetype<string>(__new(n << 1, idof<string>()));
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    store<u16>(changetype<usize>(out) + (<usize>j << 1), c >= 0x41 && c <= 0x5a ? c + 32 : c);
  }
  return out;
}

/** The port of an authority ("host:8080", "[::1]:8080"), or -1 when none or not a number. */
export function authorityPort(authority: string): i64 {
  const colon = authority.lastIndexOf(":");
  if (colon < 0) return -1;
  if (authority.indexOf("]") > colon) return -1; // IPv6 literal without port
  if (authority.indexOf(":") != colon && authority.charCodeAt(0) != 0x5b) return -1; // bare IPv6
  const n = authority.length - colon - 1;
  if (n == 0 || n > 5) return -1;
  let p: i64 = 0;
  for (let i = colon + 1; i < authority.length; i++) {
    const c = authority.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    p = p * 10 + (c - 0x30);
  }
  return p <= 65535 ? p : -1;
}

/** "host:8080" -> "host", "[::1]:80" -> "[::1]"; a bare IPv6 address or a host without a port
 * is returned as is. */
export function hostWithoutPort(host: string): string {
  const colon = host.lastIndexOf(":");
  if (colon <= 0) return host;
  if (host.lastIndexOf("]") > colon) return host;
  if (host.charCodeAt(0) != 0x5b && host.indexOf(":") != colon) return host; // bare IPv6
  return host.substring(0, colon);
}

/** "10.0.0.1:80" -> "10.0.0.1", "[::1]:80" -> "::1", "::1" -> "::1". */
export function stripPort(addr: string): string {
  if (addr.length > 0 && addr.charCodeAt(0) == 0x5b) {
    const end = addr.indexOf("]");
    return end < 0 ? addr : addr.substring(1, end);
  }
  const colon = addr.indexOf(":");
  if (colon < 0) return addr;
  if (addr.indexOf(":", colon + 1) >= 0) return addr; // bare IPv6
  return addr.substring(0, colon);
}

/** Index of the first `code` unit at or after `from`, or -1. String#indexOf compares the whole
 * needle at every position through memory.compare: far slower for one character. */
export function indexOfCode(s: string, code: i32, from: i32): i32 {
  const chars = changetype<usize>(s);
  for (let i = max(from, 0); i < s.length; i++) if (<i32>load<u16>(chars + (<usize>i << 1)) == code) return i;
  return -1;
}

export function trimAscii(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) == 0x20 || s.charCodeAt(a) == 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) == 0x20 || s.charCodeAt(b - 1) == 0x09)) b--;
  return a == 0 && b == s.length ? s : s.substring(a, b);
}
