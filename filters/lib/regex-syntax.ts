/// <reference path="./portable.d.ts" />
// The regex compiler of the filters' engine (regex.ts runs its programs): RE2 syntax, as Istio
// and Envoy take it, parsed into a tree and emitted as a Pike VM program. Plain TypeScript that
// AssemblyScript also compiles (see portable.d.ts): the filters compile with it when a config
// arrives and the control plane validates with it, so the API accepts exactly the regexes every
// proxy can run.
//
// Supported: literals, `.`, `[...]`/`[^...]` with ranges, \d\w\s\D\W\S and POSIX classes
// ([:alpha:], [:^alpha:], ...) inside; escapes \d \w \s \D \W \S \b \B \A \z \a \f \n \r \t \v
// \xHH \x{H..} and escaped punctuation; anchors ^ $; groups (...), (?:...), (?P<name>...),
// (?<name>...); flags (?i) (?s) (?m) (?U), their negations and scoped forms (?i:...); alternation
// |; quantifiers * + ? {n} {n,} {n,m} (n, m ≤ 1000, RE2's cap) and their lazy forms.
// Refused with a reason: Unicode classes \p{..} (the engine has no Unicode tables),
// backreferences, look-around, \C, \Q..\E, and programs over MAX_PROGRAM instructions. Matching
// is on UTF-16 code units, case folding ASCII only.
import { hexDigit, isDigit, isSpace, isWord, lowerAscii, upperAscii } from "./chars";

// Opcodes. `b` carries a flag on the non-branching ones.
export const OP_CHAR: u8 = 0; // a = code unit; b = 1: case-insensitive (a lowered)
export const OP_ANY: u8 = 1; // b = 1: "\n" too ((?s))
export const OP_CLASS: u8 = 2; // a = class index
export const OP_SPLIT: u8 = 3; // a = preferred, b = other
export const OP_JMP: u8 = 4; // a = target
export const OP_SAVE: u8 = 5; // a = slot
export const OP_MATCH: u8 = 6;
export const OP_BOL: u8 = 7; // ^ / \A; b = 1: after "\n" too ((?m) ^)
export const OP_EOL: u8 = 8; // $ / \z; b = 1: before "\n" too ((?m) $)
export const OP_WORDB: u8 = 9; // \b
export const OP_NWORDB: u8 = 10; // \B

/**
 * The program budget, in instructions. Matching costs input length × program size, so this bounds
 * what one request header can cost; Envoy bounds RE2 the same way (runtime
 * re2.max_program_size.error_level, 100 by default). RE2 spends at least one instruction where we
 * spend one (more for UTF-8 `.` and classes), so this is no stricter than Envoy's default.
 */
export const MAX_PROGRAM: i32 = 100;
const MAX_DEPTH: i32 = 64;
/** RE2's cap on a counted repetition. */
const MAX_REPEAT: i32 = 1000;

// Parser flags
const F_ICASE: i32 = 1;
const F_DOTNL: i32 = 2;
const F_MULTILINE: i32 = 4;
const F_UNGREEDY: i32 = 8;

// Class builtins (bit flags)
const B_DIGIT: u8 = 1;
const B_NDIGIT: u8 = 2;
const B_WORD: u8 = 4;
const B_NWORD: u8 = 8;
const B_SPACE: u8 = 16;
const B_NSPACE: u8 = 32;

export class CharClass {
  ranges: i32[] = []; // lo, hi pairs
  builtins: u8 = 0;
  negated: bool = false;
  icase: bool = false;

  has(c: i32): bool {
    let hit = this.raw(c);
    if (!hit && this.icase) {
      const l = lowerAscii(c);
      const u = upperAscii(c);
      hit = (l != c && this.raw(l)) || (u != c && this.raw(u));
    }
    return hit != this.negated;
  }

  private raw(c: i32): bool {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) if (c >= r[i] && c <= r[i + 1]) return true;
    const b = this.builtins;
    if (b == 0) return false;
    if ((b & B_DIGIT) != 0 && isDigit(c)) return true;
    if ((b & B_NDIGIT) != 0 && !isDigit(c)) return true;
    if ((b & B_WORD) != 0 && isWord(c)) return true;
    if ((b & B_NWORD) != 0 && !isWord(c)) return true;
    if ((b & B_SPACE) != 0 && isSpace(c)) return true;
    if ((b & B_NSPACE) != 0 && !isSpace(c)) return true;
    return false;
  }
}

/** POSIX class ranges ([:name:]), as lo,hi pairs; empty for an unknown name. */
function posixRanges(name: string): i32[] {
  if (name == "alnum") return [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a];
  if (name == "alpha") return [0x41, 0x5a, 0x61, 0x7a];
  if (name == "ascii") return [0x00, 0x7f];
  if (name == "blank") return [0x09, 0x09, 0x20, 0x20];
  if (name == "cntrl") return [0x00, 0x1f, 0x7f, 0x7f];
  if (name == "digit") return [0x30, 0x39];
  if (name == "graph") return [0x21, 0x7e];
  if (name == "lower") return [0x61, 0x7a];
  if (name == "print") return [0x20, 0x7e];
  if (name == "punct") return [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e];
  if (name == "space") return [0x09, 0x0d, 0x20, 0x20];
  if (name == "upper") return [0x41, 0x5a];
  if (name == "word") return [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
  if (name == "xdigit") return [0x30, 0x39, 0x41, 0x46, 0x61, 0x66];
  return [];
}

/** Parsed expression tree node (compile time only). */
class Node {
  kind: u8 = 0; // see N_*
  c: i32 = 0; // char / class index / group index / assertion opcode
  flags: i32 = 0; // the parser flags in force where the node was written
  min: i32 = 0;
  max: i32 = 0; // -1 = unbounded
  greedy: bool = true;
  kids: Node[] = [];
}
const N_EMPTY: u8 = 0;
const N_CHAR: u8 = 1;
const N_ANY: u8 = 2;
const N_CLASS: u8 = 3;
const N_CAT: u8 = 4;
const N_ALT: u8 = 5;
const N_GROUP: u8 = 6; // capturing, c = group index
const N_REPEAT: u8 = 7;
const N_ASSERT: u8 = 8; // c = opcode

class Parser {
  pos: i32 = 0;
  error: string = "";
  groups: i32 = 0;
  classes: CharClass[] = [];
  flags: i32 = 0;
  constructor(public s: string) {}

  fail(msg: string): Node {
    if (this.error.length == 0) this.error = msg + " at offset " + this.pos.toString();
    return new Node();
  }

  node(kind: u8, c: i32): Node {
    const n = new Node();
    n.kind = kind;
    n.c = c;
    n.flags = this.flags;
    return n;
  }

  more(): bool { return this.pos < this.s.length; }
  peek(): i32 { return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1; }

  parseAlt(depth: i32): Node {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    const first = this.parseCat(depth);
    if (this.peek() != 0x7c) return first;
    const alt = this.node(N_ALT, 0);
    alt.kids.push(first);
    while (this.peek() == 0x7c && this.error.length == 0) {
      this.pos++;
      alt.kids.push(this.parseCat(depth));
    }
    return alt;
  }

  parseCat(depth: i32): Node {
    const cat = this.node(N_CAT, 0);
    while (this.more() && this.error.length == 0) {
      const c = this.peek();
      if (c == 0x7c || c == 0x29) break; // | )
      let atom = this.parseAtom(depth);
      if (this.error.length > 0) break;
      atom = this.parseQuantifiers(atom);
      cat.kids.push(atom);
    }
    return cat;
  }

  parseQuantifiers(atom: Node): Node {
    while (this.more() && this.error.length == 0) {
      const c = this.peek();
      const start = this.pos;
      let min = 0;
      let max = 0;
      if (c == 0x2a) { min = 0; max = -1; this.pos++; }
      else if (c == 0x2b) { min = 1; max = -1; this.pos++; }
      else if (c == 0x3f) { min = 0; max = 1; this.pos++; }
      else if (c == 0x7b) {
        this.pos++;
        const lo = this.number();
        if (lo < 0) { this.pos = start; return atom; } // literal '{' (RE2 accepts)
        min = lo;
        max = lo;
        if (this.peek() == 0x2c) {
          this.pos++;
          if (this.peek() == 0x7d) max = -1;
          else {
            max = this.number();
            if (max < 0) { this.pos = start; return atom; }
          }
        }
        if (this.peek() != 0x7d) { this.pos = start; return atom; }
        this.pos++;
        const op = this.s.substring(start, this.pos);
        if (min > MAX_REPEAT || max > MAX_REPEAT) {
          this.pos = start;
          this.fail("bad repetition operator " + op + ": counts are limited to " + MAX_REPEAT.toString() + " (RE2)");
          return atom;
        }
        if (max >= 0 && max < min) {
          this.pos = start;
          this.fail("bad repetition operator " + op + ": max is less than min");
          return atom;
        }
      } else break;
      if (atom.kind == N_ASSERT || atom.kind == N_EMPTY) {
        this.pos = start;
        this.fail("missing argument to repetition operator");
        return atom;
      }
      if (atom.kind == N_REPEAT) {
        this.pos = start;
        this.fail("bad repetition operator: repeated repetition");
        return atom;
      }
      const rep = this.node(N_REPEAT, 0);
      rep.min = min;
      rep.max = max;
      rep.greedy = (this.flags & F_UNGREEDY) == 0;
      if (this.peek() == 0x3f) { rep.greedy = !rep.greedy; this.pos++; }
      rep.kids.push(atom);
      atom = rep;
    }
    return atom;
  }

  number(): i32 {
    let n = -1;
    while (this.more()) {
      const c = this.peek();
      if (!isDigit(c)) break;
      n = (n < 0 ? 0 : n) * 10 + (c - 0x30);
      if (n > 100000) n = 100000;
      this.pos++;
    }
    return n;
  }

  /** After "(?": flags ("i", "-s", "im-U") up to ")" (they hold to the end of the group) or ":"
   * (a non-capturing group with them). True for ")", false for ":"; the error is set otherwise. */
  parseFlags(): bool {
    const start = this.pos;
    let on = true;
    let sawNeg = false;
    let any = false;
    while (this.more()) {
      const c = this.peek();
      this.pos++;
      let f = 0;
      if (c == 0x69) f = F_ICASE;
      else if (c == 0x73) f = F_DOTNL;
      else if (c == 0x6d) f = F_MULTILINE;
      else if (c == 0x55) f = F_UNGREEDY;
      else if (c == 0x2d && !sawNeg) { sawNeg = true; on = false; any = false; continue; }
      else if ((c == 0x29 || c == 0x3a) && any) return c == 0x29;
      else break;
      this.flags = on ? this.flags | f : this.flags & ~f;
      any = true;
    }
    this.pos = start;
    this.fail("invalid or unsupported group flags (RE2 has i, s, m and U)");
    return false;
  }

  parseAtom(depth: i32): Node {
    const c = this.peek();
    this.pos++;
    if (c == 0x28) { // (
      const outer = this.flags;
      let capture = true;
      if (this.peek() == 0x3f) { // (?
        this.pos++;
        const k = this.peek();
        const k2 = this.pos + 1 < this.s.length ? this.s.charCodeAt(this.pos + 1) : -1;
        if (k == 0x3d || k == 0x21 || (k == 0x3c && (k2 == 0x3d || k2 == 0x21)))
          return this.fail("lookaround assertions ((?=, (?!, (?<=, (?<!) are not supported (RE2 has none)");
        if (k == 0x50 || k == 0x3c) { // (?P<name> or (?<name>
          if (k == 0x50) this.pos++;
          if (this.peek() != 0x3c) return this.fail("invalid named capture group");
          this.pos++;
          const nameStart = this.pos;
          while (this.more() && isWord(this.peek())) this.pos++;
          if (this.peek() != 0x3e || this.pos == nameStart) return this.fail("invalid named capture group name");
          this.pos++;
        } else {
          const scoped = !this.parseFlags();
          if (this.error.length > 0) return new Node();
          // (?flags) changes the flags for the rest of the enclosing group.
          if (!scoped) return this.node(N_EMPTY, 0);
          capture = false;
        }
      }
      let idx = 0;
      if (capture) idx = ++this.groups;
      const inner = this.parseAlt(depth + 1);
      if (this.peek() != 0x29) return this.fail("missing )");
      this.pos++;
      this.flags = outer;
      if (!capture) return inner;
      const n = this.node(N_GROUP, idx);
      n.kids.push(inner);
      return n;
    }
    if (c == 0x29) return this.fail("unexpected )");
    if (c == 0x2a || c == 0x2b || c == 0x3f) return this.fail("missing argument to repetition operator");
    if (c == 0x5b) return this.parseClass();
    if (c == 0x2e) return this.node(N_ANY, 0);
    if (c == 0x5e || c == 0x24) {
      const n = this.node(N_ASSERT, c == 0x5e ? OP_BOL : OP_EOL);
      n.min = (this.flags & F_MULTILINE) != 0 ? 1 : 0; // (?m) ^ and $ also hold at line breaks
      return n;
    }
    if (c == 0x5c) return this.parseEscape(null);
    return this.node(N_CHAR, c);
  }

  /** After a backslash. In a class (`into` given), builtins go into it and an N_EMPTY is returned. */
  parseEscape(into: CharClass | null): Node {
    if (!this.more()) return this.fail("trailing backslash");
    const c = this.peek();
    this.pos++;
    let builtin: u8 = 0;
    if (c == 0x64) builtin = B_DIGIT;
    else if (c == 0x44) builtin = B_NDIGIT;
    else if (c == 0x77) builtin = B_WORD;
    else if (c == 0x57) builtin = B_NWORD;
    else if (c == 0x73) builtin = B_SPACE;
    else if (c == 0x53) builtin = B_NSPACE;
    if (builtin != 0) {
      if (into !== null) {
        into.builtins |= builtin;
        return this.node(N_EMPTY, 0);
      }
      const cls = new CharClass();
      cls.builtins = builtin;
      this.classes.push(cls);
      return this.node(N_CLASS, this.classes.length - 1);
    }
    if (c == 0x70 || c == 0x50) { // \p \P
      this.pos--;
      return this.fail("Unicode character classes (\\p, \\P) are not supported by the mesh's regex engine; use explicit ranges or POSIX classes such as [[:alpha:]]");
    }
    if (into === null && (c == 0x62 || c == 0x42 || c == 0x41 || c == 0x7a))
      return this.node(N_ASSERT, c == 0x62 ? OP_WORDB : c == 0x42 ? OP_NWORDB : c == 0x41 ? OP_BOL : OP_EOL);
    let v = -1;
    if (c == 0x61) v = 0x07;
    else if (c == 0x66) v = 0x0c;
    else if (c == 0x6e) v = 0x0a;
    else if (c == 0x72) v = 0x0d;
    else if (c == 0x74) v = 0x09;
    else if (c == 0x76) v = 0x0b;
    else if (c == 0x78) { // \xHH or \x{H...}
      v = 0;
      if (this.peek() == 0x7b) {
        this.pos++;
        let digits = 0;
        while (this.more() && this.peek() != 0x7d) {
          const h = hexDigit(this.peek());
          if (h < 0 || digits >= 4) return this.fail("bad \\x{} escape (at most 4 hex digits: code units up to FFFF)");
          v = v * 16 + h;
          digits++;
          this.pos++;
        }
        if (!this.more() || digits == 0) return this.fail("bad \\x{} escape");
        this.pos++;
      } else {
        if (this.pos + 2 > this.s.length) return this.fail("bad \\x escape");
        const h1 = hexDigit(this.s.charCodeAt(this.pos));
        const h2 = hexDigit(this.s.charCodeAt(this.pos + 1));
        if (h1 < 0 || h2 < 0) return this.fail("bad \\x escape");
        v = h1 * 16 + h2;
        this.pos += 2;
      }
    } else if (c < 0x80 && !isWord(c)) v = c; // escaped punctuation
    if (v < 0) {
      this.pos--;
      return this.fail("invalid or unsupported escape \\" + String.fromCharCode(c) + (isDigit(c) ? " (backreferences are not supported)" : ""));
    }
    return this.node(N_CHAR, v);
  }

  parseClass(): Node {
    const cls = new CharClass();
    cls.icase = (this.flags & F_ICASE) != 0;
    if (this.peek() == 0x5e) { cls.negated = true; this.pos++; }
    let first = true;
    while (true) {
      if (!this.more()) return this.fail("missing ]");
      const c = this.peek();
      if (c == 0x5d && !first) { this.pos++; break; }
      first = false;
      if (c == 0x5b && this.pos + 1 < this.s.length && this.s.charCodeAt(this.pos + 1) == 0x3a) {
        const close = this.s.indexOf(":]", this.pos + 2);
        if (close < 0) return this.fail("missing :] in a POSIX class");
        let name = this.s.substring(this.pos + 2, close);
        const negated = name.startsWith("^");
        if (negated) name = name.substring(1);
        const r = posixRanges(name);
        if (r.length == 0) return this.fail("unknown POSIX class [:" + name + ":]");
        if (negated) {
          let lo = 0;
          for (let i = 0; i < r.length; i += 2) {
            if (r[i] > lo) { cls.ranges.push(lo); cls.ranges.push(r[i] - 1); }
            lo = r[i + 1] + 1;
          }
          cls.ranges.push(lo);
          cls.ranges.push(0xffff);
        } else for (let i = 0; i < r.length; i++) cls.ranges.push(r[i]);
        this.pos = close + 2;
        continue;
      }
      this.pos++;
      let lo = c;
      if (c == 0x5c) {
        const e = this.parseEscape(cls);
        if (this.error.length > 0) return e;
        if (e.kind == N_EMPTY) continue; // builtin added
        if (e.kind != N_CHAR) return this.fail("bad escape in a class");
        lo = e.c;
      }
      let hi = lo;
      if (this.peek() == 0x2d && this.pos + 1 < this.s.length && this.s.charCodeAt(this.pos + 1) != 0x5d) {
        this.pos++;
        let h = this.peek();
        this.pos++;
        if (h == 0x5c) {
          const e = this.parseEscape(null);
          if (this.error.length > 0) return e;
          if (e.kind != N_CHAR) return this.fail("bad class range");
          h = e.c;
        }
        hi = h;
        if (hi < lo) return this.fail("bad class range");
      }
      cls.ranges.push(lo);
      cls.ranges.push(hi);
    }
    this.classes.push(cls);
    return this.node(N_CLASS, this.classes.length - 1);
  }
}

class Emitter {
  op: u8[] = [];
  a: i32[] = [];
  b: i32[] = [];
  overflow: bool = false;

  emit(op: u8, a: i32, b: i32): i32 {
    if (this.op.length >= MAX_PROGRAM) {
      this.overflow = true;
      return this.op.length;
    }
    this.op.push(op);
    this.a.push(a);
    this.b.push(b);
    return this.op.length - 1;
  }

  patchA(at: i32, v: i32): void { if (at < this.a.length) this.a[at] = v; }
  patchB(at: i32, v: i32): void { if (at < this.b.length) this.b[at] = v; }
  pc(): i32 { return this.op.length; }

  gen(n: Node): void {
    if (this.overflow) return;
    const k = n.kind;
    if (k == N_EMPTY) return;
    if (k == N_CHAR) {
      const icase = (n.flags & F_ICASE) != 0;
      this.emit(OP_CHAR, icase ? lowerAscii(n.c) : n.c, icase ? 1 : 0);
      return;
    }
    if (k == N_ANY) { this.emit(OP_ANY, 0, (n.flags & F_DOTNL) != 0 ? 1 : 0); return; }
    if (k == N_CLASS) { this.emit(OP_CLASS, n.c, 0); return; }
    if (k == N_ASSERT) { this.emit(<u8>n.c, 0, n.min); return; } // min = 1: a (?m) ^ or $
    if (k == N_CAT) {
      for (let i = 0; i < n.kids.length; i++) this.gen(n.kids[i]);
      return;
    }
    if (k == N_GROUP) {
      this.emit(OP_SAVE, 2 * n.c, 0);
      this.gen(n.kids[0]);
      this.emit(OP_SAVE, 2 * n.c + 1, 0);
      return;
    }
    if (k == N_ALT) {
      // split L1, next; L1: e1; jmp end; next: split L2, ...; last: en; end:
      const jumps: i32[] = [];
      for (let i = 0; i < n.kids.length; i++) {
        if (i < n.kids.length - 1) {
          const split = this.emit(OP_SPLIT, 0, 0);
          this.patchA(split, this.pc());
          this.gen(n.kids[i]);
          jumps.push(this.emit(OP_JMP, 0, 0));
          this.patchB(split, this.pc());
        } else this.gen(n.kids[i]);
      }
      for (let i = 0; i < jumps.length; i++) this.patchA(jumps[i], this.pc());
      return;
    }
    if (k == N_REPEAT) {
      const e = n.kids[0];
      for (let i = 0; i < n.min; i++) this.gen(e);
      if (n.max < 0) {
        // L: split body, end (greedy); body; jmp L
        const split = this.emit(OP_SPLIT, 0, 0);
        this.gen(e);
        this.emit(OP_JMP, split, 0);
        this.setSplit(split, split + 1, this.pc(), n.greedy);
      } else {
        const splits: i32[] = [];
        for (let i = n.min; i < n.max; i++) {
          splits.push(this.emit(OP_SPLIT, 0, 0));
          this.gen(e);
        }
        for (let i = 0; i < splits.length; i++) this.setSplit(splits[i], splits[i] + 1, this.pc(), n.greedy);
      }
    }
  }

  setSplit(at: i32, body: i32, out: i32, greedy: bool): void {
    this.patchA(at, greedy ? body : out);
    this.patchB(at, greedy ? out : body);
  }
}

/** A compiled program: instructions (op, a, b), character classes and the number of groups. */
export class Program {
  constructor(public op: u8[], public a: i32[], public b: i32[], public classes: CharClass[], public groups: i32) {}
}

/** The last compile error ("" after a successful compile). */
export let regexError: string = "";

/** Compiles `pattern` (ignoreCase: as if it began with (?i)); null, with the reason in
 * regexError, when it is outside the supported syntax or over the program budget. */
export function compileProgram(pattern: string, ignoreCase: bool): Program | null {
  regexError = "";
  if (pattern.length > 4096) {
    regexError = "regex longer than 4096 characters";
    return null;
  }
  const p = new Parser(pattern);
  if (ignoreCase) p.flags = F_ICASE;
  const tree = p.parseAlt(0);
  if (p.error.length == 0 && p.more()) p.fail("unexpected )");
  if (p.error.length > 0) {
    regexError = p.error;
    return null;
  }
  const em = new Emitter();
  em.emit(OP_SAVE, 0, 0);
  em.gen(tree);
  em.emit(OP_SAVE, 1, 0);
  em.emit(OP_MATCH, 0, 0);
  if (em.overflow) {
    regexError = "regex program too large: more than " + MAX_PROGRAM.toString() + " instructions (the limit bounds what a match costs, as Envoy's RE2 max_program_size does); use fewer or smaller counted repetitions and alternatives";
    return null;
  }
  return new Program(em.op, em.a, em.b, p.classes, p.groups);
}
