// A tiny WebAssembly binary writer for host tests: hand-made guests that misbehave on purpose
// (bad pointers, unknown map types, traps) without needing wabt. i32-only signatures.

export type Op =
  | ["i32.const", number]
  | ["call", string]
  | ["local.get", number]
  | ["drop"]
  | ["unreachable"];

export interface ImportSpec {
  module: string;
  name: string;
  params: number;
  results: 0 | 1;
}

export interface FuncSpec {
  export: string;
  params: number;
  results: 0 | 1;
  body: Op[];
}

export interface ModuleSpec {
  imports?: ImportSpec[];
  funcs: FuncSpec[];
  /** Pages of memory exported as "memory" (default 1). */
  memoryPages?: number;
  data?: { offset: number; bytes: Uint8Array | string }[];
}

const I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  while (true) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const str = (s: string) => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

export function buildModule(spec: ModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const sigs: string[] = [];
  const sigIndex = (params: number, results: number) => {
    const key = `${params}:${results}`;
    if (!sigs.includes(key)) sigs.push(key);
    return sigs.indexOf(key);
  };
  const importSigs = imports.map((i) => sigIndex(i.params, i.results));
  const funcSigs = spec.funcs.map((f) => sigIndex(f.params, f.results));
  const callIndex = (name: string) => {
    const i = imports.findIndex((imp) => `${imp.module}.${imp.name}` === name || imp.name === name);
    if (i < 0) throw new Error(`no import ${name}`);
    return i;
  };
  const types = sigs.map((key) => {
    const [p, r] = key.split(":").map(Number);
    return [0x60, ...uleb(p), ...Array(p).fill(I32), ...uleb(r), ...Array(r).fill(I32)];
  });
  const code = spec.funcs.map((f) => {
    const ops = f.body.flatMap((op): number[] => {
      switch (op[0]) {
        case "i32.const":
          return [0x41, ...sleb(op[1])];
        case "call":
          return [0x10, ...uleb(callIndex(op[1]))];
        case "local.get":
          return [0x20, ...uleb(op[1])];
        case "drop":
          return [0x1a];
        case "unreachable":
          return [0x00];
      }
    });
    const body = [0x00 /* no locals */, ...ops, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const enc = new TextEncoder();
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports.map((imp, i) => [...str(imp.module), ...str(imp.name), 0x00, ...uleb(importSigs[i])]))),
    ...section(3, vec(funcSigs.map((s) => uleb(s)))),
    ...section(5, vec([[0x00, ...uleb(spec.memoryPages ?? 1)]])),
    ...section(7, vec([
      [...str("memory"), 0x02, 0x00],
      ...spec.funcs.map((f, i) => [...str(f.export), 0x00, ...uleb(imports.length + i)]),
    ])),
    ...section(10, vec(code)),
    ...(spec.data?.length
      ? section(11, vec(spec.data.map((d) => {
          const b = typeof d.bytes === "string" ? [...enc.encode(d.bytes)] : [...d.bytes];
          return [0x00, 0x41, ...sleb(d.offset), 0x0b, ...uleb(b.length), ...b];
        })))
      : []),
  ];
  return new Uint8Array(bytes);
}
