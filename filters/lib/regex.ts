// A small regular-expression engine for the RE2 subset Istio/Envoy configs use, compiled once when
// a config is accepted and run as a Pike VM (Thompson NFA simulation): time is linear in
// input x program size and there is no backtracking, so request-controlled input cannot blow up
// (RE2's guarantee, which Envoy's safe_regex relies on). Every buffer a match needs is allocated
// at compile time; matching allocates only the result of replaceAll().
//
// Supported: literals, `.`, `[...]`/`[^...]` with ranges and \d\w\s\D\W\S inside, escapes
// \d \w \s \D \W \S \b \B \A \z \n \r \t \f \v \xHH \x{H..} and escaped punctuation, anchors ^ $,
// groups (...), (?:...), (?P<name>...), (?<name>...), a leading (?i) flag, alternation |,
// quantifiers * + ? {n} {n,} {n,m} and their lazy forms. Not supported (the config is rejected):
// Unicode classes \p{..}, POSIX [[:alpha:]], backreferences, look-around, inline flags other than
// a leading (?i). Matching works on UTF-16 code units; `.` does not match "\n" (RE2 default).

import { hexDigit } from "./json";

// Opcodes
const OP_CHAR: u8 = 0; // a = code unit
const OP_ANY: u8 = 1; // any except \n
const OP_CLASS: u8 = 2; // a = class index
const OP_SPLIT: u8 = 3; // a = preferred, b = other
const OP_JMP: u8 = 4; // a = target
const OP_SAVE: u8 = 5; // a = slot
const OP_MATCH: u8 = 6;
const OP_BOL: u8 = 7; // ^ / \A
const OP_EOL: u8 = 8; // $ / \z
const OP_WORDB: u8 = 9; // \b
const OP_NWORDB: u8 = 10; // \B

const MAX_PROGRAM: i32 = 2048;
const MAX_DEPTH: i32 = 64;
const MAX_REPEAT: i32 = 1000;

// Class builtins (bit flags)
const B_DIGIT: u8 = 1;
const B_NDIGIT: u8 = 2;
const B_WORD: u8 = 4;
const B_NWORD: u8 = 8;
const B_SPACE: u8 = 16;
const B_NSPACE: u8 = 32;

class CharClass {
  ranges: i32[] = []; // lo, hi pairs
  builtins: u8 = 0;
  negated: bool = false;

  has(c: i32, icase: bool): bool {
    let hit = this.raw(c);
    if (!hit && icase) {
      const l = lowerAscii(c);
      const u = upperAscii(c);
      hit = (l != c && this.raw(l)) || (u != c && this.raw(u));
    }
    return hit != this.negated;
  }

  private raw(c: i32): bool {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) if (c >= unchecked(r[i]) && c <= unchecked(r[i + 1])) return true;
    const b = this.builtins;
    if (b == 0) return false;
    if ((b & B_DIGIT) && isDigit(c)) return true;
    if ((b & B_NDIGIT) && !isDigit(c)) return true;
    if ((b & B_WORD) && isWord(c)) return true;
    if ((b & B_NWORD) && !isWord(c)) return true;
    if ((b & B_SPACE) && isSpace(c)) return true;
    if ((b & B_NSPACE) && !isSpace(c)) return true;
    return false;
  }
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
// @ts-ignore: decorator
@inline function isWord(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}
// @ts-ignore: decorator
@inline function isSpace(c: i32): bool { return c == 0x20 || (c >= 0x09 && c <= 0x0d); }
// @ts-ignore: decorator
@inline export function lowerAscii(c: i32): i32 { return c >= 0x41 && c <= 0x5a ? c + 32 : c; }
// @ts-ignore: decorator
@inline function upperAscii(c: i32): i32 { return c >= 0x61 && c <= 0x7a ? c - 32 : c; }

/** Parsed expression tree node (compile time only). */
class Node {
  kind: u8 = 0; // see N_*
  c: i32 = 0; // char / class index / group index
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
  icase: bool = false;
  constructor(public s: string) {}

  fail(msg: string): Node {
    if (this.error.length == 0) this.error = msg + " at offset " + this.pos.toString();
    return new Node();
  }

  more(): bool { return this.pos < this.s.length; }
  peek(): i32 { return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1; }

  parseAlt(depth: i32): Node {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    const first = this.parseCat(depth);
    if (this.peek() != 0x7c) return first;
    const alt = new Node();
    alt.kind = N_ALT;
    alt.kids.push(first);
    while (this.peek() == 0x7c && this.error.length == 0) {
      this.pos++;
      alt.kids.push(this.parseCat(depth));
    }
    return alt;
  }

  parseCat(depth: i32): Node {
    const cat = new Node();
    cat.kind = N_CAT;
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
      let min = 0;
      let max = 0;
      if (c == 0x2a) { min = 0; max = -1; this.pos++; }
      else if (c == 0x2b) { min = 1; max = -1; this.pos++; }
      else if (c == 0x3f) { min = 0; max = 1; this.pos++; }
      else if (c == 0x7b) {
        const save = this.pos;
        this.pos++;
        const lo = this.number();
        if (lo < 0) { this.pos = save; return atom; } // literal '{' (RE2 accepts)
        min = lo;
        max = lo;
        if (this.peek() == 0x2c) {
          this.pos++;
          if (this.peek() == 0x7d) max = -1;
          else {
            max = this.number();
            if (max < 0) { this.pos = save; return atom; }
          }
        }
        if (this.peek() != 0x7d) { this.pos = save; return atom; }
        this.pos++;
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) {
          this.fail("bad repetition count");
          return atom;
        }
      } else break;
      if (atom.kind == N_ASSERT || atom.kind == N_EMPTY) {
        this.fail("nothing to repeat");
        return atom;
      }
      if (atom.kind == N_REPEAT) {
        this.fail("double repetition operator");
        return atom;
      }
      const rep = new Node();
      rep.kind = N_REPEAT;
      rep.min = min;
      rep.max = max;
      if (this.peek() == 0x3f) { rep.greedy = false; this.pos++; }
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

  parseAtom(depth: i32): Node {
    const c = this.peek();
    this.pos++;
    const n = new Node();
    if (c == 0x28) { // (
      let capture = true;
      if (this.peek() == 0x3f) { // (?
        this.pos++;
        const k = this.peek();
        if (k == 0x3a) { this.pos++; capture = false; }
        else if (k == 0x50 || k == 0x3c) { // (?P<name> or (?<name>
          if (k == 0x50) this.pos++;
          if (this.peek() != 0x3c) return this.fail("bad group name");
          while (this.more() && this.peek() != 0x3e) this.pos++;
          if (!this.more()) return this.fail("unterminated group name");
          this.pos++;
        } else return this.fail("unsupported group flag (only a leading (?i) is supported)");
      }
      let idx = 0;
      if (capture) idx = ++this.groups;
      const inner = this.parseAlt(depth + 1);
      if (this.peek() != 0x29) return this.fail("missing )");
      this.pos++;
      if (!capture) return inner;
      n.kind = N_GROUP;
      n.c = idx;
      n.kids.push(inner);
      return n;
    }
    if (c == 0x29) return this.fail("unexpected )");
    if (c == 0x2a || c == 0x2b || c == 0x3f) return this.fail("nothing to repeat");
    if (c == 0x5b) return this.parseClass();
    if (c == 0x2e) { n.kind = N_ANY; return n; }
    if (c == 0x5e) { n.kind = N_ASSERT; n.c = OP_BOL; return n; }
    if (c == 0x24) { n.kind = N_ASSERT; n.c = OP_EOL; return n; }
    if (c == 0x5c) return this.parseEscape(false, null);
    n.kind = N_CHAR;
    n.c = c;
    return n;
  }

  /** After a backslash. In a class, builtins go into `into` and a char node is returned. */
  parseEscape(inClass: bool, into: CharClass | null): Node {
    const n = new Node();
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
        n.kind = N_EMPTY;
        return n;
      }
      const cls = new CharClass();
      cls.builtins = builtin;
      n.kind = N_CLASS;
      n.c = this.classes.length;
      this.classes.push(cls);
      return n;
    }
    if (!inClass) {
      if (c == 0x62 || c == 0x42 || c == 0x41 || c == 0x7a) {
        n.kind = N_ASSERT;
        n.c = c == 0x62 ? OP_WORDB : c == 0x42 ? OP_NWORDB : c == 0x41 ? OP_BOL : OP_EOL;
        return n;
      }
    }
    n.kind = N_CHAR;
    if (c == 0x6e) n.c = 0x0a;
    else if (c == 0x72) n.c = 0x0d;
    else if (c == 0x74) n.c = 0x09;
    else if (c == 0x66) n.c = 0x0c;
    else if (c == 0x76) n.c = 0x0b;
    else if (c == 0x78) { // \xHH or \x{H...}
      let v = 0;
      if (this.peek() == 0x7b) {
        this.pos++;
        let digits = 0;
        while (this.more() && this.peek() != 0x7d) {
          const h = hexDigit(this.peek());
          if (h < 0 || digits >= 4) return this.fail("bad \\x{} escape");
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
      n.c = v;
    } else if (c < 0x80 && !isWord(c)) n.c = c; // escaped punctuation
    else return this.fail("unsupported escape \\" + String.fromCharCode(c));
    return n;
  }

  parseClass(): Node {
    const cls = new CharClass();
    if (this.peek() == 0x5e) { cls.negated = true; this.pos++; }
    let first = true;
    while (true) {
      if (!this.more()) return this.fail("missing ]");
      let c = this.peek();
      if (c == 0x5d && !first) { this.pos++; break; }
      first = false;
      if (c == 0x5b && this.pos + 1 < this.s.length && this.s.charCodeAt(this.pos + 1) == 0x3a) return this.fail("POSIX classes are not supported");
      this.pos++;
      let lo = c;
      if (c == 0x5c) {
        const e = this.parseEscape(true, cls);
        if (this.error.length > 0) return e;
        if (e.kind == N_EMPTY) continue; // builtin added
        lo = e.c;
      }
      let hi = lo;
      if (this.peek() == 0x2d && this.pos + 1 < this.s.length && this.s.charCodeAt(this.pos + 1) != 0x5d) {
        this.pos++;
        let h = this.peek();
        this.pos++;
        if (h == 0x5c) {
          const e = this.parseEscape(true, null);
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
    const n = new Node();
    n.kind = N_CLASS;
    n.c = this.classes.length;
    this.classes.push(cls);
    return n;
  }
}


/** A sparse set of pcs with a capture-slot row per pc (Pike VM thread list). */
class ThreadList {
  dense: Int32Array;
  sparse: Int32Array;
  caps: Int32Array;
  n: i32 = 0;
  constructor(size: i32, public slots: i32) {
    this.dense = new Int32Array(size);
    this.sparse = new Int32Array(size);
    this.caps = new Int32Array(size * slots);
  }
  // @ts-ignore: decorator
  @inline has(pc: i32): bool {
    const i = unchecked(this.sparse[pc]);
    return i < this.n && unchecked(this.dense[i]) == pc;
  }
  // @ts-ignore: decorator
  @inline add(pc: i32): i32 {
    const i = this.n++;
    unchecked((this.dense[i] = pc));
    unchecked((this.sparse[pc] = i));
    return i;
  }
}

export class Regex {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  classes: CharClass[];
  icase: bool;
  groups: i32;
  slots: i32;
  private clist: ThreadList;
  private nlist: ThreadList;
  private cur: Int32Array;
  /** Capture positions of the last successful search (2 per group, group 0 = whole match). */
  found: Int32Array;

  constructor(op: u8[], a: i32[], b: i32[], classes: CharClass[], icase: bool, groups: i32) {
    const n = op.length;
    const slots = (groups + 1) * 2;
    this.op = new Uint8Array(n);
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.classes = classes;
    this.icase = icase;
    this.groups = groups;
    this.slots = slots;
    this.clist = new ThreadList(n, slots);
    this.nlist = new ThreadList(n, slots);
    this.cur = new Int32Array(slots);
    this.found = new Int32Array(slots);
    for (let i = 0; i < n; i++) {
      this.op[i] = op[i];
      this.a[i] = a[i];
      this.b[i] = b[i];
    }
  }

  /** Whole-string match (Envoy/Istio regex semantics: implicitly anchored at both ends). */
  fullMatch(s: string): bool {
    return this.run(s, 0, true, true);
  }

  /** Leftmost-first search from `from`; on success `found` holds the capture positions. */
  search(s: string, from: i32): bool {
    return this.run(s, from, false, false);
  }

  /** Replaces every non-overlapping match with `sub`, where \0..\9 insert capture groups
   * (Envoy regex_rewrite substitution). */
  replaceAll(s: string, sub: string): string {
    let out = "";
    let at = 0;
    let from = 0;
    const len = s.length;
    while (from <= len && this.search(s, from)) {
      const ms = this.found[0];
      const me = this.found[1];
      out += s.substring(at, ms);
      out += this.expand(s, sub);
      at = me;
      from = me > ms ? me : me + 1;
      if (me == ms && ms < len) {
        out += s.charAt(ms);
        at = ms + 1;
      }
    }
    if (at < len) out += s.substring(at);
    return out;
  }

  private expand(s: string, sub: string): string {
    let out = "";
    for (let i = 0; i < sub.length; i++) {
      const c = sub.charCodeAt(i);
      if (c == 0x5c && i + 1 < sub.length) {
        const d = sub.charCodeAt(i + 1);
        if (isDigit(d)) {
          const g = d - 0x30;
          if (g <= this.groups) {
            const st = this.found[2 * g];
            const en = this.found[2 * g + 1];
            if (st >= 0 && en >= st) out += s.substring(st, en);
          }
          i++;
          continue;
        }
        if (d == 0x5c) { out += "\\"; i++; continue; }
      }
      out += String.fromCharCode(c);
    }
    return out;
  }

  private run(s: string, from: i32, anchorStart: bool, anchorEnd: bool): bool {
    const slots = this.slots;
    let clist = this.clist;
    let nlist = this.nlist;
    const cur = this.cur;
    const len = s.length;
    clist.n = 0;
    let matched = false;
    for (let pos = from; ; pos++) {
      if (!matched && (!anchorStart || pos == from)) {
        for (let i = 0; i < slots; i++) unchecked((cur[i] = -1));
        this.addThread(clist, 0, pos, s);
      }
      if (clist.n == 0) break;
      nlist.n = 0;
      const c = pos < len ? <i32>s.charCodeAt(pos) : -1;
      const cl = this.icase && c >= 0 ? lowerAscii(c) : c;
      for (let t = 0; t < clist.n; t++) {
        const pc = unchecked(clist.dense[t]);
        const op = unchecked(this.op[pc]);
        let ok = false;
        if (op == OP_MATCH) {
          if (anchorEnd && pos != len) continue;
          memory.copy(this.found.dataStart, clist.caps.dataStart + <usize>(t * slots * 4), <usize>(slots * 4));
          matched = true;
          break; // lower-priority threads are cut off
        } else if (c < 0) {
          continue;
        } else if (op == OP_CHAR) {
          ok = (this.icase ? cl : c) == unchecked(this.a[pc]);
        } else if (op == OP_ANY) {
          ok = c != 0x0a;
        } else if (op == OP_CLASS) {
          ok = unchecked(this.classes[unchecked(this.a[pc])]).has(c, this.icase);
        }
        if (ok) {
          memory.copy(cur.dataStart, clist.caps.dataStart + <usize>(t * slots * 4), <usize>(slots * 4));
          this.addThread(nlist, pc + 1, pos + 1, s);
        }
      }
      if (pos >= len) break;
      const tmp = clist;
      clist = nlist;
      nlist = tmp;
    }
    // keep the two lists in their fields (they may have been swapped)
    this.clist = clist;
    this.nlist = nlist;
    return matched;
  }

  private addThread(list: ThreadList, pc: i32, pos: i32, s: string): void {
    if (list.has(pc)) return;
    const i = list.add(pc);
    const op = unchecked(this.op[pc]);
    if (op == OP_JMP) {
      this.addThread(list, unchecked(this.a[pc]), pos, s);
    } else if (op == OP_SPLIT) {
      this.addThread(list, unchecked(this.a[pc]), pos, s);
      this.addThread(list, unchecked(this.b[pc]), pos, s);
    } else if (op == OP_SAVE) {
      const slot = unchecked(this.a[pc]);
      const cur = this.cur;
      const old = unchecked(cur[slot]);
      unchecked((cur[slot] = pos));
      this.addThread(list, pc + 1, pos, s);
      unchecked((cur[slot] = old));
    } else if (op == OP_BOL) {
      if (pos == 0) this.addThread(list, pc + 1, pos, s);
    } else if (op == OP_EOL) {
      if (pos == s.length) this.addThread(list, pc + 1, pos, s);
    } else if (op == OP_WORDB || op == OP_NWORDB) {
      const before = pos > 0 && isWord(s.charCodeAt(pos - 1));
      const after = pos < s.length && isWord(s.charCodeAt(pos));
      if ((before != after) == (op == OP_WORDB)) this.addThread(list, pc + 1, pos, s);
    } else {
      memory.copy(list.caps.dataStart + <usize>(i * this.slots * 4), this.cur.dataStart, <usize>(this.slots * 4));
    }
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
  get pc(): i32 { return this.op.length; }

  gen(n: Node, icase: bool): void {
    if (this.overflow) return;
    const k = n.kind;
    if (k == N_EMPTY) return;
    if (k == N_CHAR) { this.emit(OP_CHAR, icase ? lowerAscii(n.c) : n.c, 0); return; }
    if (k == N_ANY) { this.emit(OP_ANY, 0, 0); return; }
    if (k == N_CLASS) { this.emit(OP_CLASS, n.c, 0); return; }
    if (k == N_ASSERT) { this.emit(<u8>n.c, 0, 0); return; }
    if (k == N_CAT) {
      for (let i = 0; i < n.kids.length; i++) this.gen(n.kids[i], icase);
      return;
    }
    if (k == N_GROUP) {
      this.emit(OP_SAVE, 2 * n.c, 0);
      this.gen(n.kids[0], icase);
      this.emit(OP_SAVE, 2 * n.c + 1, 0);
      return;
    }
    if (k == N_ALT) {
      // split L1, next; L1: e1; jmp end; next: split L2, ...; last: en; end:
      const jumps: i32[] = [];
      for (let i = 0; i < n.kids.length; i++) {
        if (i < n.kids.length - 1) {
          const split = this.emit(OP_SPLIT, 0, 0);
          this.patchA(split, this.pc);
          this.gen(n.kids[i], icase);
          jumps.push(this.emit(OP_JMP, 0, 0));
          this.patchB(split, this.pc);
        } else this.gen(n.kids[i], icase);
      }
      for (let i = 0; i < jumps.length; i++) this.patchA(jumps[i], this.pc);
      return;
    }
    if (k == N_REPEAT) {
      const e = n.kids[0];
      for (let i = 0; i < n.min; i++) this.gen(e, icase);
      if (n.max < 0) {
        // L: split body, end (greedy); body; jmp L
        const split = this.emit(OP_SPLIT, 0, 0);
        this.gen(e, icase);
        this.emit(OP_JMP, split, 0);
        this.setSplit(split, split + 1, this.pc, n.greedy);
      } else {
        const splits: i32[] = [];
        for (let i = n.min; i < n.max; i++) {
          splits.push(this.emit(OP_SPLIT, 0, 0));
          this.gen(e, icase);
        }
        for (let i = 0; i < splits.length; i++) this.setSplit(splits[i], splits[i] + 1, this.pc, n.greedy);
      }
    }
  }

  setSplit(at: i32, body: i32, out: i32, greedy: bool): void {
    this.patchA(at, greedy ? body : out);
    this.patchB(at, greedy ? out : body);
  }
}

/** The last compile error ("" after a successful compile). */
export let regexError: string = "";

/** Compiles `pattern`; null (reason in regexError) when it is outside the supported subset. */
export function compileRegex(pattern: string, ignoreCase: bool = false): Regex | null {
  regexError = "";
  if (pattern.length > 4096) {
    regexError = "regex longer than 4096 characters";
    return null;
  }
  const p = new Parser(pattern);
  // Only a leading (?i) flag is supported (the form Istio users write for case-insensitive matches).
  if (pattern.startsWith("(?i)")) {
    p.pos = 4;
    p.icase = true;
  }
  const tree = p.parseAlt(0);
  if (p.error.length == 0 && p.more()) p.fail("unexpected )");
  if (p.error.length > 0) {
    regexError = p.error;
    return null;
  }
  const icase = p.icase || ignoreCase;
  const em = new Emitter();
  em.emit(OP_SAVE, 0, 0);
  em.gen(tree, icase);
  em.emit(OP_SAVE, 1, 0);
  em.emit(OP_MATCH, 0, 0);
  if (em.overflow) {
    regexError = "regex program too large (more than " + MAX_PROGRAM.toString() + " instructions)";
    return null;
  }
  return new Regex(em.op, em.a, em.b, p.classes, icase, p.groups);
}
