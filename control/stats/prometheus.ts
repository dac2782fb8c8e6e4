// Prometheus text exposition (format 0.0.4) of wasm-defined metrics, as Envoy's admin
// /stats/prometheus prints them: each name filed under the `wasmcustom` namespace, its labels cut
// out by the Istio tag regexes (stat-tags.ts), one `# TYPE` line per metric family, histograms as
// cumulative `_bucket{le=…}` lines plus `_sum` and `_count`.
import type { Metric } from "../wasmhost/index.ts";
import { extractTags, WASM_CUSTOM_NAMESPACE } from "./stat-tags.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface Series {
  labels: [string, string][];
  metric: Metric;
}

/** Envoy's PrometheusStatsFormatter::sanitizeName: anything but [a-zA-Z0-9_] becomes `_`. */
function sanitizeName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Label values escaped as the exposition format requires (backslash, quote, newline). */
function labelText(labels: [string, string][]): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${sanitizeName(k)}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}


/** Renders the metrics of one or more filters (one proxy) as one exposition document. */
export function renderPrometheus(metrics: Iterable<Metric>): string {
  const families = new Map<string, Series[]>();
  for (const metric of metrics) {
    const { name, labels } = extractTags(`${WASM_CUSTOM_NAMESPACE}.${metric.name}`);
    const family = sanitizeName(name);
    const list = families.get(family) ?? [];
    list.push({ labels, metric });
    families.set(family, list);
  }
  const out: string[] = [];
  for (const family of [...families.keys()].sort()) {
    const series = families.get(family)!;
    const type = series[0].metric.type;
    out.push(`# TYPE ${family} ${type}`);
    for (const { labels, metric } of series) {
      if (metric.type !== type) continue; // one family, one type (Envoy keeps the first)
      const h = metric.histogram;
      if (!h) {
        out.push(`${family}${labelText(labels)} ${metric.value}`);
        continue;
      }
      const cumulative = h.cumulative();
      h.bounds.forEach((b, i) => out.push(`${family}_bucket${labelText([...labels, ["le", String(b)]])} ${cumulative[i]}`));
      out.push(`${family}_bucket${labelText([...labels, ["le", "+Inf"]])} ${h.count}`);
      out.push(`${family}_sum${labelText(labels)} ${h.sum}`);
      out.push(`${family}_count${labelText(labels)} ${h.count}`);
    }
  }
  return out.length > 0 ? out.join("\n") + "\n" : "";
}
