// "Stat name → metric name + labels", the one implementation Envoy's bootstrap and the dev proxy
// share. A proxy-wasm filter cannot attach labels to a metric: Istio's stats filter encodes them in
// the name it defines (`reporter=.=source;.;source_workload=.=productpage-v1;.;…;.;istio_requests_total`,
// proxy-wasm-cpp-sdk's MetricBase with Istio's separators "=.=" and ";.;"), Envoy files every
// wasm-defined metric under the custom namespace `wasmcustom.`, and the bootstrap's
// stats_config.stats_tags regexes (istio/istio tools/packaging/common/envoy_bootstrap.json:
// `(<label>=\.=(.*?);\.;)`) cut each label out of the name again: the tag value is the regex's
// second group, and its first group is removed from the name. /stats/prometheus then prints the
// name without the registered custom namespace and without Envoy's `envoy_` prefix.
//
// The filter (filters/stats) writes the labels in this same order.

/** Istio's standard labels, in the order of istio/proxy's STD_ISTIO_DIMENSIONS (canonical
 * service/revision left out: the issue asks for exactly these). */
export const ISTIO_LABELS = [
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "destination_workload",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "destination_cluster",
  "request_protocol",
  "response_flags",
  "connection_security_policy",
  "response_code",
  "grpc_response_status",
] as const;

export type IstioLabel = (typeof ISTIO_LABELS)[number];

/** Envoy's custom stat namespace for wasm-defined metrics (source/extensions/common/wasm). */
export const WASM_CUSTOM_NAMESPACE = "wasmcustom";

/** Istio's separators between a label and its value, and after each value. */
export const VALUE_SEPARATOR = "=.=";
export const FIELD_SEPARATOR = ";.;";

export interface StatsTag {
  tag_name: string;
  regex: string;
}

/** The bootstrap's stats_tags for Istio's labels (RE2 syntax; JavaScript reads it the same). */
export function istioStatsTags(): StatsTag[] {
  return ISTIO_LABELS.map((label) => ({ tag_name: label, regex: `(${label}=\\.=(.*?);\\.;)` }));
}

const TAG_REGEXES = istioStatsTags().map((t) => ({ name: t.tag_name, re: new RegExp(t.regex) }));

export interface TaggedName {
  name: string;
  labels: [string, string][];
}

/** Envoy's TagExtractorImpl over the Istio regexes, in order: each regex that matches yields its
 * second group as the tag value and has its first group removed from the name. Then the custom
 * namespace prefix is dropped, as /stats/prometheus does. */
export function extractTags(statName: string): TaggedName {
  let name = statName;
  const labels: [string, string][] = [];
  for (const { name: tag, re } of TAG_REGEXES) {
    const m = re.exec(name);
    if (!m) continue;
    labels.push([tag, m[2]]);
    name = name.slice(0, m.index) + name.slice(m.index + m[1].length);
  }
  const prefix = `${WASM_CUSTOM_NAMESPACE}.`;
  return { name: name.startsWith(prefix) ? name.slice(prefix.length) : name, labels };
}
