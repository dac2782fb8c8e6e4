// Istio networking.istio.io schemas: every upstream sample must pass, every upstream invalid fixture must fail,
// and hand-made mistakes on the Bookinfo shapes must be reported at the exact field.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Doc as Obj,
  type FieldError,
  expectError as expectErrorIn,
  inGroups,
  load as loadSample,
  sampleFiles as files,
  validate,
} from "./schema-support.ts";

// go-yaml (what kubectl and Istio's tests use) reads the flow item `001:db8::` as a string; the `yaml` package, following
// YAML 1.2, reads it as the map {"001:db8:": null}. Quote it so both agree on what the fixture means.
const GO_YAML_QUIRKS: [string, string][] = [["[1.2.3.4, 001:db8::]", '[1.2.3.4, "001:db8::"]']];

const load = (rel: string): Obj[] => loadSample(rel, { rewrites: GO_YAML_QUIRKS });

/** VirtualService, DestinationRule, Gateway, ServiceEntry, WorkloadEntry and Sidecar: Istio's networking kinds. */
const isOurs = inGroups("networking.istio.io");

const CRD_FIXTURES = ["destinationrule", "serviceentry", "workloadentry"];

describe("valid upstream samples", () => {
  const sources = [
    ...files("bookinfo/networking/", (f) => f.endsWith(".yaml")),
    ...files("validation/minimal-valid/", (f) => f.startsWith("networking-")),
    ...CRD_FIXTURES.map((k) => `validation/crds/${k}-valid.yaml`),
    ...["httpbin/httpbin-gateway.yaml", "helloworld/helloworld-gateway.yaml", "tcp-echo/tcp-echo-all-v1.yaml", "tcp-echo/tcp-echo-20-v2.yaml"].map(
      (f) => `more-samples/${f}`,
    ),
  ];
  let count = 0;
  for (const rel of sources)
    load(rel).forEach((doc, i) => {
      if (!isOurs(doc)) return;
      count++;
      test(`${rel} #${i} ${doc.kind}/${doc.metadata?.name}`, () => {
        assert.deepEqual(validate(doc), []);
      });
    });
  test("found the samples", () => assert.ok(count >= 40, `only ${count} networking documents found`));
});

describe("invalid upstream fixtures (validation/crds/*-invalid.yaml)", () => {
  for (const kind of CRD_FIXTURES) {
    const rel = `validation/crds/${kind}-invalid.yaml`;
    load(rel).forEach((raw, i) => {
      const { _err: expected, ...doc } = raw;
      test(`${rel} #${i} ${doc.metadata?.name}: ${expected}`, () => {
        const errors = validate(doc);
        assert.ok(errors.length > 0, "expected the document to be rejected");
        // `_err` is either "<field>: <reason>" or a substring of the message.
        const fieldForm = /^(spec[\w.[\]]*): /.exec(String(expected));
        const found = fieldForm
          ? errors.some((e) => e.field.startsWith(fieldForm[1]))
          : errors.some((e) => e.message.toLowerCase().includes(String(expected).toLowerCase()));
        assert.ok(found, `no error matching ${JSON.stringify(expected)} in ${JSON.stringify(errors, null, 2)}`);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-made mistakes

function sample(rel: string, index = 0): Obj {
  const docs = load(`bookinfo/networking/${rel}`);
  return structuredClone(docs[index]);
}

/** Validates `doc` and expects an error at `field` (optionally with `reason` and a message containing `includes`). */
function expectError(doc: Obj, field: string, opts: { reason?: FieldError["reason"]; includes?: string } = {}): FieldError {
  return expectErrorIn(validate(doc), field, opts.reason, opts.includes);
}

describe("VirtualService mistakes", () => {
  test("weight inside destination: unknown, with a hint one level up", () => {
    const vs = sample("virtual-service-reviews-80-20.yaml");
    const r0 = vs.spec.http[0].route[0];
    r0.destination.weight = r0.weight;
    delete r0.weight;
    const e = expectError(vs, "spec.http[0].route[0].destination.weight", { reason: "FieldValueUnknown" });
    assert.match(e.message, /did you mean spec\.http\[0\]\.route\[0\]\.weight\?/);
  });

  test("negative weight", () => {
    const vs = sample("virtual-service-reviews-80-20.yaml");
    vs.spec.http[0].route[1].weight = -20;
    expectError(vs, "spec.http[0].route[1].weight", { includes: "weight must be non-negative" });
  });

  test("all weights zero", () => {
    const vs = sample("virtual-service-reviews-80-20.yaml");
    vs.spec.http[0].route[0].weight = 0;
    vs.spec.http[0].route[1].weight = 0;
    expectError(vs, "spec.http[0].route", { includes: "total destination weight = 0" });
  });

  test("a regex that does not compile", () => {
    const vs = sample("bookinfo-gateway.yaml", 1);
    vs.spec.http[0].match[0].uri = { regex: "/api/(v1" };
    expectError(vs, "spec.http[0].match[0].uri.regex", { includes: "RE2" });
  });

  test("RE2-only syntax is accepted, lookahead is not", () => {
    const vs = sample("bookinfo-gateway.yaml", 1);
    vs.spec.http[0].match[0].uri = { regex: "(?i)^/API/(?P<version>v[0-9]+)/[[:alnum:]]+$" };
    assert.deepEqual(validate(vs), []);
    vs.spec.http[0].match[0].uri = { regex: "^/api/(?!internal)" };
    expectError(vs, "spec.http[0].match[0].uri.regex", { includes: "lookaround" });
  });

  test("a URI match with two match types", () => {
    const vs = sample("bookinfo-gateway.yaml", 1);
    vs.spec.http[0].match[1].uri = { exact: "/static", prefix: "/static" };
    expectError(vs, "spec.http[0].match[1].uri.prefix", { includes: "only one of exact, prefix or regex" });
    vs.spec.http[0].match[1].uri = {};
    expectError(vs, "spec.http[0].match[1].uri", { includes: "exactly one of exact, prefix or regex" });
  });

  test("port number as a string", () => {
    const vs = sample("bookinfo-gateway.yaml", 1);
    vs.spec.http[0].route[0].destination.port.number = "9080";
    expectError(vs, "spec.http[0].route[0].destination.port.number", { reason: "FieldValueTypeInvalid" });
  });

  test("v1alpha3-era appendHeaders", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    vs.spec.http[0].appendHeaders = { "x-version": "v3" };
    expectError(vs, "spec.http[0].appendHeaders", { reason: "FieldValueUnknown", includes: "headers.request.set" });
  });

  test("fault percentage above 100", () => {
    const vs = sample("virtual-service-ratings-test-abort.yaml");
    vs.spec.http[0].fault.abort.percentage.value = 150;
    expectError(vs, "spec.http[0].fault.abort.percentage.value", { includes: "150" });
  });

  test("fault abort status outside 200-599", () => {
    const vs = sample("virtual-service-ratings-test-abort.yaml");
    vs.spec.http[0].fault.abort.httpStatus = 700;
    expectError(vs, "spec.http[0].fault.abort.httpStatus", { includes: "200-599" });
  });

  test("fault without abort or delay", () => {
    const vs = sample("virtual-service-ratings-test-delay.yaml");
    vs.spec.http[0].fault = {};
    expectError(vs, "spec.http[0].fault", { includes: "abort and/or a delay" });
  });

  test("redirect together with route", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    vs.spec.http[0].redirect = { uri: "/v1/reviews" };
    expectError(vs, "spec.http[0].redirect", { includes: "both route and redirect" });
  });

  test("directResponse status out of range", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    delete vs.spec.http[0].route;
    vs.spec.http[0].directResponse = { status: 700, body: { string: "nope" } };
    expectError(vs, "spec.http[0].directResponse.status", { includes: "200-599" });
  });

  test("an http route with nothing to do", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    vs.spec.http[0] = { match: [{ uri: { prefix: "/" } }] };
    expectError(vs, "spec.http[0].route", { includes: "route, redirect, directResponse or delegate" });
  });

  test("negative retry attempts and retry settings with attempts 0", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    vs.spec.http[0].retries = { attempts: -1 };
    expectError(vs, "spec.http[0].retries.attempts", { includes: "attempts cannot be negative" });
    vs.spec.http[0].retries = { perTryTimeout: "2s" };
    expectError(vs, "spec.http[0].retries.attempts", { includes: "attempts are set to 0" });
    vs.spec.http[0].retries = { attempts: 3, retryOn: "5xx,connect-failure,bogus" };
    expectError(vs, "spec.http[0].retries.retryOn", { includes: '"bogus"' });
  });

  test("durations", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    vs.spec.http[0].timeout = "1 second";
    expectError(vs, "spec.http[0].timeout", { includes: "duration" });
    vs.spec.http[0].timeout = "0s";
    expectError(vs, "spec.http[0].timeout", { includes: "greater than 1ms" });
    vs.spec.http[0].timeout = "0.5s";
    assert.deepEqual(validate(vs), []);
  });

  test("destination without host, with a bad subset name", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    delete vs.spec.http[0].route[0].destination.host;
    expectError(vs, "spec.http[0].route[0].destination.host", { reason: "FieldValueRequired" });
    const vs2 = sample("virtual-service-reviews-v3.yaml");
    vs2.spec.http[0].route[0].destination.subset = "V_3";
    expectError(vs2, "spec.http[0].route[0].destination.subset", { includes: "subset name is invalid" });
  });

  test("host * bound to the mesh, invalid and duplicate hosts", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    vs.spec.hosts = ["*"];
    expectError(vs, "spec.hosts[0]", { includes: "mesh gateway" });
    vs.spec.hosts = ["reviews", "bad_host"];
    expectError(vs, "spec.hosts[1]", { includes: "invalid" });
    vs.spec.hosts = ["*.example.com", "reviews.example.com"];
    expectError(vs, "spec.hosts[1]", { includes: "duplicate hosts" });
  });

  test("no routes at all", () => {
    const vs = sample("virtual-service-reviews-v3.yaml");
    delete vs.spec.http;
    expectError(vs, "spec", { includes: "http, tcp or tls must be provided" });
  });

  test("delegate virtual service (no hosts) may not name gateways", () => {
    const vs = sample("bookinfo-gateway.yaml", 1);
    delete vs.spec.hosts;
    expectError(vs, "spec.gateways", { includes: "delegate" });
    delete vs.spec.gateways;
    assert.deepEqual(validate(vs), []);
  });

  test("SNI hosts must be covered by the virtual service hosts", () => {
    const vs = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "tls" },
      spec: {
        hosts: ["*.bookinfo.com"],
        gateways: ["bookinfo-gateway"],
        tls: [
          { match: [{ port: 443, sniHosts: ["login.bookinfo.com"] }], route: [{ destination: { host: "login.prod.svc.cluster.local" } }] },
          { match: [{ port: 443, sniHosts: ["reviews.example.com"] }], route: [{ destination: { host: "reviews.prod.svc.cluster.local" } }] },
        ],
      },
    };
    expectError(vs, "spec.tls[1].match[0].sniHosts[0]", { includes: "not a compatible subset" });
    assert.equal(validate(vs).length, 1);
  });

  test("a full-featured VirtualService is accepted", () => {
    const vs = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "full", namespace: "bookinfo" },
      spec: {
        hosts: ["reviews.prod.svc.cluster.local", "reviews"],
        gateways: ["mesh", "istio-system/bookinfo-gateway"],
        exportTo: [".", "istio-system"],
        http: [
          {
            name: "v2-jason",
            match: [
              {
                name: "jason",
                headers: { "end-user": { exact: "jason" }, "x-debug": {} },
                withoutHeaders: { "x-skip": { regex: "*" } },
                queryParams: { v: { regex: "^[0-9]+$" } },
                uri: { prefix: "" },
                method: { exact: "GET" },
                ignoreUriCase: true,
                port: 9080,
                sourceLabels: { app: "productpage" },
                sourceNamespace: "bookinfo",
              },
            ],
            route: [
              { destination: { host: "reviews", subset: "v2", port: { number: 9080 } }, weight: 90, headers: { request: { set: { "x-v": "2" } } } },
              { destination: { host: "reviews", subset: "v3" }, weight: 10 },
            ],
            rewrite: { uriRegexRewrite: { match: "^/reviews/(.*)$", rewrite: "/\\1" } },
            timeout: "10s",
            retries: { attempts: 3, perTryTimeout: "2s", retryOn: "gateway-error,connect-failure,503", retryRemoteLocalities: true },
            fault: { delay: { fixedDelay: "5s", percentage: { value: 0.1 } } },
            mirror: { host: "reviews", subset: "v3" },
            mirrorPercentage: { value: 50 },
            corsPolicy: {
              allowOrigins: [{ exact: "https://example.com" }, { regex: "https://.*\\.example\\.com" }],
              allowMethods: ["GET", "POST"],
              allowHeaders: ["x-custom", "*"],
              exposeHeaders: ["x-served-by"],
              maxAge: "24h",
              allowCredentials: true,
              unmatchedPreflights: "IGNORE",
            },
            headers: {
              request: { set: { host: "reviews.internal" }, add: { "x-trace": "%REQ(x-request-id)%" }, remove: ["x-secret"] },
              response: { set: { "cache-control": "no-cache" }, remove: ["server"] },
            },
          },
          { match: [{ uri: { exact: "/old" } }], redirect: { uri: "/new", authority: "reviews", redirectCode: 301, derivePort: "FROM_REQUEST_PORT" } },
          { match: [{ uri: { prefix: "/legacy" } }], redirect: { prefixRewrite: "/v2", scheme: "https" } },
          { match: [{ uri: { exact: "/health" } }], directResponse: { status: 200, body: { string: "ok" } } },
          { route: [{ destination: { host: "reviews" } }], mirrors: [{ destination: { host: "reviews-shadow" }, percentage: { value: 5 } }] },
        ],
        tcp: [{ match: [{ port: 27017, destinationSubnets: ["10.0.0.0/8"] }], route: [{ destination: { host: "mongo.backup.svc.cluster.local", port: { number: 5555 } } }] }],
      },
    };
    assert.deepEqual(validate(vs), []);
  });
});

describe("DestinationRule mistakes", () => {
  test("duplicate subset name", () => {
    const dr = sample("destination-rule-all.yaml", 1);
    dr.spec.subsets[1].name = "v1";
    expectError(dr, "spec.subsets[1].name", { includes: "subset name must be unique: v1" });
  });

  test("missing host", () => {
    const dr = sample("destination-rule-reviews.yaml");
    delete dr.spec.host;
    expectError(dr, "spec.host", { reason: "FieldValueRequired" });
  });

  test("unknown load balancer", () => {
    const dr = sample("destination-rule-reviews.yaml");
    dr.spec.trafficPolicy.loadBalancer.simple = "ROUND_ROBBIN";
    expectError(dr, "spec.trafficPolicy.loadBalancer.simple", { reason: "FieldValueNotSupported", includes: '"ROUND_ROBIN"' });
  });

  test("consistent hash: two hash keys, maglev table size not prime", () => {
    const dr = sample("destination-rule-reviews.yaml");
    dr.spec.trafficPolicy.loadBalancer = { consistentHash: { httpHeaderName: "x-user", useSourceIp: true } };
    expectError(dr, "spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp", { includes: "only one of" });
    dr.spec.trafficPolicy.loadBalancer = { consistentHash: { useSourceIp: true, maglev: { tableSize: 100 } } };
    expectError(dr, "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", { includes: "prime" });
    dr.spec.trafficPolicy.loadBalancer = { simple: "RANDOM", consistentHash: { useSourceIp: true } };
    expectError(dr, "spec.trafficPolicy.loadBalancer.consistentHash", { includes: "only one of simple, consistentHash" });
  });

  test("invalid subset name and label", () => {
    const dr = sample("destination-rule-reviews.yaml");
    dr.spec.subsets[0].name = "Version_1";
    dr.spec.subsets[1].labels = { version: "v 2" };
    expectError(dr, "spec.subsets[0].name", { includes: "DNS-1123" });
    expectError(dr, "spec.subsets[1].labels.version", { includes: "invalid label value" });
  });

  test("empty traffic policy and mutual TLS without certificates", () => {
    const dr = sample("destination-rule-reviews.yaml");
    dr.spec.trafficPolicy = {};
    expectError(dr, "spec.trafficPolicy", { includes: "at least one field" });
    dr.spec.trafficPolicy = { tls: { mode: "MUTUAL" } };
    expectError(dr, "spec.trafficPolicy.tls.clientCertificate", { includes: "mutual tls" });
  });

  test("port-level settings need a port and a policy", () => {
    const dr = sample("egress-rule-google-apis.yaml", 2);
    delete dr.spec.trafficPolicy.portLevelSettings[0].port;
    expectError(dr, "spec.trafficPolicy.portLevelSettings[0].port", { includes: "port" });
  });

  test("exportTo rules", () => {
    const dr = sample("destination-rule-reviews.yaml");
    dr.metadata.namespace = "bookinfo";
    dr.spec.exportTo = [".", "bookinfo"];
    expectError(dr, "spec.exportTo[1]", { includes: "duplicate entries in exportTo" });
    dr.spec.exportTo = ["~"];
    expectError(dr, "spec.exportTo[0]", { includes: "~" });
  });

  test("a full-featured DestinationRule is accepted", () => {
    const dr = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "reviews-full", namespace: "bookinfo" },
      spec: {
        host: "reviews.bookinfo.svc.cluster.local",
        exportTo: ["."],
        trafficPolicy: {
          loadBalancer: {
            consistentHash: { httpCookie: { name: "user", ttl: "0s", path: "/" }, ringHash: { minimumRingSize: 1024 } },
            localityLbSetting: { enabled: true, distribute: [{ from: "us-west/zone1/*", to: { "us-west/zone1/*": 80, "us-west/zone2/*": 20 } }] },
          },
          connectionPool: {
            tcp: { maxConnections: 100, connectTimeout: "30ms", tcpKeepalive: { time: "7200s", interval: "75s", probes: 9 }, idleTimeout: "0s" },
            http: { http1MaxPendingRequests: 10, http2MaxRequests: 100, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: "1h", h2UpgradePolicy: "UPGRADE" },
          },
          outlierDetection: { consecutive5xxErrors: 7, interval: "5m", baseEjectionTime: "15m", maxEjectionPercent: 50, outlierDetectionHttpErrorCodes: [503] },
          tls: { mode: "SIMPLE", sni: "reviews.example.com", credentialName: "reviews-client" },
          portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: "LEAST_REQUEST" } }],
          tunnel: { protocol: "CONNECT", targetHost: "10.0.0.1", targetPort: 8443 },
        },
        subsets: [{ name: "v1", labels: { version: "v1" }, trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } } }],
      },
    };
    assert.deepEqual(validate(dr), []);
  });
});

describe("Gateway, ServiceEntry, WorkloadEntry and Sidecar mistakes", () => {
  test("gateway servers: duplicate port names, missing hosts, HTTPS without TLS", () => {
    const gw = sample("bookinfo-gateway.yaml", 0);
    gw.spec.servers.push({ port: { number: 443, name: "http", protocol: "HTTPS" }, hosts: ["bookinfo.example.com"] });
    expectError(gw, "spec.servers[1].port.name", { includes: "must be unique: duplicate name http" });
    expectError(gw, "spec.servers[1].tls", { includes: "TLS settings" });
    delete gw.spec.servers[0].hosts;
    expectError(gw, "spec.servers[0].hosts", { reason: "FieldValueRequired" });
  });

  test("gateway hosts: short names and bad namespaces", () => {
    const gw = sample("bookinfo-gateway.yaml", 0);
    gw.spec.servers[0].hosts = ["productpage", "Bad_NS/bookinfo.example.com", "*/bookinfo.example.com"];
    expectError(gw, "spec.servers[0].hosts[0]", { includes: "short names" });
    expectError(gw, "spec.servers[0].hosts[1]", { includes: "invalid namespace" });
    assert.equal(validate(gw).length, 2);
  });

  test("a TLS gateway is accepted", () => {
    const gw = sample("bookinfo-gateway.yaml", 0);
    gw.spec.servers = [
      { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["bookinfo/*.example.com"], tls: { httpsRedirect: true } },
      { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*.example.com"], tls: { mode: "SIMPLE", credentialName: "bookinfo-cert" } },
      { port: { number: 15443, name: "tls", protocol: "TLS" }, hosts: ["*.local"], tls: { mode: "AUTO_PASSTHROUGH" } },
    ];
    assert.deepEqual(validate(gw), []);
  });

  test("service entry: NONE resolution with endpoints, STATIC endpoint that is a hostname", () => {
    const se = sample("egress-rule-google-apis.yaml", 0);
    se.spec.resolution = "NONE";
    se.spec.endpoints = [{ address: "1.2.3.4" }];
    expectError(se, "spec.endpoints", { includes: "NONE mode cannot set endpoints" });
    se.spec.resolution = "STATIC";
    se.spec.endpoints = [{ address: "www.googleapis.com", ports: { https: 443, grpc: 8443 } }];
    expectError(se, "spec.endpoints[0].address", { includes: "not a valid IP address" });
    expectError(se, "spec.endpoints[0].ports.grpc", { includes: "not defined by the service entry" });
  });

  test("service entry: bad protocol and string port", () => {
    const se = sample("egress-rule-google-apis.yaml", 0);
    se.spec.ports[0].protocol = "HTTP3";
    expectError(se, "spec.ports[0].protocol", { includes: "unsupported protocol" });
    se.spec.ports[1].number = "443";
    expectError(se, "spec.ports[1].number", { reason: "FieldValueTypeInvalid" });
  });

  test("workload entry needs an address or a network", () => {
    const we = { apiVersion: "networking.istio.io/v1", kind: "WorkloadEntry", metadata: { name: "vm" }, spec: { labels: { app: "ratings" } } };
    expectError(we, "spec.address", { includes: "Address is required" });
    we.spec = { address: "not a host!" } as never;
    expectError(we, "spec.address", { includes: "not a valid FQDN or an IP address" });
  });

  test("sidecar egress hosts must be namespace/host", () => {
    const sc = {
      apiVersion: "networking.istio.io/v1",
      kind: "Sidecar",
      metadata: { name: "default", namespace: "bookinfo" },
      spec: { egress: [{ hosts: ["./*", "istio-system/*", "reviews"] }] },
    };
    expectError(sc, "spec.egress[0].hosts[2]", { includes: "namespace/dnsName" });
    sc.spec.egress[0].hosts = ["./*", "istio-system/*"];
    assert.deepEqual(validate(sc), []);
  });

  test("sidecar: catch-all egress listener must be last, empty sidecar rejected", () => {
    const sc = {
      apiVersion: "networking.istio.io/v1",
      kind: "Sidecar",
      metadata: { name: "default" },
      spec: {
        ingress: [{ port: { number: 9080, protocol: "HTTP", name: "http" }, defaultEndpoint: "127.0.0.1:8080" }],
        egress: [{ hosts: ["./*"] }, { port: { number: 3306, protocol: "MYSQL", name: "mysql" }, hosts: ["*/mysql.example.com"] }],
        outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
      },
    };
    expectError(sc, "spec.egress[0].port", { includes: "should be the last listener" });
    sc.spec.egress.reverse();
    assert.deepEqual(validate(sc), []);
    expectError({ ...sc, spec: {} }, "spec", { includes: "empty configuration" });
  });
});
