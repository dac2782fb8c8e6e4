// Parity with istiod's webhook (istio/istio pkg/config/validation/validation.go and its test tables):
// the cases where this project used to disagree, and the warnings Istio returns for configs it
// accepts, word for word.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { istioWarnings } from "../../control/mesh/warnings.ts";
import { type Doc, expectError, kindOf, validate } from "./schema-support.ts";

const doc = (apiVersion: string, kind: string, spec: unknown, metadata: Record<string, unknown> = {}): Doc => ({ apiVersion, kind, metadata: { name: "x", namespace: "default", ...metadata }, spec }) as Doc;
const policy = (spec: unknown, annotations: Record<string, string>) => doc("security.istio.io/v1", "AuthorizationPolicy", spec, { annotations });
const warnings = (d: Doc) => {
  assert.deepEqual(validate(d), [], `${d.kind} must be valid`);
  return istioWarnings(kindOf(d)!, d as never);
};

describe("the istio.io/dry-run annotation (checkDryRunAnnotation)", () => {
  const at = "metadata.annotations[istio.io/dry-run]";
  test("an ALLOW or DENY policy takes what strconv.ParseBool takes", () => {
    for (const value of ["true", "false", "1", "0", "t", "F", "TRUE", "False"]) assert.deepEqual(validate(policy({ action: "DENY", rules: [{}] }, { "istio.io/dry-run": value })), [], value);
    assert.deepEqual(validate(policy({}, { "istio.io/dry-run": "true" })), [], "action unset is ALLOW");
  });
  test("any other value is refused, with istiod's text", () => {
    expectError(validate(policy({}, { "istio.io/dry-run": "yes" })), at, "FieldValueInvalid", 'default/x has annotation istio.io/dry-run with invalid value (yes): strconv.ParseBool: parsing "yes": invalid syntax');
  });
  test("AUDIT and CUSTOM policies cannot be dry-run", () => {
    expectError(validate(policy({ action: "AUDIT", rules: [{}] }, { "istio.io/dry-run": "true" })), at, undefined, "the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action AUDIT in default/x");
  });
  test("on any other Istio kind it is refused", () => {
    const vs = doc("networking.istio.io/v1", "VirtualService", { hosts: ["a"], http: [{ route: [{ destination: { host: "a" } }] }] }, { annotations: { "istio.io/dry-run": "true" } });
    expectError(validate(vs), at, undefined, "default/x has unsupported annotation istio.io/dry-run, please remove the annotation");
    const pa = doc("security.istio.io/v1", "PeerAuthentication", {}, { annotations: { "istio.io/dry-run": "false" } });
    expectError(validate(pa), at);
  });
  test("istiod's internal annotations may not be set by users", () => {
    expectError(validate(policy({}, { "internal.istio.io/parents": "x" })), "metadata.annotations[internal.istio.io/parents]", undefined, '"internal.istio.io/parents" annotation found, this may not be set by users');
  });
});

describe("ServiceEntry", () => {
  const se = (spec: Record<string, unknown>, labels?: Record<string, string>) =>
    doc("networking.istio.io/v1", "ServiceEntry", { hosts: ["*.example.com"], ports: [{ number: 80, protocol: "HTTP", name: "http" }], ...spec }, labels ? { labels } : {});
  test("resolution DNS with a unix:// endpoint is refused (it is neither a name nor an IP)", () => {
    const d = se({ hosts: ["foo.example.com"], resolution: "DNS", endpoints: [{ address: "unix:///var/run/s.sock" }] });
    expectError(validate(d), "spec.endpoints[0].address", undefined, 'endpoint address "unix:///var/run/s.sock" is not a valid FQDN or an IP address');
    assert.deepEqual(validate(se({ hosts: ["foo.example.com"], resolution: "STATIC", endpoints: [{ address: "unix:///var/run/s.sock" }] })), [], "STATIC takes it");
  });
  test("DYNAMIC_DNS + MESH_INTERNAL behind a waypoint is refused; without one, or with none, it is taken", () => {
    const spec = { resolution: "DYNAMIC_DNS", location: "MESH_INTERNAL" };
    expectError(validate(se(spec, { "istio.io/use-waypoint": "waypoint" })), "spec.location", undefined, "location MESH_INTERNAL with resolution type DYNAMIC_DNS is not supported when using waypoints");
    assert.deepEqual(validate(se(spec)), []);
    assert.deepEqual(validate(se(spec, { "istio.io/use-waypoint": "None" })), []);
    assert.deepEqual(validate(se({ resolution: "DYNAMIC_DNS" }, { "istio.io/use-waypoint": "waypoint" })), [], "MESH_EXTERNAL is fine");
  });
});

describe("Istio's warnings, word for word", () => {
  const vs = (spec: Record<string, unknown>) => doc("networking.istio.io/v1", "VirtualService", { hosts: ["foo.bar"], ...spec });
  const route = [{ destination: { host: "foo.baz" } }];
  const cases: [string, Doc, string[]][] = [
    ["VirtualService: FQDN for gateway", vs({ gateways: ["gateway.example.com"], http: [{ route }] }), ['using legacy gatewayName format "gateway.example.com"; prefer the <namespace>/<name> format: "example/gateway"']],
    ["VirtualService: abort without an error type", vs({ http: [{ route, fault: { abort: { percentage: { value: 10 } } } }] }), ["abort configured, but error type not set"]],
    ["VirtualService: an IP as SNI host", vs({ gateways: ["ns1/gateway"], tls: [{ match: [{ sniHosts: ["1.1.1.1"] }], route }] }), ['using an IP address ("1.1.1.1") goes against SNI spec and most clients do not support this']],
    ["VirtualService: a direct response body over 100 kB", vs({ http: [{ directResponse: { status: 200, body: { string: "a".repeat(100 * 1024 + 1) } } }] }), ["large direct_responses may impact control plane performance"]],
    ["VirtualService: deprecated mirror", vs({ gateways: ["ns1/gateway"], http: [{ route, mirrorPercent: 5 }] }), ['using deprecated setting "mirrorPercent", use "mirrorPercentage" instead']],
    ["VirtualService: a direct response of over 100 kB bytes", vs({ http: [{ directResponse: { status: 200, body: { bytes: Buffer.alloc(100 * 1024 + 1).toString("base64") } } }] }), ["large direct_responses may impact control plane performance"]],
    ["VirtualService: 100 kB of bytes exactly is fine", vs({ http: [{ directResponse: { status: 200, body: { bytes: Buffer.alloc(100 * 1024).toString("base64") } } }] }), []],
    ["VirtualService: all fine", vs({ gateways: ["mesh", "ns1/gw"], http: [{ route }] }), []],
    ["WorkloadEntry: no address, a network", doc("networking.istio.io/v1", "WorkloadEntry", { network: "network-2" }), ['address is unset with network "network-2"']],
    ["DestinationRule: empty workload selector", doc("networking.istio.io/v1", "DestinationRule", { host: "reviews", workloadSelector: {} }), ["workload selector specified without labels"]],
    [
      "DestinationRule: deprecated outlier and ring size fields",
      doc("networking.istio.io/v1", "DestinationRule", { host: "reviews", trafficPolicy: { outlierDetection: { consecutiveErrors: 5 }, loadBalancer: { consistentHash: { httpHeaderName: "x", minimumRingSize: 1024 } } } }),
      [
        "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead",
        "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
      ],
    ],
    [
      "ServiceEntry: partial wildcard host",
      doc("networking.istio.io/v1", "ServiceEntry", { hosts: ["*.nytimes.com", "*washingtonpost.com"], ports: [{ number: 443, protocol: "HTTPS", name: "https-nytimes" }], resolution: "NONE" }),
      ['partial wildcard "*washingtonpost.com" not allowed'],
    ],
    [
      "ServiceEntry: selector with resolution NONE",
      doc("networking.istio.io/v1", "ServiceEntry", { hosts: ["google.com"], workloadSelector: { labels: { foo: "bar" } }, ports: [{ number: 80, protocol: "http", name: "http-valid1" }], resolution: "NONE" }),
      ["workloadSelector should not be set when resolution mode is NONE"],
    ],
    [
      "ServiceEntry: selector, resolution unset (NONE), a target port",
      doc("networking.istio.io/v1", "ServiceEntry", { hosts: ["google.com"], workloadSelector: { labels: { key: "bar" } }, ports: [{ number: 80, protocol: "http", name: "http-valid1", targetPort: 1234 }] }),
      ["workloadSelector should not be set when resolution mode is NONE"],
    ],
    [
      "ServiceEntry: selector without labels",
      doc("networking.istio.io/v1", "ServiceEntry", { hosts: ["google.com"], workloadSelector: {}, ports: [{ number: 80, protocol: "http", name: "http-valid1" }], resolution: "STATIC" }),
      ["service entry: workload selector specified without labels, will be applied to all services in namespace"],
    ],
    [
      "ServiceEntry: STATIC endpoint with a network and no address",
      doc("networking.istio.io/v1", "ServiceEntry", { hosts: ["www.example.com"], ports: [{ number: 443, protocol: "HTTPS", name: "https-example" }], resolution: "STATIC", endpoints: [{ network: "cluster-1" }] }),
      ['address is unset with network "cluster-1"'],
    ],
    [
      "ServiceEntry: DNS, several hosts, an address and a TCP (HTTPS) port",
      doc("networking.istio.io/v1", "ServiceEntry", {
        hosts: ["httpbin.org", "wikipedia.org"],
        addresses: ["10.10.10.10"],
        ports: [{ number: 80, protocol: "http", name: "http-valid1" }, { number: 443, protocol: "https", name: "https" }],
        resolution: "DNS",
      }),
      ["service entry can not have more than one host specified simultaneously with address and tcp port"],
    ],
    [
      "Sidecar: empty selector, duplicated egress hosts, */* with others",
      doc("networking.istio.io/v1", "Sidecar", { workloadSelector: {}, egress: [{ hosts: ["ns1/foo.com", "ns1/foo.com", "*/*"] }] }),
      ["sidecar: workload selector specified without labels, will be applied to all services in namespace", "duplicated egress host: ns1/foo.com", "`*/*` host select all resources, no other hosts can be added"],
    ],
    [
      "Gateway: httpsRedirect on a TLS server; certificates on PASSTHROUGH",
      doc("networking.istio.io/v1", "Gateway", { servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["*.example.com"], tls: { httpsRedirect: true, mode: "PASSTHROUGH", credentialName: "c" } }] }),
      ["tls.httpsRedirect should only be used with http servers", "PASSTHROUGH mode does not use certificates, they will be ignored"],
    ],
    ["PeerAuthentication: selector of empty labels", doc("security.istio.io/v1", "PeerAuthentication", { selector: {} }), ["workload selector specified without labels"]],
    [
      "RequestAuthentication: a private RSA key in jwks",
      doc("security.istio.io/v1", "RequestAuthentication", { jwtRules: [{ issuer: "a", jwks: JSON.stringify({ keys: [{ kty: "RSA", n: "AQAB", e: "AQAB" }, { kty: "RSA", n: "AQAB", e: "AQAB", d: "AQAB" }] }) }] }),
      ["jwks key at index 1 contains private key material; only public keys are used for verification"],
    ],
  ];
  for (const [name, d, expected] of cases) test(name, () => assert.deepEqual(warnings(d), expected));
});
