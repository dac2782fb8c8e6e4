// RFC 7386 JSON merge patch: objects merge key by key, `null` deletes, anything else replaces.
// (kubectl sends this for custom resources, and a strategic merge patch for built-ins, which
// for the metadata-and-spec changes apply makes is the same thing once `$` directives are dropped.)
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue; // strategic-merge directives ($patch, $retainKeys, ...)
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
