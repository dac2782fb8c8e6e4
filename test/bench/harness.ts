// `npm run bench`: every `*.bench.ts` here exports `bench(): Promise<BenchEntry[]>`. The runner
// prints each entry and merges them into bench/results.json ({"<name>": {value, unit, target, ok}}).
// Targets are checked against numbers measured side by side in the same run (ratios), not against
// wall-clock constants in unit tests.
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 1.5x no-op" or "<= 50 ms". */
  target: string;
  ok: boolean;
  /** Extra numbers worth printing (the side-by-side measurements behind a ratio). */
  detail?: string;
}

/** Median of `runs` timings (ms) of `fn`, after `warmup` untimed calls. */
export function medianMs(fn: () => void, runs = 15, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
