// JSON objects and arrays as the patch code (diff.ts, patch.ts) walks them: by own member name, an
// array's items by index strings, as JSON pointers name them.

export type JsonNode = Record<string, unknown> | unknown[];

export const isJsonNode = (v: unknown): v is JsonNode => typeof v === "object" && v !== null;

export const hasOwn = (node: JsonNode, key: string): boolean => Object.prototype.hasOwnProperty.call(node, key);
