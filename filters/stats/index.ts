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
// the cluster name and metadata or response status, never from the path or other request data, so the number
// of series stays bounded by the mesh's shape.
export * from "../lib/exports";
// Response headers (the exchange) and the log; no proxy_on_delete: a stream's state goes in its
// proxy_on_log, which Envoy calls for every stream the filter saw.
export * from "../lib/response-exports";
export * from "../lib/log-exports";
import { Action, MapType, proxy_increment_metric, proxy_record_metric } from "../lib/abi";
import { readPluginConfiguration } from "../lib/config";
import { Filter, registerFilter } from "../lib/filter";
import { getHeader, removeHeader, setHeaderBytes } from "../lib/headers";
import { parseJson } from "../lib/json";
import { logError } from "../lib/log";
import { Decoder, utf8 } from "../lib/mem";
import { getPropertyBool, getPropertyInt, getPropertyString, propertyPath } from "../lib/property";
import { same } from "../lib/request";
import { clusterHostAt } from "./labels";
import { base64Encode, decodeNode, encodeNode, Node } from "./peer";
import { Inputs, SeriesTable } from "./series";
import { StreamPeers } from "./stream-peers";

const PEER_ID = utf8("x-envoy-peer-metadata-id");
const PEER_METADATA = utf8("x-envoy-peer-metadata");
const AUTHORITY = utf8(":authority");
const CONTENT_TYPE = utf8("content-type");

const NODE_ID = propertyPath(["xds", "node", "id"]);
const CLUSTER_NAME = propertyPath(["xds", "cluster_name"]);
// An inbound cluster (inbound|9080||) names no service: Istio lists the Services that select the
// workload on that port in the cluster's metadata, and istio/proxy takes the first.
const CLUSTER_SERVICE_HOST = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "host"]);
const CLUSTER_SERVICE_NAME = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "name"]);
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
const SERVICE_HOST_TEXT = new Decoder();
const SERVICE_NAME_TEXT = new Decoder();
const AUTHORITY_TEXT = new Decoder();
const CONTENT_TYPE_TEXT = new Decoder();
const SOURCE_SAN_TEXT = new Decoder();
const DESTINATION_SAN_TEXT = new Decoder();

/** Peers remembered by id; a mesh has as many as it has workloads, so this is a safety net. */
const MAX_PEERS = 1024;

/** xds.node.metadata.<path> as a string ("" when absent). */
function nodeMetadata(path: string[]): string {
  const v = getPropertyString(propertyPath(["xds", "node", "metadata"].concat(path)));
  return v === null ? "" : v;
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

class Stats extends Filter {
  outbound: bool = true;
  localId: ArrayBuffer = new ArrayBuffer(0);
  localMetadata: ArrayBuffer = new ArrayBuffer(0);
  peers: StreamPeers = new StreamPeers();
  /** Peers by id, and the last one (a connection's requests repeat it: compared by identity). */
  known: Map<string, Node> = new Map();
  lastPeerId: string = "";
  lastPeer: Node | null = null;
  /** The last cluster name (its Decoder repeats the same string) and whether it names the service. */
  lastCluster: string = "";
  lastClusterNamed: bool = false;
  table: SeriesTable = new SeriesTable(true, new Node());

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
    const id = getPropertyString(NODE_ID);
    this.localId = utf8(id === null ? "" : id);
    this.localMetadata = utf8(base64Encode(encodeNode(n)));
    this.table = new SeriesTable(this.outbound, n);
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
    const x = inputs;
    x.peer = this.peers.take(ctx);
    x.sourcePrincipal = textOf(getPropertyString(this.outbound ? UPSTREAM_LOCAL_SAN : DOWNSTREAM_PEER_SAN, SOURCE_SAN_TEXT));
    x.destinationPrincipal = textOf(getPropertyString(this.outbound ? UPSTREAM_PEER_SAN : DOWNSTREAM_LOCAL_SAN, DESTINATION_SAN_TEXT));
    x.cluster = textOf(getPropertyString(CLUSTER_NAME, CLUSTER_TEXT));
    if (!same(x.cluster, this.lastCluster)) {
      this.lastCluster = x.cluster;
      this.lastClusterNamed = clusterHostAt(x.cluster) >= 0;
    }
    const named = this.lastClusterNamed;
    // istio/proxy: the service's name and host from the cluster's metadata when it has them.
    x.serviceName = named ? "" : textOf(getPropertyString(CLUSTER_SERVICE_NAME, SERVICE_NAME_TEXT));
    x.serviceHost = x.serviceName.length == 0 ? "" : textOf(getPropertyString(CLUSTER_SERVICE_HOST, SERVICE_HOST_TEXT));
    // The :authority names the service only when neither the cluster's name nor its metadata does.
    x.authority = named || x.serviceName.length > 0 ? "" : textOf(getHeader(MapType.RequestHeaders, AUTHORITY, AUTHORITY_TEXT));
    x.code = getPropertyInt(RESPONSE_CODE, 0);
    x.flags = getPropertyInt(RESPONSE_FLAGS, 0);
    const contentType = getHeader(MapType.RequestHeaders, CONTENT_TYPE, CONTENT_TYPE_TEXT);
    x.grpcStatus = contentType !== null && contentType.startsWith("application/grpc") ? getPropertyInt(GRPC_STATUS, 2) : -1;
    x.mtls = !this.outbound && getPropertyBool(MTLS);
    const s = this.table.lookup(x);
    proxy_increment_metric(s.requests, 1);
    proxy_record_metric(s.duration, <u64>max<i64>(getPropertyInt(DURATION, 0), 0) / 1_000_000);
    proxy_record_metric(s.requestBytes, <u64>max<i64>(getPropertyInt(REQUEST_SIZE, 0), 0));
    proxy_record_metric(s.responseBytes, <u64>max<i64>(getPropertyInt(RESPONSE_SIZE, 0), 0));
  }
}

/** The inputs of the stream being logged (one at a time per VM: reused, never reallocated). */
const inputs = new Inputs();

function textOf(v: string | null): string {
  return v === null ? "" : v;
}

registerFilter(new Stats());
