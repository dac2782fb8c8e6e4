// What Envoy knows about a stream when it calls the filters' proxy_on_log, as the attributes the
// stats filter reads: request.duration (ns), request.total_size / response.total_size (header
// bytes, as HeaderMap::byteSize counts them, plus body bytes), response.flags (Envoy's
// ResponseFlag bits), xds.cluster_name and xds.cluster_metadata, and the upstream connection's
// TLS identities.
import type { HeaderMap, PropertyTree } from "../../control/wasmhost/index.ts";

/** Envoy's ResponseFlag bits (envoy/stream_info/stream_info.h) for what the dev proxy can tell. */
export const RESPONSE_FLAG = {
  NoHealthyUpstream: 0x2,
  UpstreamRequestTimeout: 0x4,
  UpstreamConnectionFailure: 0x20,
  UpstreamConnectionTermination: 0x40,
  NoRouteFound: 0x100,
  DelayInjected: 0x200,
  FaultInjected: 0x400,
  NoClusterFound: 0x1000000,
} as const;

/** The upstream a request went to: its cluster (and the cluster's metadata, as Envoy's
 *  Cluster.metadata) and, over mesh mTLS, both certificates' URI SANs. */
export interface UpstreamInfo {
  cluster: string;
  metadata?: PropertyTree;
  localPrincipal?: string;
  peerPrincipal?: string;
}

/** Envoy's HeaderMap::byteSize: the names' and values' bytes. */
function headerBytes(h: HeaderMap): number {
  let n = 0;
  for (const [k, v] of h.pairs()) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

export class StreamLog {
  private readonly start = process.hrtime.bigint();
  /** Request body bytes (the Content-Length; a chunked body counts 0). */
  requestBodyBytes = 0;
  responseBodyBytes = 0;
  flags = 0;
  upstream: UpstreamInfo | undefined;

  /** The attributes at log time, given the final request and response header maps. */
  properties(request: HeaderMap, response: HeaderMap): PropertyTree {
    const upstream: PropertyTree = {};
    if (this.upstream?.localPrincipal) upstream.uri_san_local_certificate = this.upstream.localPrincipal;
    if (this.upstream?.peerPrincipal) upstream.uri_san_peer_certificate = this.upstream.peerPrincipal;
    return {
      request: { duration: process.hrtime.bigint() - this.start, total_size: headerBytes(request) + this.requestBodyBytes },
      response: { total_size: headerBytes(response) + this.responseBodyBytes, flags: this.flags },
      upstream,
      ...(this.upstream ? { xds: { cluster_name: this.upstream.cluster, ...(this.upstream.metadata ? { cluster_metadata: this.upstream.metadata } : {}) } } : {}),
    };
  }
}
