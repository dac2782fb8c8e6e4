// AdmissionResponse.patch: the base64 of the patch's JSON text.

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
