// Stat name → name + labels (the Istio tag regexes the bootstrap gives Envoy) and the Prometheus
// text the dev proxy serves, checked by the real promtool's parser.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../../control/stats/prometheus.ts";
import { extractTags, ISTIO_LABELS, istioStatsTags } from "../../control/stats/stat-tags.ts";
import { Histogram, type Metric } from "../../control/wasmhost/index.ts";
import { bootstrap } from "../../control/xds/bootstrap.ts";
import { parseExposition, promtoolCheck } from "./exposition.ts";

const tagged = (labels: [string, string][], name: string) => labels.map(([k, v]) => `${k}=.=${v};.;`).join("") + name;

describe("tag extraction", () => {
  test("each label is cut out of the name; the wasmcustom namespace is dropped", () => {
    const got = extractTags(`wasmcustom.${tagged([["reporter", "source"], ["source_workload", "productpage-v1"], ["response_code", "200"], ["grpc_response_status", ""]], "istio_requests_total")}`);
    assert.deepEqual(got, {
      name: "istio_requests_total",
      labels: [
        ["reporter", "source"],
        ["source_workload", "productpage-v1"],
        ["response_code", "200"],
        ["grpc_response_status", ""],
      ],
    });
  });

  test("a name without tags, or with a tag Istio does not know, keeps it in the name", () => {
    assert.deepEqual(extractTags("wasmcustom.plain_total"), { name: "plain_total", labels: [] });
    assert.deepEqual(extractTags("server.live"), { name: "server.live", labels: [] });
    assert.deepEqual(extractTags("wasmcustom.custom=.=x;.;m"), { name: "custom=.=x;.;m", labels: [] });
  });

  test("the bootstrap gives Envoy exactly these regexes, in Istio's form", () => {
    const boot = bootstrap({
      namespace: "default",
      workload: "reviews-v1",
      kind: "sidecar",
      pod: "reviews-v1-1",
      ip: "10.0.0.1",
      serviceAccount: "bookinfo-reviews",
      labels: { app: "reviews" },
      probers: {},
      controlPlane: { host: "cp", url: "https://cp.example" },
      token: "t",
      refreshDelay: "5s",
    }) as { stats_config: { stats_tags: { tag_name: string; regex: string }[] } };
    assert.deepEqual(boot.stats_config.stats_tags, istioStatsTags());
    assert.deepEqual(
      boot.stats_config.stats_tags.map((t) => t.tag_name),
      [...ISTIO_LABELS],
    );
    assert.equal(istioStatsTags()[0].regex, "(reporter=\\.=(.*?);\\.;)");
  });
});

describe("Prometheus text", () => {
  const histogram = (values: number[]) => {
    const h = new Histogram();
    for (const v of values) h.record(v);
    return h;
  };
  const metrics: Metric[] = [
    { name: tagged([["reporter", "destination"], ["response_code", "200"]], "istio_requests_total"), type: "counter", value: 7n },
    { name: tagged([["reporter", "destination"], ["response_code", "503"]], "istio_requests_total"), type: "counter", value: 2n },
    { name: tagged([["reporter", "destination"], ["response_code", "200"]], "istio_request_duration_milliseconds"), type: "histogram", value: 0n, histogram: histogram([0.2, 3, 3, 70000]) },
    { name: tagged([["reporter", "destination"], ["source_workload", 'we"ird\\name']], "istio_requests_total"), type: "counter", value: 1n },
  ];

  test("families with one TYPE line, labelled samples, cumulative buckets, sum and count", () => {
    const text = renderPrometheus(metrics);
    const { types, samples } = parseExposition(text);
    assert.deepEqual(types, { istio_request_duration_milliseconds: "histogram", istio_requests_total: "counter" });
    assert.equal(text.match(/^# TYPE istio_requests_total counter$/gm)?.length, 1);
    assert.ok(text.includes('istio_requests_total{reporter="destination",response_code="200"} 7\n'));
    const buckets = samples.filter((s) => s.name === "istio_request_duration_milliseconds_bucket");
    assert.deepEqual(
      buckets.map((b) => [b.labels.le, b.value]).slice(0, 4),
      [
        ["0.5", 1],
        ["1", 1],
        ["5", 3],
        ["10", 3],
      ],
    );
    assert.deepEqual(buckets.at(-1), { name: "istio_request_duration_milliseconds_bucket", labels: { reporter: "destination", response_code: "200", le: "+Inf" }, value: 4 });
    assert.equal(buckets.find((b) => b.labels.le === "60000")!.value, 3);
    assert.equal(buckets.find((b) => b.labels.le === "300000")!.value, 4);
    assert.equal(samples.find((s) => s.name === "istio_request_duration_milliseconds_sum")!.value, 70006.2);
    assert.equal(samples.find((s) => s.name === "istio_request_duration_milliseconds_count")!.value, 4);
    assert.equal(samples.find((s) => s.labels.source_workload !== undefined)!.labels.source_workload, 'we"ird\\name', "quotes and backslashes are escaped");
    assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  });

  test("promtool parses it", (t) => {
    const check = promtoolCheck(renderPrometheus(metrics));
    if (!check.ran) return t.skip("promtool is not installed");
    assert.equal(check.problems, "");
    assert.notEqual(promtoolCheck('bad{le="1" 2\n').problems, "", "promtool does report a broken line");
  });

  test("nothing recorded: an empty document", () => {
    assert.equal(renderPrometheus([]), "");
  });
});
