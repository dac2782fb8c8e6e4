// Istio's standard HTTP metrics (istio_requests_total, istio_request_duration_milliseconds,
// istio_request_bytes, istio_response_bytes), recorded at the end of each stream through the
// proxy-wasm metric ABI, so the module runs unchanged in Envoy. Placed first in each HTTP chain
// (it must see streams that authz or the router answer locally).
//
// Plugin configuration `{"direction": "outbound" | "inbound"}`: on a client sidecar's or a
// gateway's outbound chain the reporter is `source`, on a server sidecar's inbound chain
// `destination` (Istio's stats_outbound / stats_inbound). The peer's identity comes from Istio's
// metadata exchange headers (peer.ts): a client sends its node on the request, a server on the
// response; the receiving side removes them. Principals come from the TLS attributes as
// istio/proxy reads them (inbound: connection.uri_san_*; outbound: upstream.uri_san_*), and
// connection_security_policy is reported on the inbound side only (`unknown` at the source, as in
// Istio). Labels are encoded in the metric name (control/stats/stat-tags.ts says how Envoy and
// the dev proxy turn them back into labels); every value comes from node metadata, TLS identity,
// the cluster name or response status, never from the path or other request data, so the number
// of series stays bounded by the mesh's shape.
export * from "../lib/exports";
export * from "../lib/stream-exports";
export * from "../lib/log-exports";
import { Action, MapType, proxy_define_metric, proxy_increment_metric, proxy_record_metric } from "../lib/abi";
import { readPluginConfiguration } from "../lib/config";
import { Filter, registerFilter } from "../lib/filter";
import { getHeader, removeHeader, setHeaderBytes } from "../lib/headers";
import { parseJson } from "../lib/json";
import { logError } from "../lib/log";
import { Decoder, OUT_U32, utf8 } from "../lib/mem";
import { getPropertyBool, getPropertyInt, getPropertyString, propertyPath } from "../lib/property";
import { same } from "../lib/request";
import { orUnknown, responseFlags, serviceHost, serviceName } from "./labels";
import { base64Encode, decodeNode, encodeNode, Node } from "./peer";

const PEER_ID = utf8("x-envoy-peer-metadata-id");
const PEER_METADATA = utf8("x-envoy-peer-metadata");
const AUTHORITY = utf8(":authority");
const CONTENT_TYPE = utf8("content-type");

const NODE_ID = propertyPath(["xds", "node", "id"]);
const CLUSTER_NAME = propertyPath(["xds", "cluster_name"]);
const RESPONSE_CODE = propertyPath(["response", "code"]);
const RESPONSE_FLAGS = propertyPath(["response", "flags"]);
const GRPC_STATUS = propertyPath(["response", "grpc_status"]);
const DURATION = propertyPath(["request", "duration"]);
const REQUEST_SIZE = propertyPath(["request", "total_size"]);
const RESPONSE_SIZE = propertyPath(["response", "total_size"]);
const MTLS = propertyPath(["connection", "mtls"]);
const DOWNSTREAM_PEER_SAN = propertyPath(["connection", "uri_san_peer_certificate"]);
const DOWNSTREAM_LOCAL_SAN = propertyPath(["connection", "uri_san_local_certificate"]);
const UPSTREAM_PEER_SAN = propertyPath(["upstream", "uri_san_peer_certificate"]);
const UPSTREAM_LOCAL_SAN = propertyPath(["upstream", "uri_san_local_certificate"]);

// Repeated per request: decoded once, then the same string (see Decoder).
const PEER_ID_TEXT = new Decoder();
const CLUSTER_TEXT = new Decoder();
const AUTHORITY_TEXT = new Decoder();
const SOURCE_SAN_TEXT = new Decoder();
const DESTINATION_SAN_TEXT = new Decoder();

const COUNTER: u32 = 0;
const HISTOGRAM: u32 = 2;
/** Peers remembered by id; a mesh has as many as it has workloads, so this is a safety net. */
const MAX_PEERS = 1024;

/** xds.node.metadata.<path> as a string ("" when absent). */
function nodeMetadata(path: string[]): string {
  const v = getPropertyString(propertyPath(["xds", "node", "metadata"].concat(path)));
  return v === null ? "" : v;
}

function label(name: string, value: string): string {
  return name + "=.=" + value + ";.;";
}

/** "outbound" or "inbound" from the plugin configuration; null for anything else. */
function readDirection(text: string): string | null {
  const doc = parseJson(text);
  if (doc === null) return null;
  const obj = doc.asObject();
  if (obj === null) return null;
  const d = obj.getString("direction");
  return d !== null && (d == "outbound" || d == "inbound") ? d : null;
}

/** The four metric ids of one label set. */
class Series {
  requests: u32 = 0;
  duration: u32 = 0;
  requestBytes: u32 = 0;
  responseBytes: u32 = 0;
}

function define(type: u32, name: string): u32 {
  const bytes = utf8(name);
  if (proxy_define_metric(type, changetype<usize>(bytes), bytes.byteLength, OUT_U32) != 0) abort("proxy_define_metric failed: " + name);
  return load<u32>(OUT_U32);
}

class Stats extends Filter {
  outbound: bool = true;
  local: Node = new Node();
  localId: ArrayBuffer = new ArrayBuffer(0);
  localMetadata: ArrayBuffer = new ArrayBuffer(0);
  /** The peer each open stream learned from the exchange headers, by context id. */
  peers: Map<u32, Node> = new Map();
  /** Peers by id, and the last one (a connection's requests repeat it: compared by identity). */
  known: Map<string, Node> = new Map();
  lastPeerId: string = "";
  lastPeer: Node | null = null;
  /** Metric ids by the encoded label set. */
  series: Map<string, Series> = new Map();

  onConfigure(size: u32): bool {
    const text = readPluginConfiguration(size);
    if (text === null) return false;
    const direction = readDirection(text);
    if (direction === null) {
      logError('stats plugin configuration needs {"direction": "outbound" | "inbound"}, got ' + text);
      return false;
    }
    this.outbound = direction == "outbound";
    const n = new Node();
    n.workload = nodeMetadata(["WORKLOAD_NAME"]);
    n.namespace = nodeMetadata(["NAMESPACE"]);
    n.cluster = nodeMetadata(["CLUSTER_ID"]);
    n.app = nodeMetadata(["LABELS", "app"]);
    n.version = nodeMetadata(["LABELS", "version"]);
    this.local = n;
    const id = getPropertyString(NODE_ID);
    this.localId = utf8(id === null ? "" : id);
    this.localMetadata = utf8(base64Encode(encodeNode(n)));
    return true;
  }

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    if (this.outbound) this.announce(MapType.RequestHeaders);
    else this.learn(ctx, MapType.RequestHeaders);
    return Action.Continue;
  }

  onResponseHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    if (this.outbound) this.learn(ctx, MapType.ResponseHeaders);
    else this.announce(MapType.ResponseHeaders);
    return Action.Continue;
  }

  /** Sends this node's metadata (replacing whatever the app or a client put there). */
  private announce(map: i32): void {
    setHeaderBytes(map, PEER_ID, this.localId);
    setHeaderBytes(map, PEER_METADATA, this.localMetadata);
  }

  /** Takes the peer's metadata off `map` and remembers it for the stream. */
  private learn(ctx: u32, map: i32): void {
    const id = getHeader(map, PEER_ID, PEER_ID_TEXT);
    if (id === null) return;
    let peer: Node | null = null;
    if (this.lastPeer !== null && same(id, this.lastPeerId)) peer = this.lastPeer;
    else if (this.known.has(id)) peer = this.known.get(id);
    else {
      const md = getHeader(map, PEER_METADATA);
      peer = md === null ? null : decodeNode(md);
      if (peer !== null) {
        if (this.known.size >= MAX_PEERS) this.known.clear();
        this.known.set(id, peer);
      }
    }
    removeHeader(map, PEER_ID);
    removeHeader(map, PEER_METADATA);
    if (peer === null) return;
    this.lastPeerId = id;
    this.lastPeer = peer;
    this.peers.set(ctx, peer);
  }

  onLog(ctx: u32): void {
    const peer = this.peers.has(ctx) ? this.peers.get(ctx) : new Node();
    this.peers.delete(ctx);
    const s = this.seriesFor(peer);
    proxy_increment_metric(s.requests, 1);
    proxy_record_metric(s.duration, <u64>getPropertyInt(DURATION, 0) / 1_000_000);
    proxy_record_metric(s.requestBytes, <u64>max<i64>(getPropertyInt(REQUEST_SIZE, 0), 0));
    proxy_record_metric(s.responseBytes, <u64>max<i64>(getPropertyInt(RESPONSE_SIZE, 0), 0));
  }

  onDelete(ctx: u32): void {
    this.peers.delete(ctx);
  }

  /** The label set of the stream being logged, and its metric ids (defined on first use). */
  private seriesFor(peer: Node): Series {
    const source = this.outbound ? this.local : peer;
    const destination = this.outbound ? peer : this.local;
    const sourcePrincipal = getPropertyString(this.outbound ? UPSTREAM_LOCAL_SAN : DOWNSTREAM_PEER_SAN, SOURCE_SAN_TEXT);
    const destinationPrincipal = getPropertyString(this.outbound ? UPSTREAM_PEER_SAN : DOWNSTREAM_LOCAL_SAN, DESTINATION_SAN_TEXT);
    const cluster = getPropertyString(CLUSTER_NAME, CLUSTER_TEXT);
    const authority = getHeader(MapType.RequestHeaders, AUTHORITY, AUTHORITY_TEXT);
    const host = serviceHost(cluster === null ? "" : cluster, authority === null ? "" : authority, source.namespace);
    const contentType = getHeader(MapType.RequestHeaders, CONTENT_TYPE);
    const grpc = contentType !== null && contentType.startsWith("application/grpc");
    const security = this.outbound ? "unknown" : getPropertyBool(MTLS) ? "mutual_tls" : "none";
    const key =
      label("reporter", this.outbound ? "source" : "destination") +
      label("source_workload", orUnknown(source.workload)) +
      label("source_workload_namespace", orUnknown(source.namespace)) +
      label("source_principal", orUnknown(sourcePrincipal === null ? "" : sourcePrincipal)) +
      label("source_app", orUnknown(source.app)) +
      label("source_version", orUnknown(source.version)) +
      label("source_cluster", orUnknown(source.cluster)) +
      label("destination_workload", orUnknown(destination.workload)) +
      label("destination_workload_namespace", orUnknown(destination.namespace)) +
      label("destination_principal", orUnknown(destinationPrincipal === null ? "" : destinationPrincipal)) +
      label("destination_app", orUnknown(destination.app)) +
      label("destination_version", orUnknown(destination.version)) +
      label("destination_service", orUnknown(host)) +
      label("destination_service_name", orUnknown(serviceName(host, destination.namespace))) +
      label("destination_service_namespace", orUnknown(destination.namespace)) +
      label("destination_cluster", orUnknown(destination.cluster)) +
      label("request_protocol", grpc ? "grpc" : "http") +
      label("response_flags", responseFlags(<u64>getPropertyInt(RESPONSE_FLAGS, 0))) +
      label("connection_security_policy", security) +
      label("response_code", getPropertyInt(RESPONSE_CODE, 0).toString()) +
      label("grpc_response_status", grpc ? getPropertyInt(GRPC_STATUS, 2).toString() : "");
    if (this.series.has(key)) return this.series.get(key);
    const s = new Series();
    s.requests = define(COUNTER, key + "istio_requests_total");
    s.duration = define(HISTOGRAM, key + "istio_request_duration_milliseconds");
    s.requestBytes = define(HISTOGRAM, key + "istio_request_bytes");
    s.responseBytes = define(HISTOGRAM, key + "istio_response_bytes");
    this.series.set(key, s);
    return s;
  }
}

registerFilter(new Stats());
