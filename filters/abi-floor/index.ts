// ABI floor: a benchmark reference, like noop. Per request it makes the host calls listed in its
// plugin configuration, reading each result the way router and authz do, and decides nothing.
// `npm run bench wasm` gives it the calls the real filters make on the benchmark's requests, so
// the report can separate the cost of the ABI round trips a decision needs from the filters' own
// logic. Plugin configuration:
//   {"calls": [{"header": ":authority"}, {"property": ["destination", "port"], "type": "int"},
//              {"set": "x-mesh-cluster", "value": "outbound|80||a.b.svc.cluster.local"}]}
// "type" is "int", "bool" or "string". An invalid configuration fails proxy_on_configure.
export * from "../lib/exports";
import { Action, MapType } from "../lib/abi";
import { readPluginConfiguration } from "../lib/config";
import { Filter, registerFilter } from "../lib/filter";
import { getHeader, setHeaderBytes } from "../lib/headers";
import { JsonArray, JsonObject, JsonValue, parseJson } from "../lib/json";
import { logError } from "../lib/log";
import { utf8 } from "../lib/mem";
import { getPropertyBool, getPropertyInt, getPropertyString, propertyPath } from "../lib/property";

const enum Call { Header, Set, PropertyInt, PropertyBool, PropertyString }
const NO_VALUE = new ArrayBuffer(0);

class AbiFloor extends Filter {
  kinds: Call[] = [];
  names: ArrayBuffer[] = [];
  values: ArrayBuffer[] = [];
  /** Keeps results observable so no read is optimized away. */
  sink: i64 = 0;

  onConfigure(size: u32): bool {
    const calls = callList(readPluginConfiguration(size));
    if (calls === null) {
      logError("abi-floor: plugin configuration needs a \"calls\" array");
      return false;
    }
    const items = (<JsonArray>calls).items;
    for (let i = 0; i < items.length; i++) {
      if (!this.addCall(items[i])) {
        logError("abi-floor: calls[" + i.toString() + "] must be {header}, {set, value} or {property: [...], type: int|bool|string}");
        return false;
      }
    }
    return true;
  }

  private addCall(v: JsonValue): bool {
    const obj = v.asObject();
    if (obj === null) return false;
    const o = <JsonObject>obj;
    const header = o.getString("header");
    if (header !== null) return this.push(Call.Header, utf8(header), NO_VALUE);
    const set = o.getString("set");
    if (set !== null) {
      const value = o.getString("value");
      return value !== null && this.push(Call.Set, utf8(set), utf8(value));
    }
    const path = stringList(o.get("property"));
    const type = o.getString("type");
    if (path === null || type === null) return false;
    const segments = <string[]>path;
    if (type == "int") return this.push(Call.PropertyInt, propertyPath(segments), NO_VALUE);
    if (type == "bool") return this.push(Call.PropertyBool, propertyPath(segments), NO_VALUE);
    if (type == "string") return this.push(Call.PropertyString, propertyPath(segments), NO_VALUE);
    return false;
  }

  private push(kind: Call, name: ArrayBuffer, value: ArrayBuffer): bool {
    this.kinds.push(kind);
    this.names.push(name);
    this.values.push(value);
    return true;
  }

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    for (let i = 0; i < this.kinds.length; i++) {
      const name = unchecked(this.names[i]);
      switch (unchecked(this.kinds[i])) {
        case Call.Header: {
          const v = getHeader(MapType.RequestHeaders, name);
          if (v !== null) this.sink += v.length;
          break;
        }
        case Call.Set:
          setHeaderBytes(MapType.RequestHeaders, name, unchecked(this.values[i]));
          break;
        case Call.PropertyInt:
          this.sink += getPropertyInt(name, 0);
          break;
        case Call.PropertyBool:
          if (getPropertyBool(name)) this.sink++;
          break;
        default: {
          const v = getPropertyString(name);
          if (v !== null) this.sink += v.length;
        }
      }
    }
    return Action.Continue;
  }
}

/** The "calls" array of the plugin configuration; null when there is none. */
function callList(text: string | null): JsonArray | null {
  if (text === null) return null;
  const doc = parseJson(<string>text);
  if (doc === null) return null;
  const obj = (<JsonValue>doc).asObject();
  if (obj === null) return null;
  const calls = (<JsonObject>obj).get("calls");
  return calls === null ? null : (<JsonValue>calls).asArray();
}

/** A JSON array of strings; null for anything else. */
function stringList(v: JsonValue | null): string[] | null {
  if (v === null) return null;
  const arr = (<JsonValue>v).asArray();
  if (arr === null) return null;
  const out: string[] = [];
  const items = (<JsonArray>arr).items;
  for (let i = 0; i < items.length; i++) {
    const s = items[i].asString();
    if (s === null) return null;
    out.push(<string>s);
  }
  return out;
}

registerFilter(new AbiFloor());
