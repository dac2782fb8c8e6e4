// JSON.parse keeps the last of two equal keys without a word; the API server's strict decoding
// (kubectl's default, --validate=strict) refuses the body: `strict decoding error: duplicate
// field "<field>"`. One pass over text JSON.parse has already accepted, so only the structure
// is tracked: a stack of the keys seen in each open object, and the path to it for the message.

interface Frame {
  /** The keys of an object so far; undefined for an array. */
  keys?: Set<string>;
  path: string;
  /** An object expects a key next (after `{` or `,`). */
  expectKey: boolean;
  /** The last key read in this object, or the next index in this array. */
  member: string;
  index: number;
}

/** Skips a JSON string starting at the quote at `i`; returns the index after its closing quote. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** The dotted path of the first duplicated key in well-formed JSON text, or undefined. */
export function duplicateKey(text: string): string | undefined {
  const stack: Frame[] = [];
  const childPath = () => {
    const top = stack[stack.length - 1];
    if (!top) return "";
    return top.keys ? (top.path ? `${top.path}.${top.member}` : top.member) : `${top.path}[${top.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === "{" || ch === "[") {
      const path = childPath();
      if (top && !top.keys) top.index++;
      stack.push({ keys: ch === "{" ? new Set() : undefined, path, expectKey: ch === "{", member: "", index: 0 });
    } else if (ch === "}" || ch === "]") stack.pop();
    else if (ch === ",") {
      if (top?.keys) top.expectKey = true;
    } else if (ch === '"') {
      const end = stringEnd(text, i);
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (top.keys.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys.add(key);
        top.member = key;
        top.expectKey = false;
      } else if (top && !top.keys) top.index++;
      i = end - 1;
    } else if (top && !top.keys && /[-0-9tfn]/.test(ch)) {
      // A number or literal in an array: count it, then skip to its end.
      top.index++;
      while (i + 1 < text.length && /[-+.0-9a-zA-Z]/.test(text[i + 1])) i++;
    }
  }
  return undefined;
}
