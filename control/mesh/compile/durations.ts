// Istio durations (`"10s"`, `"0.5s"`, `"1m30s"`, `"100ms"`) to milliseconds.
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

export function durationMs(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  let total = 0;
  for (const [, num, unit] of d.matchAll(/([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(num) * UNIT_MS[unit];
  return Math.round(total);
}
