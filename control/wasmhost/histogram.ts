// A histogram metric as Envoy keeps one for /stats/prometheus: cumulative-ready bucket counts over
// Envoy's default bucket bounds (Stats::HistogramSettingsImpl::defaultBuckets, used when the
// bootstrap sets no histogram_bucket_settings, as Istio's does not by default), the sum and count.

export const ENVOY_DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export class Histogram {
  /** counts[i]: recorded values v with bounds[i-1] < v <= bounds[i]; the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = ENVOY_DEFAULT_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  record(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  /** Prometheus' `le` buckets: how many values are <= each bound, then +Inf. */
  cumulative(): number[] {
    let total = 0;
    return this.counts.map((c) => (total += c));
  }
}
