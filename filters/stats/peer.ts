// Peer metadata exchange, Istio's HTTP form (istio/proxy peer_metadata filter, "istio_headers"
// discovery): a sidecar sends its node metadata in `x-envoy-peer-metadata` (base64 of a serialized
// google.protobuf.Struct: NAMESPACE, WORKLOAD_NAME, CLUSTER_ID, LABELS {app, version}) and its
// node id in `x-envoy-peer-metadata-id`, on the request when it is the client and on the response
// when it is the server. The receiver decodes the Struct once per peer id and keeps the result.

/** What the standard labels need from a node. */
export class Node {
  workload: string = "";
  namespace: string = "";
  app: string = "";
  version: string = "";
  cluster: string = "";
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (<u32>bytes[i] << 16) | (<u32>bytes[i + 1] << 8) | <u32>bytes[i + 2];
    out += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) + B64.charAt((n >> 6) & 63) + B64.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest == 1) {
    const n = <u32>bytes[i] << 16;
    out += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) + "==";
  } else if (rest == 2) {
    const n = (<u32>bytes[i] << 16) | (<u32>bytes[i + 1] << 8);
    out += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) + B64.charAt((n >> 6) & 63) + "=";
  }
  return out;
}

function b64Value(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b || c == 0x2d) return 62; // "+" (and "-", URL-safe)
  if (c == 0x2f || c == 0x5f) return 63; // "/" (and "_")
  return -1;
}

/** Standard base64, padding optional; null on any other character. */
export function base64Decode(s: string): Uint8Array | null {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) == 0x3d) end--;
  const out = new Uint8Array((end * 3) >> 2);
  let acc: u32 = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const v = b64Value(s.charCodeAt(i));
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (at < out.length) out[at++] = <u8>((acc >> <u32>bits) & 0xff);
    }
  }
  return out;
}

// ---------------------------------------------------------------- google.protobuf.Struct

class Writer {
  bytes: u8[] = [];

  varint(v: u32): void {
    while (v >= 0x80) {
      this.bytes.push(<u8>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    this.bytes.push(<u8>v);
  }

  /** A length-delimited field. */
  field(tag: u32, body: u8[]): void {
    this.varint(tag);
    this.varint(<u32>body.length);
    for (let i = 0; i < body.length; i++) this.bytes.push(body[i]);
  }
}

function utf8Bytes(s: string): u8[] {
  const buf = Uint8Array.wrap(String.UTF8.encode(s));
  const out = new Array<u8>(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = buf[i];
  return out;
}

/** Struct.fields entry `key` → Value{string_value | struct_value}. */
function entry(out: Writer, key: string, value: u8[], valueTag: u32): void {
  const v = new Writer();
  v.field(valueTag, value);
  const e = new Writer();
  e.field(0x0a, utf8Bytes(key));
  e.field(0x12, v.bytes);
  out.field(0x0a, e.bytes);
}

/** The Struct a node sends: only the fields that are set (Istio leaves empty ones out). */
export function encodeNode(n: Node): Uint8Array {
  const s = new Writer();
  if (n.cluster.length > 0) entry(s, "CLUSTER_ID", utf8Bytes(n.cluster), 0x1a);
  const labels = new Writer();
  if (n.app.length > 0) entry(labels, "app", utf8Bytes(n.app), 0x1a);
  if (n.version.length > 0) entry(labels, "version", utf8Bytes(n.version), 0x1a);
  if (labels.bytes.length > 0) entry(s, "LABELS", labels.bytes, 0x2a);
  if (n.namespace.length > 0) entry(s, "NAMESPACE", utf8Bytes(n.namespace), 0x1a);
  if (n.workload.length > 0) entry(s, "WORKLOAD_NAME", utf8Bytes(n.workload), 0x1a);
  const out = new Uint8Array(s.bytes.length);
  for (let i = 0; i < s.bytes.length; i++) out[i] = s.bytes[i];
  return out;
}

class Reader {
  at: i32;
  /** The bounds of the field next() stopped at. */
  start: i32 = 0;
  len: i32 = 0;

  constructor(public buf: Uint8Array, start: i32, public end: i32) {
    this.at = start;
  }

  /** A varint, or -1 when malformed / past the end (lengths here stay far below 2^31). */
  private varint(): i64 {
    let v: i64 = 0;
    let shift: i64 = 0;
    while (this.at < this.end && shift < 64) {
      const b = <i64>this.buf[this.at++];
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7;
    }
    return -1;
  }

  /** Moves past the next length-delimited field (skipping fields of other wire types): its tag,
   * with start/len bounding it; 0 at the end; -1 when malformed. */
  next(): i64 {
    while (this.at < this.end) {
      const tag = this.varint();
      if (tag < 0) return -1;
      const wire = <i32>(tag & 7);
      if (wire == 2) {
        const n = this.varint();
        if (n < 0 || this.at + <i32>n > this.end) return -1;
        this.start = this.at;
        this.len = <i32>n;
        this.at += <i32>n;
        return tag;
      }
      if (wire == 0) {
        if (this.varint() < 0) return -1;
      } else if (wire == 1) this.at += 8;
      else if (wire == 5) this.at += 4;
      else return -1;
      if (this.at > this.end) return -1;
    }
    return 0;
  }

  /** The current field as UTF-8 text. */
  text(): string {
    return String.UTF8.decodeUnsafe(this.buf.dataStart + <usize>this.start, <usize>this.len);
  }

  /** A reader over the current field's bytes. */
  inner(): Reader {
    return new Reader(this.buf, this.start, this.start + this.len);
  }
}

/** Reads a Struct's string fields (and the LABELS struct's) into `n`; false when malformed.
 * Struct: repeated FieldsEntry fields = 1 {key = 1, Value value = 2}; Value: string_value = 3,
 * struct_value = 5 (other kinds are skipped). */
function readStruct(r: Reader, n: Node, labels: bool): bool {
  for (let tag = r.next(); tag != 0; tag = r.next()) {
    if (tag < 0) return false;
    if (tag != 0x0a) continue;
    const e = r.inner();
    let key = "";
    let text: string | null = null;
    let struct: Reader | null = null;
    for (let t = e.next(); t != 0; t = e.next()) {
      if (t < 0) return false;
      if (t == 0x0a) key = e.text();
      else if (t == 0x12) {
        const v = e.inner();
        for (let vt = v.next(); vt != 0; vt = v.next()) {
          if (vt < 0) return false;
          if (vt == 0x1a) text = v.text();
          else if (vt == 0x2a) struct = v.inner();
        }
      }
    }
    if (labels) {
      if (text === null) continue;
      if (key == "app") n.app = text;
      else if (key == "version") n.version = text;
    } else if (key == "LABELS") {
      if (struct !== null && !readStruct(<Reader>struct, n, true)) return false;
    } else if (text !== null) {
      if (key == "NAMESPACE") n.namespace = text;
      else if (key == "WORKLOAD_NAME") n.workload = text;
      else if (key == "CLUSTER_ID") n.cluster = text;
    }
  }
  return true;
}

/** The node in an `x-envoy-peer-metadata` value; null when it is not base64 of a Struct. */
export function decodeNode(header: string): Node | null {
  const bytes = base64Decode(header);
  if (bytes === null) return null;
  const n = new Node();
  return readStruct(new Reader(bytes, 0, bytes.length), n, false) ? n : null;
}
