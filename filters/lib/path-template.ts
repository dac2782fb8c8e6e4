/// <reference path="./portable.d.ts" />
// Istio path templates in AuthorizationPolicy `paths`/`notPaths` (Istio ≥ 1.22): a value holding
// `{*}` or `{**}`. Istio hands them to Envoy's uri_template matcher with `{*}` → `*` and
// `{**}` → `**`, so the grammar is Envoy's (source/extensions/path/uri_template_lib) restricted
// to whole-segment operators as Istio's CheckValidPathTemplate requires:
//   "/" segment ("/" segment)* ["/"]
//   segment = "{*}" | "{**}" | literal of RFC 3986 pchars [A-Za-z0-9-._~%!$&'()+,;:@=]
//   at most one {**}, and no operator after it (literals may follow it).
// `{*}` matches one whole path segment (one or more characters, no "/"); `{**}` matches the rest
// of the path up to the literals after it: any characters, "/" included, possibly none (Envoy's
// `[pchar/]*`). Envoy's operators take pchars only; here they take any character but "/" (resp.
// any character), so a DENY cannot be dodged with a character Envoy's class leaves out ("=").
//
// Plain TypeScript that AssemblyScript also compiles: the authz filter matches with it and the
// control plane validates with it, so the API accepts exactly the templates the filter enforces.

export const SEG_LITERAL: i32 = 0;
export const SEG_ONE: i32 = 1;
export const SEG_ANY: i32 = 2;

export class PathTemplate {
  kinds: i32[] = [];
  literals: string[] = [];
  /** Index of the {**} segment, -1 when none. */
  any: i32 = -1;
  /** After {**}: the fixed text the path must end with ("/lit/lit" or "/lit/" or ""). */
  tail: string = "";
}

/** Why the last parsePathTemplate failed ("" after a success). */
export let pathTemplateError: string = "";

/** True when `value` is a path template (holds `{*}` or `{**}`), false for Istio's plain values. */
export function isPathTemplate(value: string): bool {
  return value.includes("{*}") || value.includes("{**}");
}

function isPchar(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  return "-._~%!$&'()+,;:@=".includes(String.fromCharCode(c));
}

function refuse(template: string, why: string): PathTemplate | null {
  pathTemplateError = "invalid path template \"" + template + "\": " + why;
  return null;
}

/** Parses a path template; null (reason in pathTemplateError) when the filter cannot enforce it. */
export function parsePathTemplate(template: string): PathTemplate | null {
  pathTemplateError = "";
  if (!template.startsWith("/")) return refuse(template, "must start with \"/\"");
  const t = new PathTemplate();
  const segments = template.substring(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s == "{*}" || s == "{**}") {
      if (t.any >= 0) return refuse(template, "{**} must be the last operator");
      if (s == "{**}") t.any = i;
      t.kinds.push(s == "{*}" ? SEG_ONE : SEG_ANY);
      t.literals.push("");
      continue;
    }
    if (s.length == 0) {
      // Only a single trailing "/" (Envoy: an empty last literal) may leave a segment empty.
      if (i == segments.length - 1 && i > 0) {
        t.kinds.push(SEG_LITERAL);
        t.literals.push("");
        if (t.any >= 0) t.tail += "/";
        continue;
      }
      return refuse(template, "empty path segment (\"//\")");
    }
    if (s.includes("{") || s.includes("}")) return refuse(template, "'{' or '}' outside a whole-segment {*} or {**}");
    for (let k = 0; k < s.length; k++)
      if (!isPchar(s.charCodeAt(k))) return refuse(template, "segment \"" + s + "\" is not a valid literal (RFC 3986 pchar: A-Z a-z 0-9 - . _ ~ % ! $ & ' ( ) + , ; : @ =)");
    t.kinds.push(SEG_LITERAL);
    t.literals.push(s);
    if (t.any >= 0) t.tail += "/" + s;
  }
  return t;
}

/** True when `path` (without the query) matches the template. */
export function matchPathTemplate(t: PathTemplate, path: string): bool {
  if (!path.startsWith("/")) return false;
  let pos = 1;
  const end = t.any >= 0 ? t.any : t.kinds.length;
  for (let i = 0; i < end; i++) {
    if (i > 0) {
      if (pos >= path.length || path.charCodeAt(pos) != 0x2f) return false;
      pos++;
    }
    if (t.kinds[i] == SEG_ONE) {
      const start = pos;
      while (pos < path.length && path.charCodeAt(pos) != 0x2f) pos++;
      if (pos == start) return false;
    } else {
      const lit = t.literals[i];
      if (path.length - pos < lit.length || path.substring(pos, pos + lit.length) != lit) return false;
      pos += lit.length;
    }
  }
  if (t.any < 0) return pos == path.length;
  if (t.any > 0) {
    if (pos >= path.length || path.charCodeAt(pos) != 0x2f) return false;
    pos++;
  }
  // {**} takes whatever lies between here and the fixed tail.
  return path.length - pos >= t.tail.length && path.endsWith(t.tail);
}
