// Seeded mutations of AdmissionReviews (reproducible: the same seed gives the same reviews), shared by
// the in-process fuzz test and the one over HTTP against the Worker.
import { readdirSync, readFileSync } from "node:fs";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** mulberry32: a tiny, fast, seedable PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GOLDEN = new URL("../golden/admission/", import.meta.url).pathname;

/** The golden reviews: realistic starting points (Bookinfo, probes, annotations, re-injection). */
export function seedReviews(): Json[] {
  return readdirSync(GOLDEN).map((name) => JSON.parse(readFileSync(`${GOLDEN}${name}/review.json`, "utf8")) as Json);
}

const STRINGS = ["", "false", "true", "*", "istio-proxy", "istio-token", "a/b~c", "__proto__", "constructor", "ü-√-💥", "10.0.0.0/8", "1,2,x", "-1", "9".repeat(40), "{", "Pod", "CREATE", "pods"];
const KEYS = ["sidecar.istio.io/inject", "sidecar.istio.io/status", "traffic.sidecar.istio.io/includeInboundPorts", "sidecar.istio.io/proxyCPU", "sidecar.istio.io/nativeSidecar", "name", "httpGet", "port", "env", "~1", "a/b", "__proto__"];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)];
}

function randomValue(rand: () => number, depth = 0): Json {
  const r = rand();
  if (r < 0.12) return null;
  if (r < 0.24) return rand() < 0.5;
  if (r < 0.38) return pick(rand, [0, -1, 1.5, 65536, 15020, Number.MAX_SAFE_INTEGER]);
  if (r < 0.7 || depth > 2) return pick(rand, STRINGS);
  if (r < 0.85) return Array.from({ length: Math.floor(rand() * 3) }, () => randomValue(rand, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, () => [pick(rand, KEYS), randomValue(rand, depth + 1)]));
}

/** Every container (object or array) inside `root`, with the way to reach it. */
function containers(root: Json): (Json[] | { [key: string]: Json })[] {
  const out: (Json[] | { [key: string]: Json })[] = [];
  const walk = (v: Json) => {
    if (typeof v !== "object" || v === null) return;
    out.push(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child);
  };
  walk(root);
  return out;
}

/** One to four random edits: delete, replace, add, or duplicate somewhere in the review. */
export function mutate(review: Json, rand: () => number): Json {
  const copy = structuredClone(review);
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    // Bias towards the pod, where the interesting structure is.
    const all = containers(copy);
    const target = pick(rand, all.length > 3 && rand() < 0.3 ? all.slice(0, 3) : all);
    if (Array.isArray(target)) {
      const at = Math.floor(rand() * (target.length + 1));
      const op = rand();
      if (op < 0.3 && target.length) target.splice(at % target.length, 1);
      else if (op < 0.6 && target.length) target.splice(at, 0, structuredClone(target[at % target.length]));
      else target.splice(at, 0, randomValue(rand));
    } else {
      const keys = Object.keys(target);
      const op = rand();
      if (op < 0.3 && keys.length) delete target[pick(rand, keys)];
      else if (op < 0.7 && keys.length) target[pick(rand, keys)] = randomValue(rand);
      else target[pick(rand, KEYS)] = randomValue(rand);
    }
  }
  return copy;
}
