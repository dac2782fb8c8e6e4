// The stats filter's inputs for the wasm benchmark: what each side of a hop gives it (request
// headers, the metadata exchange headers, the attributes Envoy has at log time), for both hosts.
import { type PropertyTree, ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { filterModule } from "../wasmhost/support.ts";

const enc = new TextEncoder();

export const STATS_NODE: PropertyTree = {
  xds: {
    node: {
      id: "sidecar~10.1.0.7~productpage-v1-abc.default~default.svc.cluster.local",
      metadata: { NAMESPACE: "default", WORKLOAD_NAME: "productpage-v1", CLUSTER_ID: "Kubernetes", LABELS: { app: "productpage", version: "v1" } },
    },
  },
};

const PRODUCTPAGE = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";
const REVIEWS = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews";
const SIZES = { request: { duration: 3_200_000n, total_size: 420 }, response: { total_size: 1800, flags: 0 } };

/** Attributes at log time: the client side's (upstream TLS, the cluster) and the server side's. */
export const STATS_OUTBOUND_LOG: PropertyTree = {
  ...SIZES,
  xds: { cluster_name: "outbound|9080|v1|reviews.default.svc.cluster.local" },
  upstream: { uri_san_local_certificate: PRODUCTPAGE, uri_san_peer_certificate: REVIEWS },
};
export const STATS_INBOUND_LOG: PropertyTree = {
  ...SIZES,
  connection: { mtls: true, uri_san_peer_certificate: PRODUCTPAGE, uri_san_local_certificate: REVIEWS },
};

/** The exchange headers a sidecar sends, as the stats filter itself writes them. */
export async function exchangeHeaders(): Promise<[string, string][]> {
  const host = await ProxyWasmHost.load(filterModule("stats"), { pluginConfig: JSON.stringify({ direction: "outbound" }), properties: STATS_NODE, trace: false });
  const s = host.newStream();
  s.requestHeaders({ ":authority": "reviews:9080", ":path": "/" });
  const out: [string, string][] = [
    ["x-envoy-peer-metadata-id", s.request.get("x-envoy-peer-metadata-id")!],
    ["x-envoy-peer-metadata", s.request.get("x-envoy-peer-metadata")!],
  ];
  s.done();
  return out;
}

/** A property tree flattened to the thin host's NUL-joined paths, serialized as Envoy does. */
export function thinPropertyMap(tree: PropertyTree, prefix: string[] = [], out = new Map<string, Uint8Array>()): Map<string, Uint8Array> {
  for (const [k, v] of Object.entries(tree)) {
    const path = [...prefix, k];
    if (typeof v === "string") out.set(path.join("\0"), enc.encode(v));
    else if (typeof v === "boolean") out.set(path.join("\0"), Uint8Array.of(v ? 1 : 0));
    else if (typeof v === "number" || typeof v === "bigint") {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
      out.set(path.join("\0"), b);
    } else if (v && typeof v === "object" && !(v instanceof Uint8Array) && !Array.isArray(v)) thinPropertyMap(v as PropertyTree, path, out);
  }
  return out;
}
