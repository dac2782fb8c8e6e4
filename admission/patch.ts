// The RFC 6902 patch between the pod as sent and the injected pod (diff.ts), proved to apply before
// it is sent: applied by fast-json-patch with validation on (well-formed operations, no undefined
// anywhere in a value, every member a replace or remove names present, no index past an array's
// end), to the original, it must give the injected pod exactly. A patch that fails the proof is
// never sent.
//
// The proof writes copy-on-write: before each operation, every object or array on its paths that
// the proof did not make itself is replaced by a shallow copy, so neither the original nor the
// injected pod (whose subtrees the patch's values are) is ever written. Everything else stays
// shared, so the final comparison meets the injected pod's own objects wherever the patch did its
// job and skips them by identity: the proof costs about as much as the paths it checks, and
// anything the patch got wrong is compared value by value.
import jsonpatch, { unescapePathComponent, type Operation } from "fast-json-patch";
import { diff } from "./diff.ts";
import { hasOwn, isJsonNode, type JsonNode } from "./json-node.ts";
import type { Pod } from "./pod.ts";

// The default export: Node loads this package as CommonJS, where named imports are not detected.
const { applyOperation, _areEquals: deepEqual } = jsonpatch;

type Members = Record<string, unknown>;

/** `node` when the proof made it, else a shallow copy the proof may write into. */
function own(node: JsonNode, made: Set<JsonNode>): JsonNode {
  if (made.has(node)) return node;
  const copy = Array.isArray(node) ? [...node] : { ...node };
  made.add(copy);
  return copy;
}

/** `doc`, owned along `path` down to the node whose member the operation writes. */
function ownPath(doc: JsonNode, path: string, made: Set<JsonNode>): JsonNode {
  const root = own(doc, made);
  const keys = path.split("/");
  let node = root;
  // keys[0] is the empty string before the first "/"; the last key is the member written.
  for (let i = 1; i < keys.length - 1; i++) {
    const key = keys[i].includes("~") ? unescapePathComponent(keys[i]) : keys[i];
    const child = hasOwn(node, key) ? (node as Members)[key] : undefined;
    if (!isJsonNode(child)) break;
    node = (node as Members)[key] = own(child, made);
  }
  return root;
}

/** The proof: `patch`, applied to `original` with validation, gives `injected` exactly. */
export function patchGives(original: Pod, patch: Operation[], injected: Pod): boolean {
  const made = new Set<JsonNode>();
  let doc = original as unknown as JsonNode;
  try {
    for (let i = 0; i < patch.length; i++) {
      const op = patch[i];
      doc = ownPath(doc, op.path, made);
      // move and copy read (and move removes) at `from`.
      if ("from" in op && typeof op.from === "string") doc = ownPath(doc, op.from, made);
      doc = applyOperation(doc, op, true, true, true, i).newDocument as JsonNode;
    }
    return deepEqual(doc, injected);
  } catch {
    return false;
  }
}

/** The patch from `original` to `injected`, or undefined when it fails the proof. */
export function provenPatch(original: Pod, injected: Pod): Operation[] | undefined {
  const patch = diff(original as unknown as JsonNode, injected as unknown as JsonNode);
  return patchGives(original, patch, injected) ? patch : undefined;
}
