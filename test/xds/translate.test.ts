// The Envoy translation, in process, over every golden compile case: each resource of each
// workload (and each bootstrap) is parsed strictly against Envoy's protos, Any payloads included.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import type { ClusterSpec, WorkloadSnapshot } from "../../control/mesh/snapshot.ts";
import { bootstrap, TOKEN_METADATA } from "../../control/xds/bootstrap.ts";
import { endpointsFor, translate, TYPE } from "../../control/xds/translate/index.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";
import { assertEnvoyJson, validateEnvoyJson } from "./envoy-proto.ts";
import { SETTINGS } from "./settings.ts";

const CASES = fileURLToPath(new URL("../golden/compile/", import.meta.url));


function discoveryResponse(type: string, resources: object[]) {
  return { version_info: "1", type_url: type, nonce: "1", resources: resources.map((r) => ({ "@type": type, ...r })) };
}

function casesWorkloads(): [string, string, WorkloadSnapshot][] {
  const out: [string, string, WorkloadSnapshot][] = [];
  for (const name of readdirSync(CASES).sort()) {
    const config = configFromYaml(readFileSync(join(CASES, name, "input.yaml"), "utf8"));
    const snapshot = compile(config, buildRegistry(config), 1);
    for (const [key, w] of Object.entries(snapshot.workloads)) out.push([name, key, w]);
  }
  return out;
}

describe("every golden case translates to valid Envoy resources", () => {
  const byCase = new Map<string, [string, WorkloadSnapshot][]>();
  for (const [name, key, w] of casesWorkloads()) byCase.set(name, [...(byCase.get(name) ?? []), [key, w]]);
  for (const [name, workloads] of byCase) {
    test(name, () => {
      for (const [key, w] of workloads) {
        const xds = translate(w, SETTINGS);
        assert.ok(xds.listeners.length > 0 || w.workload.kind === "gateway", `${key}: no listeners`);
        assertEnvoyJson("envoy.service.discovery.v3.DiscoveryResponse", discoveryResponse(TYPE.listener, xds.listeners), `${name} ${key} LDS`);
        assertEnvoyJson("envoy.service.discovery.v3.DiscoveryResponse", discoveryResponse(TYPE.route, xds.routes), `${name} ${key} RDS`);
        assertEnvoyJson("envoy.service.discovery.v3.DiscoveryResponse", discoveryResponse(TYPE.cluster, xds.clusters), `${name} ${key} CDS`);
        const endpoints = Object.entries(xds.eds).map(([cluster, sel]) =>
          endpointsFor(cluster, sel, [
            { namespace: sel.namespace, workload: "x", serviceAccount: "x", pod: "x-1", ip: "10.0.0.7", ports: { http: 9080 }, labels: sel.labels, mtls: true },
          ]),
        );
        assertEnvoyJson("envoy.service.discovery.v3.DiscoveryResponse", discoveryResponse(TYPE.endpoint, endpoints), `${name} ${key} EDS`);
        const boot = bootstrap({
          namespace: w.workload.namespace,
          workload: w.workload.name,
          kind: w.workload.kind,
          pod: `${w.workload.name}-abc12`,
          ip: "10.0.0.7",
          serviceAccount: w.workload.serviceAccount,
          labels: w.workload.labels,
          probers: { "/app-health/app/readyz": { httpGet: { path: "/ready", port: 8080 }, timeoutSeconds: 2 } },
          controlPlane: SETTINGS.controlPlane,
          token: SETTINGS.token,
          refreshDelay: "5s",
        });
        assertEnvoyJson("envoy.config.bootstrap.v3.Bootstrap", boot, `${name} ${key} bootstrap`);
      }
    });
  }
});

describe("the validator is strict", () => {
  const w = casesWorkloads().find(([, , w]) => w.workload.kind === "sidecar" && w.authz.jwt.length > 0)![2];
  const listener = translate(w, SETTINGS).listeners[0] as any;

  test("a typo in a field name fails, at any depth, inside Any payloads too", () => {
    assert.deepEqual(validateEnvoyJson(TYPE.listener, listener), []);
    const typo = structuredClone(listener);
    typo.filter_chains[0].filters[0].typed_config.stat_prefx = "x";
    assert.match(validateEnvoyJson(TYPE.listener, typo).join("\n"), /unknown field "stat_prefx" in envoy\.extensions\.filters\.network\.http_connection_manager\.v3\.HttpConnectionManager/);
    const wasm = structuredClone(listener);
    const filter = wasm.filter_chains[0].filters[0].typed_config.http_filters.find((f: any) => f.name === "edge-mesh.authz");
    filter.typed_config.config.vm_config.code.remote.sha265 = "x";
    assert.match(validateEnvoyJson(TYPE.listener, wasm).join("\n"), /unknown field "sha265" in envoy\.config\.core\.v3\.RemoteDataSource/);
  });

  test("wrong types, unknown enums, unknown Any types, two oneof members, missing required fields fail", () => {
    const bad = structuredClone(listener);
    bad.address.socket_address.port_value = "many";
    bad.traffic_direction = "SIDEWAYS";
    bad.listener_filters[0].typed_config["@type"] = "type.googleapis.com/envoy.Nope";
    bad.filter_chains[0].filters[0].typed_config.rds = { route_config_name: "x", config_source: { ads: {} } };
    const errors = validateEnvoyJson(TYPE.listener, bad).join("\n");
    assert.match(errors, /port_value: expected an integer/);
    assert.match(errors, /"SIDEWAYS" is not a value of enum/);
    assert.match(errors, /unknown Any type type\.googleapis\.com\/envoy\.Nope/);
    assert.match(errors, /oneof routeSpecifier of .*HttpConnectionManager has (rds and routeConfig|routeConfig and rds)/);
    const cluster = { name: "" };
    assert.match(validateEnvoyJson(TYPE.cluster, cluster).join("\n"), /name: must have at least 1 characters/);
  });

  test("the wasm filter's plugin configuration is what filters/lib/config.ts reads", () => {
    const hcm = listener.filter_chains[0].filters[0].typed_config;
    const names = hcm.http_filters.map((f: any) => f.name);
    assert.deepEqual(names, ["edge-mesh.stats_inbound", "envoy.filters.http.jwt_authn", "edge-mesh.authz", "envoy.filters.http.router"]);
    const config = JSON.parse(hcm.http_filters[2].typed_config.config.configuration.value);
    assert.deepEqual(Object.keys(config).sort(), ["authority", "cluster", "failOpen", "path", "pollMs", "token"]);
    assert.equal(config.path, `/mesh/v1/proxy/${w.workload.namespace}/${w.workload.name}/filter-config`);
    assert.equal(config.cluster, SETTINGS.controlPlane.host);
    assert.equal(hcm.http_filters[2].typed_config.config.vm_config.code.remote.sha256, SETTINGS.wasm.authz.sha256);
  });

  test("the stats filter comes first, configured with its side of the call, in a VM of its own per side", () => {
    const stats = listener.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config;
    assert.deepEqual(JSON.parse(stats.configuration.value), { direction: "inbound" });
    assert.equal(stats.root_id, "stats_inbound");
    assert.equal(stats.vm_config.vm_id, "edge-mesh.stats_inbound");
    assert.equal(stats.vm_config.code.remote.sha256, SETTINGS.wasm.stats.sha256);
  });
});

describe("translation details", () => {
  const sidecar = (over: Partial<WorkloadSnapshot> = {}): WorkloadSnapshot => ({
    workload: { namespace: "default", name: "reviews-v1", serviceAccount: "bookinfo-reviews", labels: { app: "reviews", version: "v1" }, kind: "sidecar" },
    router: { ports: [] },
    authz: { mtls: { mode: "PERMISSIVE", ports: [], origin: [] }, policies: { custom: [], deny: [], allow: [], audit: [] }, jwt: [] },
    clusters: [],
    inbound: [{ port: 9080, cluster: "inbound|9080||", protocol: "HTTP", services: [{ host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" }] }],
    ...over,
  });
  const chains = (w: WorkloadSnapshot) => (translate(w, SETTINGS).listeners[0] as any).filter_chains;

  test("the inbound cluster carries the Services that select the workload, in Istio's metadata", () => {
    const inbound = (w: WorkloadSnapshot) => translate(w, SETTINGS).clusters.find((c: any) => c.name === "inbound|9080||") as any;
    const reviews = inbound(sidecar());
    assert.deepEqual(reviews.metadata, { filter_metadata: { istio: { services: [{ host: "reviews.default.svc.cluster.local", name: "reviews", namespace: "default" }] } } });
    assertEnvoyJson("envoy.config.cluster.v3.Cluster", reviews, "inbound cluster");
    const unselected = inbound(sidecar({ inbound: [{ port: 9080, cluster: "inbound|9080||", protocol: "HTTP", services: [] }] }));
    assert.equal(unselected.metadata, undefined);
  });

  test("inbound filter chains per PeerAuthentication mode", () => {
    const strict = chains(sidecar({ authz: { ...sidecar().authz, mtls: { mode: "STRICT", ports: [], origin: [] } } }));
    assert.deepEqual(strict.map((c: any) => c.filter_chain_match), [{ destination_port: 9080, transport_protocol: "tls" }, { transport_protocol: "tls" }]);
    assert.equal(strict[0].transport_socket.typed_config.require_client_certificate, true);
    const permissive = chains(sidecar());
    assert.deepEqual(permissive.filter((c: any) => c.filter_chain_match.destination_port === 9080).map((c: any) => c.name), ["inbound|9080|mtls", "inbound|9080|tls", "inbound|9080|plaintext"]);
    const disabled = chains(sidecar({ authz: { ...sidecar().authz, mtls: { mode: "STRICT", ports: [{ port: 9080, mode: "DISABLE" }], origin: [] } } }));
    assert.deepEqual(disabled.map((c: any) => c.name), ["inbound|9080|plaintext", "inbound|passthrough|mtls"]);
    assert.equal(disabled[0].transport_socket, undefined);
  });

  test("authz guards where traffic arrives, never the outbound path; the router routes", () => {
    const listeners = translate(sidecar({ authz: { ...sidecar().authz, mtls: { mode: "STRICT", ports: [], origin: [] } } }), SETTINGS).listeners as any[];
    const httpFilterNames = (chain: any) =>
      chain.filters.flatMap((f: any) => (f.typed_config.http_filters ?? []).map((h: any) => h.typed_config?.config?.root_id ?? h.name));
    const [inbound, outbound] = listeners;
    for (const chain of inbound.filter_chains.filter((c: any) => c.filter_chain_match.destination_port === 9080))
      assert.deepEqual(httpFilterNames(chain), ["stats_inbound", "authz", "envoy.filters.http.router"]);
    const outboundHttp = outbound.filter_chains.flatMap(httpFilterNames);
    assert.deepEqual(outboundHttp, ["stats_outbound", "router", "envoy.filters.http.router"]);
    assert.ok(!outboundHttp.includes("authz"), "a STRICT workload must still be able to call out");
  });

  test("DestinationRule traffic policy → cluster settings", () => {
    const spec: ClusterSpec = {
      name: "outbound|9080|v1|reviews.default.svc.cluster.local",
      host: "reviews.default.svc.cluster.local",
      port: 9080,
      subset: "v1",
      endpoints: { kind: "workloads", namespace: "default", labels: { app: "reviews", version: "v1" } },
      trafficPolicy: {
        loadBalancer: { simple: "ROUND_ROBIN" },
        connectionPool: { tcp: { maxConnections: 100, connectTimeout: "30ms" }, http: { http1MaxPendingRequests: 10, maxRequestsPerConnection: 1, idleTimeout: "1m" } },
        outlierDetection: { consecutive5xxErrors: 7, interval: "5m", baseEjectionTime: "15m", maxEjectionPercent: 50, minHealthPercent: 20 },
        tls: { mode: "ISTIO_MUTUAL" },
      },
    };
    const xds = translate(sidecar({ clusters: [spec] }), { ...SETTINGS, targetPorts: { "reviews.default.svc.cluster.local|9080": "http" } });
    const c = xds.clusters.find((c) => c.name === spec.name) as any;
    assertEnvoyJson(TYPE.cluster, c);
    assert.equal(c.type, "EDS");
    assert.equal(c.lb_policy, "ROUND_ROBIN");
    assert.equal(c.connect_timeout, "0.03s");
    assert.deepEqual(c.circuit_breakers.thresholds[0].max_connections, 100);
    assert.deepEqual(c.circuit_breakers.thresholds[0].max_pending_requests, 10);
    assert.equal(c.outlier_detection.consecutive_5xx, 7);
    assert.equal(c.outlier_detection.interval, "300s");
    assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 20 } });
    const opts = c.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    assert.deepEqual(opts.common_http_protocol_options, { idle_timeout: "60s", max_requests_per_connection: 1 });
    const tls = c.transport_socket.typed_config;
    assert.equal(tls.sni, "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
    assert.deepEqual(tls.common_tls_context.tls_certificate_sds_secret_configs.map((s: any) => s.name), ["default"]);
    assert.deepEqual(xds.eds[spec.name], { namespace: "default", labels: { app: "reviews", version: "v1" }, port: "http" });
    const cla = endpointsFor(spec.name, xds.eds[spec.name], [
      { namespace: "default", workload: "reviews-v1", serviceAccount: "bookinfo-reviews", pod: "reviews-v1-a", ip: "10.1.0.1", ports: { http: 9080 }, labels: { app: "reviews", version: "v1" }, mtls: true },
      { namespace: "default", workload: "reviews-v2", serviceAccount: "bookinfo-reviews", pod: "reviews-v2-a", ip: "10.1.0.2", ports: { http: 9080 }, labels: { app: "reviews", version: "v2" }, mtls: true },
      { namespace: "other", workload: "reviews-v1", serviceAccount: "bookinfo-reviews", pod: "reviews-v1-b", ip: "10.1.0.3", ports: { http: 9080 }, labels: { app: "reviews", version: "v1" }, mtls: true },
    ]) as any;
    assert.deepEqual(cla.endpoints[0].lb_endpoints.map((e: any) => e.endpoint.address.socket_address), [{ address: "10.1.0.1", port_value: 9080 }]);
  });

  test("the bootstrap: Istio node identity, REST xDS, admin on localhost only", () => {
    const b = bootstrap({
      namespace: "default", workload: "reviews-v1", kind: "sidecar", pod: "reviews-v1-7f9c-x2", ip: "10.1.0.1", serviceAccount: "bookinfo-reviews",
      labels: { app: "reviews" }, probers: {}, controlPlane: { host: "127.0.0.1:8787", url: "http://127.0.0.1:8787" }, token: "t", refreshDelay: "2s",
    }) as any;
    assert.equal(b.node.id, "sidecar~10.1.0.1~reviews-v1-7f9c-x2.default~default.svc.cluster.local");
    assert.equal(b.node.metadata.NAMESPACE, "default");
    assert.equal(b.node.metadata[TOKEN_METADATA], "t");
    assert.equal(b.admin.address.socket_address.address, "127.0.0.1");
    assert.equal(b.dynamic_resources.lds_config.api_config_source.api_type, "REST");
    assert.deepEqual(b.dynamic_resources.cds_config.api_config_source.cluster_names, ["127.0.0.1:8787"]);
    const cp = b.static_resources.clusters[0];
    assert.equal(cp.type, "STATIC");
    assert.equal(cp.transport_socket, undefined, "plain HTTP to a local control plane");
  });
});

test("a JWT rule with a jwksUri and no issuer (Istio accepts it) is a provider without issuer, valid for Envoy", () => {
  const base = casesWorkloads().find(([, , w]) => w.workload.kind === "sidecar")![2];
  const w: WorkloadSnapshot = { ...base, authz: { ...base.authz, jwt: [{ origin: "default/any-issuer", jwksUri: "https://keys.example.com/jwks.json" }] } };
  const listener = translate(w, SETTINGS).listeners[0] as any;
  assertEnvoyJson(TYPE.listener, listener, "listener");
  const jwt = listener.filter_chains[0].filters[0].typed_config.http_filters.find((f: any) => f.name === "envoy.filters.http.jwt_authn").typed_config;
  const provider = jwt.providers["default/any-issuer#0"];
  assert.equal(provider.issuer, undefined);
  assert.equal(provider.remote_jwks.http_uri.uri, "https://keys.example.com/jwks.json");
});
