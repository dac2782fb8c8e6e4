// The RFC 6902 patch between the pod as sent and the injected pod (fast-json-patch's diff), proved
// to apply before it is sent: applied to a copy of the original with validation on, it must give
// the injected pod exactly. A patch that fails the proof is never sent.
import { applyPatch, compare, deepClone, type Operation } from "fast-json-patch";
import type { Pod } from "./pod.ts";

export function provenPatch(original: Pod, injected: Pod): Operation[] | undefined {
  try {
    const patch = compare(original, injected);
    const applied = applyPatch(deepClone(original), patch, true, true).newDocument;
    return compare(applied, injected).length === 0 ? patch : undefined;
  } catch {
    return undefined;
  }
}

/** Base64 of the UTF-8 JSON, as AdmissionResponse.patch wants it (btoa alone is Latin-1 only). */
export function base64Json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
