/// <reference path="./portable.d.ts" />
// ASCII character tests shared by the filters and the control plane (plain TypeScript that
// AssemblyScript also compiles; see portable.d.ts).

/** Value of an ASCII hex digit, -1 for anything else. */
export function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

export function isWord(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}

export function isSpace(c: i32): bool {
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

export function lowerAscii(c: i32): i32 {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

export function upperAscii(c: i32): i32 {
  return c >= 0x61 && c <= 0x7a ? c - 32 : c;
}
