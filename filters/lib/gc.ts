// Garbage collection for the "minimal" runtime (TLSF + two-colour mark & sweep, asconfig.json).
// The incremental runtime keeps a shadow stack of every managed local, which more than doubled
// the code size (router.wasm 84 KB vs 51 KB) and costs time on every call; the minimal one needs
// __collect() to be called when no managed value lives on the wasm stack, which is true at the end
// of every exported callback. We collect there once enough bytes have been allocated since the
// last collection: every byte the host hands us goes through malloc (counted exactly), and our own
// work per stream is small and proportional to it (plus STREAM_BYTES per stream); the threshold
// grows with the live config so a big table is not re-marked too often: a collection visits every
// live object (~100 ns each), and at 8 x the body a 1000-route table cost ~0.5 us per request in
// collections; at LIVE_FACTOR x it is a quarter of that, for a few MB more garbage between
// collections (which fits in the space the config's JSON parse left free).

// @ts-ignore: decorator
@inline const MIN_THRESHOLD: usize = 1 << 20;
// @ts-ignore: decorator
@inline const STREAM_BYTES: usize = 1024;
// @ts-ignore: decorator
@inline const LIVE_FACTOR: usize = 32;

let allocated: usize = 0;
let threshold: usize = MIN_THRESHOLD;

/** Counts bytes allocated on the host's behalf (malloc) or estimated per stream. */
// @ts-ignore: decorator
@inline export function noteAllocation(bytes: usize): void {
  allocated += bytes;
}

export function noteStream(): void {
  allocated += STREAM_BYTES;
}

/** Call only at the end of an exported callback (no managed locals on the stack). */
export function maybeCollect(): void {
  if (allocated >= threshold) collectNow();
}

/** Collects now. `liveHint` (e.g. the config body size) raises the next threshold. */
export function collectNow(liveHint: usize = 0): void {
  __collect();
  allocated = 0;
  const t = liveHint * LIVE_FACTOR;
  if (liveHint > 0) threshold = t > MIN_THRESHOLD ? t : MIN_THRESHOLD;
}
