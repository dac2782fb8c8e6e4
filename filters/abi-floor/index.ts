// ABI floor: a benchmark reference, like noop. Per request it makes the host calls listed in its
// plugin configuration, reading each result the way router and authz do, and decides nothing.
// `npm run bench wasm` gives it the calls the real filters make on the benchmark's requests, so
// the report can separate the cost of the ABI round trips a decision needs from the filters' own
// logic. Plugin configuration:
//   {"calls": [{"header": ":authority"}, {"property": ["destination", "port"], "type": "int"},
//              {"set": "x-mesh-cluster", "value": "outbound|80||a.b.svc.cluster.local"}]}
// "type" is "int", "bool" or "string". An invalid configuration fails proxy_on_configure, with
// the field path in the log line.
export * from "../lib/exports";
import { Action, MapType } from "../lib/abi";
import { readPluginConfiguration } from "../lib/config";
import { Filter, registerFilter } from "../lib/filter";
import { getHeader, setHeaderBytes } from "../lib/headers";
import { JsonValue, parseJson } from "../lib/json";
import { logError } from "../lib/log";
import { utf8 } from "../lib/mem";
import { getPropertyBool, getPropertyInt, getPropertyString, propertyPath } from "../lib/property";
import { Reader } from "../lib/schema";

const enum Call { Header, Set, PropertyInt, PropertyBool, PropertyString }
const NO_VALUE = new ArrayBuffer(0);

class AbiFloor extends Filter {
  kinds: Call[] = [];
  names: ArrayBuffer[] = [];
  values: ArrayBuffer[] = [];
  /** Keeps results observable so no read is optimized away. */
  sink: i64 = 0;

  onConfigure(size: u32): bool {
    const text = readPluginConfiguration(size);
    if (text === null) return false;
    const r = new Reader();
    const calls = r.array(r.object(parseJson(text), "configuration"), "calls", "configuration", true);
    for (let i = 0; i < calls.length && r.ok(); i++) this.addCall(r, calls[i], "configuration.calls[" + i.toString() + "]");
    if (!r.ok()) logError("abi-floor: " + r.error);
    return r.ok();
  }

  private addCall(r: Reader, v: JsonValue, path: string): void {
    const o = r.object(v, path);
    const header = r.optString(o, "header", path);
    const set = r.optString(o, "set", path);
    if (header !== null) {
      this.push(Call.Header, utf8(header), NO_VALUE);
    } else if (set !== null) {
      this.push(Call.Set, utf8(set), utf8(r.string(o, "value", path)));
    } else {
      const segments = r.strings(o, "property", path);
      if (segments.length == 0) r.fail(path, "needs header, set or property");
      const type = r.string(o, "type", path);
      const kind = type == "int" ? Call.PropertyInt : type == "bool" ? Call.PropertyBool : type == "string" ? Call.PropertyString : -1;
      if (kind < 0) r.fail(path + ".type", "must be int, bool or string");
      else this.push(<Call>kind, propertyPath(segments), NO_VALUE);
    }
  }

  private push(kind: Call, name: ArrayBuffer, value: ArrayBuffer): void {
    this.kinds.push(kind);
    this.names.push(name);
    this.values.push(value);
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

registerFilter(new AbiFloor());
