// Router filter (skeleton): fed by the config channel; per request it strips any client-sent
// x-mesh-cluster (only the router may choose the upstream cluster) and, until the compiled
// route tables land, continues.
export * from "../lib/exports";
import { Action, MapType } from "../lib/abi";
import { Gate, gateAction, MeshFilter } from "../lib/config";
import { registerFilter } from "../lib/filter";
import { getHeader, removeHeader } from "../lib/headers";
import { JsonValue } from "../lib/json";
import { utf8 } from "../lib/mem";
import { clearRouteCache } from "../lib/reply";

const CLUSTER_HEADER = utf8("x-mesh-cluster");

class Router extends MeshFilter {
  acceptConfig(body: string, doc: JsonValue, etag: string): bool {
    return doc.asObject() !== null;
  }

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    if (getHeader(MapType.RequestHeaders, CLUSTER_HEADER) !== null) {
      removeHeader(MapType.RequestHeaders, CLUSTER_HEADER);
      clearRouteCache();
    }
    const gate = this.gate();
    if (gate != Gate.Ready) return gateAction(gate);
    return Action.Continue;
  }
}

registerFilter(new Router());
