// Envoy attributes (proxy_get_property): a tree the caller fills per host and per stream, plus
// request.* / response.* derived from the stream's live headers. Paths arrive NUL-separated;
// values are serialized as Envoy does (strings raw, bool 1 byte, ints 8 bytes LE, doubles
// 8 bytes, maps/lists in the pairs format).
import { AbiMisuse, WasmResult } from "./abi.ts";
import { HeaderMap } from "./headers.ts";
import { encodeUtf8 } from "./memory.ts";
import { encodePairs } from "./pairs.ts";

export type PropertyValue = string | boolean | number | bigint | Uint8Array | string[] | PropertyTree[] | HeaderMap | PropertyTree;
export interface PropertyTree {
  [segment: string]: PropertyValue | undefined;
}

/** Walks `tree` by path segments; undefined when any segment is missing. A list is indexed by a
 *  decimal segment, as Envoy's getProperty does (`cluster_metadata…services\00\0host`). */
export function lookupProperty(tree: PropertyTree | undefined, segments: readonly string[]): PropertyValue | undefined {
  let node: PropertyValue | undefined = tree;
  for (const seg of segments) {
    if (node instanceof HeaderMap) node = node.has(seg) ? node.getAll(seg).join(",") : undefined;
    else if (Array.isArray(node)) node = /^\d+$/.test(seg) ? node[Number(seg)] : undefined;
    else if (isTree(node)) node = Object.hasOwn(node, seg) ? node[seg] : undefined;
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function isTree(v: PropertyValue | undefined): v is PropertyTree {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array) && !(v instanceof HeaderMap) && !Array.isArray(v);
}

/** Envoy's serializeValue. A message-like subtree (object with non-string leaves) cannot be
 * serialized here (Envoy would send binary protobuf): request a leaf instead. */
export function serializeProperty(value: PropertyValue, path: string): Uint8Array {
  if (typeof value === "string") return encodeUtf8(value);
  if (typeof value === "boolean") return Uint8Array.of(value ? 1 : 0);
  if (typeof value === "bigint") return int64(value);
  if (typeof value === "number") {
    if (Number.isInteger(value)) return int64(BigInt(value));
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, value, true);
    return out;
  }
  if (value instanceof Uint8Array) return value;
  if (value instanceof HeaderMap) return encodePairs(Object.entries(value.toObject()));
  if (Array.isArray(value)) {
    if (!value.every((v): v is string => typeof v === "string")) throw new AbiMisuse(WasmResult.SerializationFailure, `property ${path} is a list of messages; ask for one of its fields`);
    return encodePairs(value.map((v) => [v, ""] as const));
  }
  const entries = Object.entries(value).filter((e): e is [string, PropertyValue] => e[1] !== undefined);
  if (entries.every(([, v]) => typeof v === "string")) return encodePairs(entries as [string, string][]);
  throw new AbiMisuse(WasmResult.SerializationFailure, `property ${path} is a message, not a leaf; ask for one of its fields`);
}

function int64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, v), true);
  return out;
}

/** request.* from the live request headers (what Envoy reads when the filter asks). */
export function derivedRequest(headers: HeaderMap, protocol: string): PropertyTree {
  const path = headers.get(":path") ?? "";
  const q = path.indexOf("?");
  const tree: PropertyTree = {
    path,
    url_path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? "" : path.slice(q + 1),
    host: headers.get(":authority") ?? "",
    scheme: headers.get(":scheme") ?? "",
    method: headers.get(":method") ?? "",
    headers,
    protocol,
  };
  const optional: [string, string][] = [["id", "x-request-id"], ["useragent", "user-agent"], ["referer", "referer"]];
  for (const [attr, header] of optional) {
    const v = headers.get(header);
    if (v !== undefined) tree[attr] = v;
  }
  return tree;
}

/** response.* from the live response headers (present once response headers exist). */
export function derivedResponse(headers: HeaderMap): PropertyTree | undefined {
  const status = headers.get(":status");
  if (status === undefined) return undefined;
  return { code: Number(status), headers };
}

/** Peer identity as Envoy exposes it: connection.mtls, connection.uri_san_peer_certificate
 * (the SPIFFE id Istio calls source.principal), source.address/port. */
export function peerProperties(peer: { principal?: string; mtls?: boolean; address?: string; port?: number }): PropertyTree {
  const connection: PropertyTree = { mtls: peer.mtls ?? peer.principal !== undefined };
  if (peer.principal !== undefined) connection.uri_san_peer_certificate = peer.principal;
  const source: PropertyTree = {};
  if (peer.address !== undefined) source.address = peer.port === undefined ? peer.address : `${peer.address}:${peer.port}`;
  if (peer.port !== undefined) source.port = peer.port;
  return { connection, source };
}

/** jwt_authn's verified payload in dynamic metadata, as requestPrincipals reads it:
 * metadata.filter_metadata["envoy.filters.http.jwt_authn"][key] = claims. */
export function jwtPayloadProperties(claims: PropertyTree, key = "payload"): PropertyTree {
  return { metadata: { filter_metadata: { "envoy.filters.http.jwt_authn": { [key]: claims } } } };
}

/** Deep merge of property trees (later wins on leaves). */
export function mergeProperties(...trees: (PropertyTree | undefined)[]): PropertyTree {
  const out: PropertyTree = {};
  for (const tree of trees) {
    if (!tree) continue;
    for (const [k, v] of Object.entries(tree)) {
      const prev = out[k];
      out[k] = isTree(prev) && isTree(v) ? mergeProperties(prev, v) : v;
    }
  }
  return out;
}
