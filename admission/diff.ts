// The RFC 6902 operations that turn one JSON document into another: fast-json-patch's `compare`
// walk (the same operations in the same order; test/admission/patch.test.ts holds the two side by
// side), except that the values are the target's own subtrees where `compare` copies each one
// through a JSON round trip. Those copies were the largest part of a review's cost and buy nothing
// here: the patch is serialised as soon as it is proved (patch.ts), and nothing writes to the
// injected pod in between. Subtrees the two documents share are skipped by identity, so a pod built
// by spreading the original (injectPod) is walked only along the paths that changed.
import jsonpatch, { type Operation } from "fast-json-patch";
import { hasOwn, isJsonNode, type JsonNode } from "./json-node.ts";

// The default export: Node loads this package as CommonJS, where named imports are not detected.
const { escapePathComponent } = jsonpatch;

/** The member names of an object, or the index strings of an array (as JSON pointers name items). */
function keys(node: JsonNode): string[] {
  if (!Array.isArray(node)) return Object.keys(node);
  const out = new Array<string>(node.length);
  for (let i = 0; i < node.length; i++) out[i] = String(i);
  return out;
}

function walk(from: JsonNode, to: JsonNode, path: string, ops: Operation[]): void {
  if (from === to) return;
  const before = from as Record<string, unknown>;
  const after = to as Record<string, unknown>;
  const oldKeys = keys(from);
  const newKeys = keys(to);
  let removed = false;
  // From the end, so that removing array items never shifts an index a later operation names.
  for (let i = oldKeys.length - 1; i >= 0; i--) {
    const key = oldKeys[i];
    const a = before[key];
    const b = after[key];
    if (a === b && a !== undefined) continue; // the same value, or a subtree both share
    const at = `${path}/${escapePathComponent(key)}`;
    if (!hasOwn(to, key) || (b === undefined && a !== undefined && !Array.isArray(to))) {
      ops.push({ op: "remove", path: at });
      removed = true;
    } else if (isJsonNode(a) && isJsonNode(b) && Array.isArray(a) === Array.isArray(b)) walk(a, b, at, ops);
    else if (a !== b) ops.push({ op: "replace", path: at, value: b });
  }
  if (!removed && newKeys.length === oldKeys.length) return;
  for (const key of newKeys)
    if (!hasOwn(from, key) && after[key] !== undefined) ops.push({ op: "add", path: `${path}/${escapePathComponent(key)}`, value: after[key] });
}

/** The patch from `from` to `to`; its values are `to`'s own objects, not copies. */
export function diff(from: JsonNode, to: JsonNode): Operation[] {
  const ops: Operation[] = [];
  walk(from, to, "", ops);
  return ops;
}
