// The RFC 6902 patch between the pod as sent and the injected pod (fast-json-patch's diff), proved
// to apply before it is sent: applied with validation on, to a copy of the original, it must give
// the injected pod exactly. A patch that fails the proof is never sent. The copy is copy-on-write:
// only the objects on the patch's paths are fresh, the rest is shared with the original (and, as
// injectPod builds by spreading, with the injected pod, so the final comparison skips it by identity).
import jsonpatch, { unescapePathComponent, type Operation } from "fast-json-patch";
import type { Pod } from "./pod.ts";

// The default export: Node loads this package as CommonJS, where named imports are not detected.
const { applyPatch, compare, _areEquals: deepEqual } = jsonpatch;

type Node = Record<string, unknown> | unknown[];
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null;
const shallow = (v: Node): Node => (Array.isArray(v) ? [...v] : { ...v });

/** `doc` with a fresh copy of every object or array the patch's operations write into. */
function pathCopy(doc: Pod, patch: Operation[]): Pod {
  const root = shallow(doc as unknown as Node);
  const fresh = new WeakSet<Node>([root]);
  for (const op of patch) {
    let node: Node = root;
    for (const key of op.path.split("/").slice(1, -1).map(unescapePathComponent)) {
      const child: unknown = (node as Record<string, unknown>)[key];
      if (!isNode(child)) break;
      const copy = fresh.has(child) ? child : shallow(child);
      fresh.add(copy);
      (node as Record<string, unknown>)[key] = copy;
      node = copy;
    }
  }
  return root as unknown as Pod;
}

export function provenPatch(original: Pod, injected: Pod): Operation[] | undefined {
  try {
    const patch = compare(original, injected);
    const applied = applyPatch(pathCopy(original, patch), patch, true, true).newDocument;
    return deepEqual(applied, injected) ? patch : undefined;
  } catch {
    return undefined;
  }
}

/** Base64 of the JSON, as AdmissionResponse.patch wants it. Non-ASCII characters are written as
 *  JSON \u escapes (the same JSON value), so the text is ASCII and btoa takes it as is. */
export function base64Json(value: unknown): string {
  return btoa(JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}
