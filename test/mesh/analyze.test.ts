// istioctl-analyze findings: Bookinfo as shipped, then one case that fires and one that does not
// per code, with Istio's exact codes, levels and messages, and istioctl's text form.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { analyze, formatText, type Finding } from "../../control/mesh/analyze/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";

const BOOKINFO = new URL("../../samples/bookinfo/", import.meta.url);
const sample = (path: string) => readFileSync(new URL(path, BOOKINFO), "utf8");
const APP = sample("platform/kube/bookinfo.yaml");
const DRS = sample("networking/destination-rule-all.yaml");
const VS_V1 = sample("networking/virtual-service-all-v1.yaml");
const INJECTED = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    istio-injection: enabled\n";

/** A VirtualService document; `metadata` and `spec` are YAML flow/indented text. */
function virtualService(metadata: string, spec: string): string {
  return `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: ${metadata}\nspec:\n${spec}\n`;
}

function run(namespace: string | undefined, ...docs: string[]): Finding[] {
  const config = configFromYaml(docs.join("\n---\n"));
  return analyze(config, buildRegistry(config), namespace);
}

/** Findings of the given codes, for Bookinfo (injected namespace) plus the extra documents. */
function findings(codes: string[], ...docs: string[]): Finding[] {
  return run(undefined, INJECTED, APP, ...docs).filter((f) => codes.includes(f.code));
}

const subsetNotSelected = (dr: string, subset: string, index: number): Finding => ({
  code: "IST0173",
  level: "Error",
  kind: "DestinationRule",
  namespace: "default",
  name: dr,
  message: `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
  field: `spec.subsets[${index}]`,
});

/** destination-rule-all.yaml's subsets that no Bookinfo pod backs (bookinfo.yaml runs v1 of each, and reviews v2, v3). */
const BOOKINFO_EMPTY_SUBSETS = [
  subsetNotSelected("details", "v2", 1),
  subsetNotSelected("ratings", "v2", 1),
  subsetNotSelected("ratings", "v2-mysql", 2),
  subsetNotSelected("ratings", "v2-mysql-vm", 3),
];

describe("Bookinfo samples", () => {
  test("bookinfo + destination-rule-all + virtual-service-all-v1: only the subsets without pods", () => {
    // Istio's analyzer matches subset labels alone against every pod, so istioctl reports only
    // ratings v2-mysql and v2-mysql-vm; ratings v2 and details v2 are satisfied there by
    // reviews-v2's `version: v2`. The proxy sends those subsets nowhere, and we say so.
    assert.deepEqual(run(undefined, INJECTED, APP, DRS, VS_V1), BOOKINFO_EMPTY_SUBSETS);
  });

  test("the Istio gateway, the mTLS rules and the header-match and fault routes add nothing", () => {
    const docs = ["networking/bookinfo-gateway.yaml", "networking/destination-rule-all-mtls.yaml", "networking/virtual-service-reviews-test-v2.yaml", "networking/virtual-service-ratings-test-delay.yaml"];
    assert.deepEqual(run(undefined, INJECTED, APP, ...docs.map(sample)), BOOKINFO_EMPTY_SUBSETS);
  });

  test("the Gateway API gateway and GAMMA routes with the per-version Services raise nothing", () => {
    const docs = ["platform/kube/bookinfo-versions.yaml", "gateway-api/bookinfo-gateway.yaml", "gateway-api/route-reviews-90-10.yaml"];
    assert.deepEqual(run(undefined, INJECTED, APP, ...docs.map(sample)), []);
  });
});

describe("IST0101 ReferencedResourceNotFound", () => {
  const vsTo = (destination: string) => virtualService("{name: reviews}", `  hosts: [reviews]\n  http:\n  - route:\n    - destination: ${destination}`);

  test("a destination host that names no service", () => {
    assert.deepEqual(findings(["IST0101"], vsTo("{host: reviewz}")), [
      { code: "IST0101", level: "Error", kind: "VirtualService", namespace: "default", name: "reviews", message: 'Referenced host not found: "reviewz"', field: "spec.http[0].route[0].destination.host" },
    ]);
  });

  test("destination hosts resolve against the VirtualService's namespace, in every spelling", () => {
    for (const host of ["reviews", "reviews.default", "reviews.default.svc", "reviews.default.svc.cluster.local"])
      assert.deepEqual(findings(["IST0101"], vsTo(`{host: ${host}}`)), [], host);
  });

  test("a service hidden by exportTo is not found", () => {
    const hidden = `
apiVersion: v1
kind: Service
metadata: {name: secret, namespace: other, annotations: {networking.istio.io/exportTo: "."}}
spec: {selector: {app: secret}, ports: [{name: http, port: 80}]}
`;
    assert.deepEqual(findings(["IST0101"], hidden, vsTo("{host: secret.other.svc.cluster.local}")).map((f) => f.message), ['Referenced host not found: "secret.other.svc.cluster.local"']);
  });

  test("ServiceEntry hosts: a wildcard host covers the name; ports and mirrors are checked too (IST0112)", () => {
    const entry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: google}
spec:
  hosts: ["*.googleapis.com"]
  ports: [{number: 443, name: https, protocol: HTTPS}, {number: 80, name: http, protocol: HTTP}]
  resolution: NONE
`;
    const vs = virtualService(
      "{name: google}",
      `  hosts: [www.googleapis.com]
  http:
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: www.googleapis.com}}]
    mirror: {host: nowhere}
  - route: [{destination: {host: www.googleapis.com, port: {number: 8443}}}]`,
    );
    assert.deepEqual(
      findings(["IST0101", "IST0112"], entry, vs).map((f) => [f.code, f.message, f.field]),
      [
        ["IST0101", 'Referenced host:port not found: "www.googleapis.com:8443"', "spec.http[1].route[0].destination.port.number"],
        ["IST0101", 'Referenced mirror host not found: "nowhere"', "spec.http[0].mirror.host"],
        [
          "IST0112",
          'This VirtualService routes to a service "www.googleapis.com" that exposes multiple ports [443 80]. Specifying a port in the destination is required to disambiguate.',
          "spec.http[0].route[0].destination.host",
        ],
      ],
    );
  });

  test("host+subset not in the applicable DestinationRule", () => {
    const [f] = findings(["IST0101"], DRS, vsTo("{host: reviews, subset: v4}"));
    assert.deepEqual(f, {
      code: "IST0101",
      level: "Error",
      kind: "VirtualService",
      namespace: "default",
      name: "reviews",
      message: 'Referenced host+subset in destinationrule not found: "reviews+v4"',
      field: "spec.http[0].route[0].destination.subset",
    });
    assert.equal(formatText([f]), 'Error [IST0101] (VirtualService default/reviews) Referenced host+subset in destinationrule not found: "reviews+v4"');
    assert.deepEqual(findings(["IST0101"], DRS, vsTo("{host: reviews, subset: v3}")), []);
  });

  test("the DestinationRule in the client's namespace shadows the service's", () => {
    const frontend = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: frontend}
spec:
  host: reviews.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
---
${virtualService("{name: reviews, namespace: frontend}", "  hosts: [reviews.default.svc.cluster.local]\n  http:\n  - route:\n    - destination: {host: reviews.default.svc.cluster.local, subset: v3}")}`;
    assert.deepEqual(findings(["IST0101"], DRS, frontend).map((f) => [f.namespace, f.message]), [
      ["frontend", 'Referenced host+subset in destinationrule not found: "reviews.default.svc.cluster.local+v3"'],
    ]);
  });

  test("a VirtualService gateway that does not exist", () => {
    const vs = (gateway: string) =>
      virtualService("{name: bookinfo}", `  hosts: ["*"]\n  gateways: [${gateway}]\n  http:\n  - route:\n    - destination: {host: productpage, port: {number: 9080}}`);
    assert.deepEqual(findings(["IST0101"], vs("bookinfo-gatewai")), [
      { code: "IST0101", level: "Error", kind: "VirtualService", namespace: "default", name: "bookinfo", message: 'Referenced gateway not found: "bookinfo-gatewai"', field: "spec.gateways[0]" },
    ]);
    const gateway = sample("networking/bookinfo-gateway.yaml").split("---")[0];
    assert.deepEqual(findings(["IST0101"], gateway, vs("bookinfo-gateway")), []);
    assert.deepEqual(findings(["IST0101"], gateway, vs("default/bookinfo-gateway")), []);
    assert.equal(findings(["IST0101"], gateway, vs("istio-system/bookinfo-gateway")).length, 1);
  });

  test("HTTPRoute parentRefs and backendRefs that name nothing", () => {
    const route = sample("gateway-api/route-reviews-90-10.yaml").replace("name: reviews\n    port", "name: reviewz\n    port");
    const found = findings(["IST0101"], route);
    assert.deepEqual(
      found.map((f) => [f.kind, f.name, f.message, f.field]),
      [
        ["HTTPRoute", "reviews", 'Referenced parentRef Service not found: "default/reviewz"', "spec.parentRefs[0]"],
        ["HTTPRoute", "reviews", 'Referenced backendRef Service not found: "default/reviews-v1"', "spec.rules[0].backendRefs[0]"],
        ["HTTPRoute", "reviews", 'Referenced backendRef Service not found: "default/reviews-v2"', "spec.rules[0].backendRefs[1]"],
      ],
    );
    const gatewayRoute = sample("gateway-api/bookinfo-gateway.yaml").split("---")[1];
    assert.deepEqual(findings(["IST0101"], gatewayRoute).map((f) => f.message), ['Referenced parentRef Gateway not found: "default/bookinfo-gateway"']);
    assert.deepEqual(findings(["IST0101"], sample("gateway-api/bookinfo-gateway.yaml")), []);
  });

  test("a Sidecar workloadSelector that selects nothing (Istio reports it as a missing selector)", () => {
    const sidecar = (app: string) => `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ratings}
spec:
  workloadSelector: {labels: {app: ${app}, version: v1}}
  egress: [{hosts: ["./*"]}]
`;
    assert.deepEqual(findings(["IST0101"], sidecar("ratingz")), [
      { code: "IST0101", level: "Error", kind: "Sidecar", namespace: "default", name: "ratings", message: 'Referenced selector not found: "app=ratingz,version=v1"', field: "spec.workloadSelector.labels" },
    ]);
    assert.deepEqual(findings(["IST0101"], sidecar("ratings")), []);
  });
});

describe("IST0109 ConflictingMeshGatewayVirtualServiceHosts", () => {
  const vs = (name: string, namespace: string, host: string, exportTo?: string) =>
    virtualService(
      `{name: ${name}, namespace: ${namespace}}`,
      `  hosts: [${host}]\n  ${exportTo ? `exportTo: ["${exportTo}"]` : ""}\n  http:\n  - route:\n    - destination: {host: reviews.default.svc.cluster.local, subset: v1}`,
    );

  test("two mesh VirtualServices for one host: both are reported", () => {
    const message =
      "The VirtualServices default/reviews,default/reviews-canary associated with mesh gateway define the same host */reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.";
    const found = findings(["IST0109"], vs("reviews", "default", "reviews"), vs("reviews-canary", "default", "reviews.default.svc.cluster.local"));
    assert.deepEqual(found, [
      { code: "IST0109", level: "Error", kind: "VirtualService", namespace: "default", name: "reviews", message, field: "spec.hosts" },
      { code: "IST0109", level: "Error", kind: "VirtualService", namespace: "default", name: "reviews-canary", message, field: "spec.hosts" },
    ]);
    // istioctl orders by `<Kind>/<name>/<namespace>`, and `-` sorts before `/`.
    assert.equal(
      formatText(found),
      [`Error [IST0109] (VirtualService default/reviews-canary) ${message}`, `Error [IST0109] (VirtualService default/reviews) ${message}`].join("\n"),
    );
  });

  test("VirtualServices visible to different namespaces do not conflict", () => {
    assert.deepEqual(findings(["IST0109"], vs("reviews", "team-a", "reviews.default.svc.cluster.local", "."), vs("reviews", "team-b", "reviews.default.svc.cluster.local", ".")), []);
  });

  test("a namespace-local VirtualService conflicts with one exported everywhere", () => {
    const found = findings(["IST0109"], vs("reviews", "team-a", "reviews.default.svc.cluster.local", "."), vs("reviews", "default", "reviews"));
    assert.deepEqual(found.map((f) => `${f.namespace}/${f.name}`), ["default/reviews", "team-a/reviews"]);
    assert.match(found[0].message, /team-a\/reviews\.default\.svc\.cluster\.local/);
  });
});

describe("IST0130 VirtualServiceUnreachableRule / IST0131 VirtualServiceIneffectiveMatch", () => {
  const routes = (http: string) => virtualService("{name: reviews}", `  hosts: [reviews]\n  http:\n${http}`);
  const to = "    route: [{destination: {host: reviews}}]";

  test("the Bookinfo fault-injection sample: its fallback after a catch-all rule is never used", () => {
    const found = run(undefined, INJECTED, APP, sample("networking/fault-injection-details-v1.yaml"));
    assert.deepEqual(found, [
      { code: "IST0130", level: "Warning", kind: "VirtualService", namespace: "default", name: "details", message: "VirtualService rule #1 not used (only the last rule can have no matches).", field: "spec.http[1]" },
    ]);
    assert.equal(formatText(found), "Warning [IST0130] (VirtualService default/details) VirtualService rule #1 not used (only the last rule can have no matches).");
  });

  test("a rule after a catch-all rule", () => {
    const found = findings(["IST0130", "IST0131"], routes(`  - name: everything\n${to}\n  - name: jason\n    match: [{headers: {end-user: {exact: jason}}}, {uri: {prefix: /x}}]\n${to}`));
    assert.deepEqual(found.map((f) => [f.code, f.level, f.message, f.field]), [["IST0130", "Warning", 'VirtualService rule "jason" not used (route without matches defined before).', "spec.http[1]"]]);
  });

  test("a match identical to an earlier one (names aside), and a rule whose matches all are", () => {
    const http = [
      `  - match: [{name: first, headers: {end-user: {exact: jason}}}]\n${to}`,
      `  - match: [{name: again, headers: {end-user: {exact: jason}}}, {uri: {exact: /other}}]\n${to}`,
      `  - match: [{headers: {end-user: {exact: jason}}}]\n${to}`,
      `  - route: [{destination: {host: reviews}}]`,
    ].join("\n");
    assert.deepEqual(
      findings(["IST0130", "IST0131"], routes(http)).map((f) => [f.code, f.level, f.message, f.field]),
      [
        ["IST0130", "Warning", "VirtualService rule #2 not used (all matches used by prior rules).", "spec.http[2]"],
        ["IST0131", "Info", 'VirtualService rule #1 match "again" is not used (duplicate/overlapping match in rule #0).', "spec.http[1].match[0]"],
        ["IST0131", "Info", "VirtualService rule #2 match #0 is not used (duplicate/overlapping match in rule #0).", "spec.http[2].match[0]"],
      ],
    );
  });

  test("a URI prefix covered by an earlier, shorter prefix (Istio's wording: earlier match, its prefix, its rule)", () => {
    const http = `  - match: [{uri: {prefix: /api}}]\n${to}\n  - match: [{uri: {prefix: /api/v1}}]\n${to}`;
    assert.deepEqual(findings(["IST0131"], routes(http)).map((f) => f.message), ["VirtualService rule #1 match #0 of prefix /api/v1 is not used (duplicate/overlapping match in rule #0 of prefix /api on #0)."]);
  });

  test("distinct matches, and a catch-all last, are fine", () => {
    const http = `  - match: [{uri: {prefix: /api/v1}}]\n${to}\n  - match: [{uri: {prefix: /api}}, {headers: {end-user: {exact: jason}}}]\n${to}\n  - route: [{destination: {host: reviews}}]`;
    assert.deepEqual(findings(["IST0130", "IST0131"], routes(http)), []);
    assert.deepEqual(run(undefined, INJECTED, APP, DRS, sample("networking/virtual-service-reviews-jason-v2-v3.yaml")).filter((f) => f.code !== "IST0173"), []);
  });
});

describe("IST0127 NoMatchingWorkloadsFound", () => {
  const policy = (kind: string, name: string, namespace: string, selector: string, body: string) => `
apiVersion: security.istio.io/v1
kind: ${kind}
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  ${selector}
  ${body}
`;
  const ap = (selector: string, namespace = "default") => policy("AuthorizationPolicy", "allow-nothing", namespace, selector, "action: ALLOW");
  const pa = (selector: string) => policy("PeerAuthentication", "strict", "default", selector, "mtls: {mode: STRICT}");
  const ra = (selector: string) => policy("RequestAuthentication", "jwt", "default", selector, 'jwtRules: [{issuer: "testing@secure.istio.io"}]');

  test("a selector that matches no workload, on each kind of policy", () => {
    const selector = "selector: {matchLabels: {app: reviews, version: v9}}";
    const found = findings(["IST0127"], ap(selector), pa(selector), ra(selector));
    const message = "No matching workloads for this resource with the following labels: app=reviews,version=v9";
    assert.deepEqual(found, [
      { code: "IST0127", level: "Warning", kind: "AuthorizationPolicy", namespace: "default", name: "allow-nothing", message, field: "spec.selector" },
      { code: "IST0127", level: "Warning", kind: "PeerAuthentication", namespace: "default", name: "strict", message, field: "spec.selector" },
      { code: "IST0127", level: "Warning", kind: "RequestAuthentication", namespace: "default", name: "jwt", message, field: "spec.selector" },
    ]);
    assert.deepEqual(formatText(found).split("\n")[0], `Warning [IST0127] (AuthorizationPolicy default/allow-nothing) ${message}`);
  });

  test("a selector that matches, a namespace-wide policy where workloads run, a mesh-wide one", () => {
    const selector = "selector: {matchLabels: {app: reviews}}";
    assert.deepEqual(findings(["IST0127"], ap(selector), pa(selector), ra(selector), ap(""), ap("", "istio-system")), []);
  });

  test("a namespace-wide policy in a namespace without workloads; a root-namespace selector nothing matches", () => {
    assert.deepEqual(
      findings(["IST0127"], ap("", "empty"), ap("selector: {matchLabels: {app: nothing}}", "istio-system")).map((f) => [f.namespace, f.message]),
      [
        ["empty", "No matching workloads for this resource with the following labels: "],
        ["istio-system", "No matching workloads for this resource with the following labels: app=nothing"],
      ],
    );
    // Istio's ingress gateway runs in the root namespace: a mesh-wide policy may select it.
    assert.deepEqual(findings(["IST0127"], ap("selector: {matchLabels: {istio: ingressgateway}}", "istio-system")), []);
  });
});

describe("IST0173 DestinationRuleSubsetNotSelectPods / IST0174 UnknownDestinationRuleHost", () => {
  test("every subset selects a workload of the service", () => {
    assert.deepEqual(findings(["IST0173", "IST0174"], sample("networking/destination-rule-reviews.yaml")), []);
  });

  test("subset labels must hold together with the service's selector", () => {
    // version: v3 exists (reviews-v3), but not among the ratings pods.
    const dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ratings}\nspec:\n  host: ratings\n  subsets: [{name: v1, labels: {version: v1}}, {name: v3, labels: {version: v3}}]\n";
    assert.deepEqual(findings(["IST0173"], dr), [subsetNotSelected("ratings", "v3", 1)]);
  });

  test("a host that names no service", () => {
    const dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ghost}\nspec:\n  host: ghost\n  subsets: [{name: v1, labels: {version: v1}}]\n";
    assert.deepEqual(findings(["IST0173", "IST0174"], dr), [
      { code: "IST0174", level: "Warning", kind: "DestinationRule", namespace: "default", name: "ghost", message: "The host ghost defined in the DestinationRule does not match any services in the mesh.", field: "spec.host" },
    ]);
  });
});

describe("IST0113 MTLSPolicyConflict", () => {
  const peer = (mode: string, selector = "") => `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews-${mode.toLowerCase()}}
spec:
  ${selector}
  mtls: {mode: ${mode}}
`;
  const dr = (mode: string) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: ${mode}}}
`;

  test("plaintext towards STRICT workloads", () => {
    const found = findings(["IST0113"], peer("STRICT", "selector: {matchLabels: {app: reviews}}"), dr("DISABLE"));
    assert.deepEqual(found, [
      {
        code: "IST0113",
        level: "Error",
        kind: "DestinationRule",
        namespace: "default",
        name: "reviews",
        message:
          'A DestinationRule and Policy are in conflict with regards to mTLS for host reviews.default.svc.cluster.local:9080. The DestinationRule "default/reviews" specifies that mTLS must be false but the Policy object "default/reviews-strict" specifies STRICT.',
        field: "spec.trafficPolicy.tls.mode",
      },
    ]);
  });

  test("Istio mTLS towards DISABLE workloads, through a subset of the Bookinfo mTLS rules", () => {
    const found = findings(["IST0113"], peer("DISABLE", "selector: {matchLabels: {version: v2}}"), sample("networking/destination-rule-all-mtls.yaml"));
    assert.deepEqual(
      found.map((f) => [f.name, f.message, f.field]),
      [
        [
          "reviews",
          'A DestinationRule and Policy are in conflict with regards to mTLS for host reviews.default.svc.cluster.local:9080. The DestinationRule "default/reviews" specifies that mTLS must be true but the Policy object "default/reviews-disable" specifies DISABLE.',
          "spec.trafficPolicy.tls.mode",
        ],
      ],
    );
  });

  test("a mesh-wide ISTIO_MUTUAL rule against one port a workload policy sets to DISABLE", () => {
    const meshWide = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: all, namespace: istio-system}\nspec:\n  host: \"*.local\"\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n";
    const portLevel = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ratings}
spec:
  selector: {matchLabels: {app: ratings}}
  mtls: {mode: PERMISSIVE}
  portLevelMtls: {"9080": {mode: DISABLE}}
`;
    assert.deepEqual(
      findings(["IST0113"], meshWide, portLevel).map((f) => [`${f.namespace}/${f.name}`, f.message]),
      [
        [
          "istio-system/all",
          'A DestinationRule and Policy are in conflict with regards to mTLS for host ratings.default.svc.cluster.local:9080. The DestinationRule "istio-system/all" specifies that mTLS must be true but the Policy object "default/ratings" specifies DISABLE.',
        ],
      ],
    );
  });

  test("modes that agree, and PERMISSIVE, raise nothing", () => {
    assert.deepEqual(findings(["IST0113"], peer("STRICT"), sample("networking/destination-rule-all-mtls.yaml")), []);
    assert.deepEqual(findings(["IST0113"], peer("PERMISSIVE"), dr("DISABLE")), []);
    assert.deepEqual(findings(["IST0113"], peer("DISABLE"), dr("DISABLE")), []);
  });
});

describe("IST0102 NamespaceNotInjected", () => {
  const message =
    "The namespace is not enabled for Istio injection. Run 'kubectl label namespace default istio-injection=enabled' to enable it, or 'kubectl label namespace default istio-injection=disabled' to explicitly mark it as not needing injection.";

  test("a namespace running Deployments without an injection label", () => {
    const found = run(undefined, APP);
    assert.deepEqual(found, [{ code: "IST0102", level: "Info", kind: "Namespace", namespace: "default", name: "default", message, field: "metadata.labels" }]);
    assert.equal(formatText(found), `Info [IST0102] (Namespace default) ${message}`);
    assert.deepEqual(run(undefined, "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {team: a}}", APP).map((f) => f.code), ["IST0102"]);
  });

  test("injection enabled, disabled on purpose, by revision; system namespaces; namespaces without Deployments", () => {
    for (const labels of ["{istio-injection: enabled}", "{istio-injection: disabled}", "{istio.io/rev: canary}"])
      assert.deepEqual(run(undefined, `apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: ${labels}}`, APP), [], labels);
    assert.deepEqual(run(undefined, APP.replaceAll("kind: Deployment\nmetadata:\n", "kind: Deployment\nmetadata:\n  namespace: kube-system\n")).filter((f) => f.namespace === "kube-system"), []);
    assert.deepEqual(run(undefined, "apiVersion: v1\nkind: Namespace\nmetadata: {name: empty}"), []);
  });
});

describe("analyze and formatText", () => {
  const mixed = [
    APP,
    DRS,
    virtualService("{name: ratings, namespace: other}", "  hosts: [ratings.default.svc.cluster.local]\n  http:\n  - route: [{destination: {host: ratings.default.svc.cluster.local, subset: v9}}]"),
  ];

  test("order: namespace, kind, name, code; the namespace filter keeps only that namespace's objects", () => {
    const all = run(undefined, ...mixed);
    assert.deepEqual(
      all.map((f) => `${f.namespace} ${f.kind} ${f.name} ${f.code}`),
      [
        "default DestinationRule details IST0173",
        "default DestinationRule ratings IST0173",
        "default DestinationRule ratings IST0173",
        "default DestinationRule ratings IST0173",
        "default Namespace default IST0102",
        "other VirtualService ratings IST0101",
      ],
    );
    assert.deepEqual(run("other", ...mixed).map((f) => f.code), ["IST0101"]);
    assert.deepEqual(run("default", ...mixed), all.slice(0, 5));
    assert.deepEqual(run("nowhere", ...mixed), []);
  });

  test("text: istioctl's order (level, code, object) and its success line", () => {
    const lines = formatText(run(undefined, ...mixed)).split("\n");
    assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf(")") + 1)), [
      "Error [IST0101] (VirtualService other/ratings)",
      "Error [IST0173] (DestinationRule default/details)",
      "Error [IST0173] (DestinationRule default/ratings)",
      "Error [IST0173] (DestinationRule default/ratings)",
      "Error [IST0173] (DestinationRule default/ratings)",
      "Info [IST0102] (Namespace default)",
    ]);
    assert.equal(formatText([], "default"), "✔ No validation issues found when analyzing namespace: default.");
    assert.equal(formatText([]), "✔ No validation issues found when analyzing all namespaces.");
  });

  test("deterministic and pure", () => {
    const text = mixed.join("\n---\n");
    const config = configFromYaml(text);
    const first = JSON.stringify(analyze(config, buildRegistry(config)));
    assert.equal(JSON.stringify(analyze(config, buildRegistry(config))), first);
    assert.deepEqual(config, configFromYaml(text));
  });
});
