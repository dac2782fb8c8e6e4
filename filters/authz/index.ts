// Authorization filter (skeleton): fed by the config channel; until the compiled policy tables
// land, a request that passes the config gate continues.
export * from "../lib/exports";
import { Action } from "../lib/abi";
import { Gate, gateAction, MeshFilter } from "../lib/config";
import { registerFilter } from "../lib/filter";
import { JsonValue } from "../lib/json";

class Authz extends MeshFilter {
  acceptConfig(body: string, doc: JsonValue, etag: string): bool {
    return doc.asObject() !== null;
  }

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    const gate = this.gate();
    if (gate != Gate.Ready) return gateAction(gate);
    return Action.Continue;
  }
}

registerFilter(new Authz());
