// Kubernetes API warnings (KEP-1693): `Warning: 299 - "<text>"` response headers, which kubectl
// prints as `Warning: <text>`. The text is a quoted string (RFC 7234, `"` and `\` escaped), kept
// to printable ASCII (a header value cannot carry the rest) and a bounded length.
const MAX_TEXT = 256 * 4;

export function warningHeader(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, "?").slice(0, MAX_TEXT);
  return `299 - "${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
