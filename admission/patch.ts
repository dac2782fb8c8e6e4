// The RFC 6902 patch between the pod as sent and the injected pod (diff.ts), proved to apply before
// it is sent: applied by fast-json-patch with validation on (well-formed operations, no undefined
// anywhere in a value), to a copy of the original, it must give the injected pod exactly. A patch
// that fails the proof is never sent. The copy is copy-on-write: only the objects on the patch's
// paths are fresh, the rest is shared with the original. As injectPod builds by spreading and the
// patch's values are the injected pod's own subtrees, the final comparison meets the injected pod's
// objects wherever the patch did its job and skips them by identity, so the proof costs about as
// much as the paths it checks; anything the patch got wrong is compared value by value.
import jsonpatch, { unescapePathComponent, type Operation } from "fast-json-patch";
import { diff, isJsonNode, type JsonNode } from "./diff.ts";
import type { Pod } from "./pod.ts";

// The default export: Node loads this package as CommonJS, where named imports are not detected.
const { applyPatch, _areEquals: deepEqual } = jsonpatch;

const shallow = (v: JsonNode): JsonNode => (Array.isArray(v) ? [...v] : { ...v });

/** `doc` with a fresh copy of every object or array the patch's operations write into. */
function pathCopy(doc: Pod, patch: Operation[]): Pod {
  const root = shallow(doc as unknown as JsonNode);
  const fresh = new Set<JsonNode>([root]);
  for (const op of patch) {
    const keys = op.path.split("/");
    let node: JsonNode = root;
    // keys[0] is the empty string before the first "/"; the last key is the member the operation writes.
    for (let i = 1; i < keys.length - 1; i++) {
      const key = keys[i].includes("~") ? unescapePathComponent(keys[i]) : keys[i];
      const child: unknown = (node as Record<string, unknown>)[key];
      if (!isJsonNode(child)) break;
      const copy = fresh.has(child) ? child : shallow(child);
      fresh.add(copy);
      (node as Record<string, unknown>)[key] = copy;
      node = copy;
    }
  }
  return root as unknown as Pod;
}

/** The proof: `patch`, applied to `original` with validation, gives `injected` exactly. */
export function patchGives(original: Pod, patch: Operation[], injected: Pod): boolean {
  try {
    return deepEqual(applyPatch(pathCopy(original, patch), patch, true, true).newDocument, injected);
  } catch {
    return false;
  }
}

/** The patch from `original` to `injected`, or undefined when it fails the proof. */
export function provenPatch(original: Pod, injected: Pod): Operation[] | undefined {
  const patch = diff(original as unknown as JsonNode, injected as unknown as JsonNode);
  return patchGives(original, patch, injected) ? patch : undefined;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(0);

/** Whether every character of `text` is ASCII, which is exactly when its UTF-8 fits in text.length
 *  bytes. encodeInto into a reused buffer answers that an order of magnitude faster than a regular
 *  expression scan, and the patches are nearly always ASCII. */
function isAscii(text: string): boolean {
  if (scratch.length < text.length) scratch = new Uint8Array(text.length * 2);
  return encoder.encodeInto(text, scratch.subarray(0, text.length)).read === text.length;
}

/** Base64 of the JSON, as AdmissionResponse.patch wants it. Non-ASCII characters are written as
 *  JSON \u escapes (the same JSON value), so the text is ASCII and btoa takes it as is. */
export function base64Json(value: unknown): string {
  const json = JSON.stringify(value);
  return btoa(isAscii(json) ? json : json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}
