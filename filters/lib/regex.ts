// The filters' regular-expression engine: programs compiled by regex-syntax.ts (RE2 syntax; the
// control plane validates with the same compiler) run as a Pike VM (Thompson NFA simulation):
// time is linear in input x program size and there is no backtracking, so request-controlled
// input cannot blow up (RE2's guarantee, which Envoy's safe_regex relies on), and the program
// size is capped (regex-syntax.ts MAX_PROGRAM). Every buffer a match needs is allocated at
// compile time; matching allocates only the result of replaceAll(). Matching works on UTF-16
// code units.
import { isDigit, isWord, lowerAscii } from "./chars";
import { CharClass, compileProgram, OP_ANY, OP_BOL, OP_CHAR, OP_CLASS, OP_EOL, OP_JMP, OP_MATCH, OP_NWORDB, OP_SAVE, OP_SPLIT, OP_WORDB } from "./regex-syntax";

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
  groups: i32;
  slots: i32;
  private clist: ThreadList;
  private nlist: ThreadList;
  private cur: Int32Array;
  /** Capture positions of the last successful search (2 per group, group 0 = whole match). */
  found: Int32Array;

  constructor(op: u8[], a: i32[], b: i32[], classes: CharClass[], groups: i32) {
    const n = op.length;
    const slots = (groups + 1) * 2;
    this.op = new Uint8Array(n);
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.classes = classes;
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
      const cl = lowerAscii(c);
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
          ok = (unchecked(this.b[pc]) != 0 ? cl : c) == unchecked(this.a[pc]);
        } else if (op == OP_ANY) {
          ok = c != 0x0a || unchecked(this.b[pc]) != 0;
        } else if (op == OP_CLASS) {
          ok = unchecked(this.classes[unchecked(this.a[pc])]).has(c);
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
      if (pos == 0 || (unchecked(this.b[pc]) != 0 && s.charCodeAt(pos - 1) == 0x0a)) this.addThread(list, pc + 1, pos, s);
    } else if (op == OP_EOL) {
      if (pos == s.length || (unchecked(this.b[pc]) != 0 && s.charCodeAt(pos) == 0x0a)) this.addThread(list, pc + 1, pos, s);
    } else if (op == OP_WORDB || op == OP_NWORDB) {
      const before = pos > 0 && isWord(s.charCodeAt(pos - 1));
      const after = pos < s.length && isWord(s.charCodeAt(pos));
      if ((before != after) == (op == OP_WORDB)) this.addThread(list, pc + 1, pos, s);
    } else {
      memory.copy(list.caps.dataStart + <usize>(i * this.slots * 4), this.cur.dataStart, <usize>(this.slots * 4));
    }
  }
}

/** Compiles `pattern`; null (reason in regex-syntax's regexError) when it cannot be run. */
export function compileRegex(pattern: string, ignoreCase: bool = false): Regex | null {
  const p = compileProgram(pattern, ignoreCase);
  return p === null ? null : new Regex(p.op, p.a, p.b, p.classes, p.groups);
}
