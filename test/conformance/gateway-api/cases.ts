// The expected request/response pairs of the Gateway API conformance tests whose manifests are
// vendored here, transcribed from the `http.ExpectedResponse` tables of
// kubernetes-sigs/gateway-api conformance/tests/<file>.go (commit in README.md). One entry per
// table row, in upstream order; `gateway` is the Gateway the Go test sends to (its address),
// `host` the request's Host when the row sets one.
//
// Licensed under the Apache License, Version 2.0 (./LICENSE); derived from the upstream tables.

export interface ConformanceRequest {
  gateway: string;
  host?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent over TLS to an HTTPS listener (the Go test's tls.MakeTLSRequest...). */
  tls?: true;
}

/** The request as the backend sees it (ExpectedRequest). */
export interface ExpectedRequest {
  path?: string;
  headers?: Record<string, string>;
  absentHeaders?: string[];
}

/** RedirectRequest: an empty field means "whatever the suite defaults to" (http.go setRedirectRequestDefaults). */
export interface ExpectedRedirect {
  scheme?: string;
  host?: string;
  port?: string;
  path?: string;
}

/** `namespace`: the backend's, when not the infrastructure namespace (ExpectedResponse.Namespace). */
export type Expectation = { backend: string; namespace?: string; request?: ExpectedRequest } | { status: number; redirect?: ExpectedRedirect };

export interface ConformanceCase {
  /** The Go test's ShortName. */
  test: string;
  /** The vendored manifest (besides base.yaml). */
  manifest: string;
  request: ConformanceRequest;
  expect: Expectation;
}

const NS = "gateway-conformance-infra";
export const CONFORMANCE_NAMESPACE = NS;

function table(test: string, manifest: string, rows: [ConformanceRequest, Expectation][]): ConformanceCase[] {
  return rows.map(([request, expect]) => ({ test, manifest, request, expect }));
}

const v1 = { backend: "infra-backend-v1" };
const v2 = { backend: "infra-backend-v2" };
const v3 = { backend: "infra-backend-v3" };
const notFound = { status: 404 };

const HI = "httproute-hostname-intersection";
const hi = (host: string, path: string) => ({ gateway: HI, host, path });
const hiAll = (host: string) => ({ gateway: "httproute-hostname-intersection-all", host, path: "/" });
const lhm = (host: string) => ({ gateway: "httproute-listener-hostname-matching", host, path: "/" });
const same = (path: string, headers?: Record<string, string>) => ({ gateway: "same-namespace", path, ...(headers ? { headers } : {}) });
const at8080 = (path: string) => ({ gateway: "same-namespace-with-http-listener-on-8080", path });
const https = (host: string, path: string) => ({ gateway: "same-namespace-with-https-listener", host, path, tls: true as const });

const MODIFY_HEADERS = { "X-Header-Remove": "remove-val", "X-Header-Add-Append": "append-val-1", "X-Header-Set": "set-val" };
const MODIFIED = { "X-Header-Add": "header-val-1", "X-Header-Add-Append": "append-val-1,header-val-2", "X-Header-Set": "set-overwrites-values" };

export const CONFORMANCE_CASES: ConformanceCase[] = [
  ...table("HTTPRouteHostnameIntersection", `${HI}.yaml`, [
    // specific-host-matches-listener-specific-host
    [hi("very.specific.com", "/s1"), v1],
    [hi("very.specific.com:1234", "/s1"), v1],
    [hi("non.matching.com", "/s1"), notFound],
    [hi("foo.nonmatchingwildcard.io", "/s1"), notFound],
    [hi("foo.wildcard.io", "/s1"), notFound],
    [hi("very.specific.com", "/non-matching-prefix"), notFound],
    // specific-host-matches-listener-wildcard-host
    [hi("foo.wildcard.io", "/s2"), v2],
    [hi("bar.wildcard.io", "/s2"), v2],
    [hi("foo.bar.wildcard.io", "/s2"), v2],
    [hi("non.matching.com", "/s2"), notFound],
    [hi("wildcard.io", "/s2"), notFound],
    [hi("very.specific.com", "/s2"), notFound],
    [hi("foo.wildcard.io", "/non-matching-prefix"), notFound],
    // wildcard-host-matches-listener-specific-host
    [hi("very.specific.com", "/s3"), v3],
    [hi("non.matching.com", "/s3"), notFound],
    [hi("foo.specific.com", "/s3"), notFound],
    [hi("foo.wildcard.io", "/s3"), notFound],
    [hi("very.specific.com", "/non-matching-prefix"), notFound],
    // wildcard-host-matches-listener-wildcard-host
    [hi("foo.anotherwildcard.io", "/s4"), v1],
    [hi("bar.anotherwildcard.io", "/s4"), v1],
    [hi("foo.bar.anotherwildcard.io", "/s4"), v1],
    [hi("anotherwildcard.io", "/s4"), notFound],
    [hi("foo.wildcard.io", "/s4"), notFound],
    [hi("very.specific.com", "/s4"), notFound],
    [hi("foo.anotherwildcard.io", "/non-matching-prefix"), notFound],
    // no-intersecting-hosts
    [hi("specific.but.wrong.com", "/s5"), notFound],
    [hi("wildcard.io", "/s5"), notFound],
    // httproute-hostname-intersection-all
    [hiAll("first.com"), v2],
    [hiAll("sub.first.com"), v2],
    [hiAll("second.com"), v2],
    [hiAll("sub.second.com"), v2],
    [hiAll("third.com"), notFound],
    [hiAll("sub.third.com"), notFound],
  ]),
  ...table("HTTPRouteListenerHostnameMatching", "httproute-listener-hostname-matching.yaml", [
    [lhm("bar.com"), v1],
    [lhm("foo.bar.com"), v2],
    [lhm("baz.bar.com"), v3],
    [lhm("boo.bar.com"), v3],
    [lhm("multiple.prefixes.bar.com"), v3],
    [lhm("multiple.prefixes.foo.com"), v3],
    [lhm("foo.com"), notFound],
    [lhm("no.matching.host"), notFound],
  ]),
  ...table("HTTPRouteInvalidBackendRefUnknownKind", "httproute-invalid-backendref-unknown-kind.yaml", [[same("/v2"), { status: 500 }]]),
  ...table("HTTPRouteInvalidNonExistentBackendRef", "httproute-invalid-nonexistent-backendref.yaml", [[same("/"), { status: 500 }]]),
  ...table("HTTPRouteRewritePath", "httproute-rewrite-path.yaml", [
    [same("/prefix/one/two"), { ...v1, request: { path: "/one/two" } }],
    [same("/strip-prefix/three"), { ...v1, request: { path: "/three" } }],
    [same("/strip-prefix"), { ...v1, request: { path: "/" } }],
    [same("/full/one/two"), { ...v1, request: { path: "/one" } }],
    [same("/full/rewrite-path-and-modify-headers/test", MODIFY_HEADERS), { ...v1, request: { path: "/test", headers: MODIFIED, absentHeaders: ["X-Header-Remove"] } }],
    [same("/prefix/rewrite-path-and-modify-headers/one", MODIFY_HEADERS), { ...v1, request: { path: "/prefix/one", headers: MODIFIED, absentHeaders: ["X-Header-Remove"] } }],
  ]),
  ...table("HTTPRouteRedirectPath", "httproute-redirect-path.yaml", [
    [same("/original-prefix/lemon"), { status: 302, redirect: { path: "/replacement-prefix/lemon" } }],
    [same("/full/path/original"), { status: 302, redirect: { path: "/full-path-replacement" } }],
    [same("/path-and-host"), { status: 302, redirect: { host: "example.org", path: "/replacement-prefix" } }],
    [same("/path-and-status"), { status: 301, redirect: { path: "/replacement-prefix" } }],
    [same("/full-path-and-host"), { status: 302, redirect: { host: "example.org", path: "/replacement-full" } }],
    [same("/full-path-and-status"), { status: 301, redirect: { path: "/replacement-full" } }],
  ]),
  ...table("HTTPRouteRedirectPort", "httproute-redirect-port.yaml", [
    [same("/port"), { status: 302, redirect: { port: "8083" } }],
    [same("/port-and-host"), { status: 302, redirect: { host: "example.org", port: "8083" } }],
    [same("/port-and-status"), { status: 301, redirect: { port: "8083" } }],
    [same("/port-and-host-and-status"), { status: 302, redirect: { host: "example.org", port: "8083" } }],
  ]),
  // The HTTPS listener's rows (same-namespace-with-https-listener) are not vendored.
  ...table("HTTPRouteRedirectPortAndScheme", "httproute-redirect-port-and-scheme.yaml", [
    [same("/scheme-nil-and-port-nil"), { status: 302, redirect: { scheme: "http", host: "example.org" } }],
    [same("/scheme-nil-and-port-80"), { status: 302, redirect: { scheme: "http", host: "example.org" } }],
    [same("/scheme-nil-and-port-8080"), { status: 302, redirect: { scheme: "http", host: "example.org", port: "8080" } }],
    [same("/scheme-https-and-port-nil"), { status: 302, redirect: { scheme: "https", host: "example.org" } }],
    [same("/scheme-https-and-port-443"), { status: 302, redirect: { scheme: "https", host: "example.org" } }],
    [same("/scheme-https-and-port-8443"), { status: 302, redirect: { scheme: "https", host: "example.org", port: "8443" } }],
    [at8080("/scheme-nil-and-port-nil"), { status: 302, redirect: { scheme: "http", host: "example.org", port: "8080" } }],
    [at8080("/scheme-nil-and-port-80"), { status: 302, redirect: { scheme: "http", host: "example.org" } }],
    [at8080("/scheme-https-and-port-nil"), { status: 302, redirect: { scheme: "https", host: "example.org" } }],
    [https("example.org", "/scheme-nil-and-port-nil"), { status: 302, redirect: { scheme: "https", host: "example.org" } }],
    [https("example.org", "/scheme-nil-and-port-443"), { status: 302, redirect: { scheme: "https", host: "example.org" } }],
    [https("example.org", "/scheme-nil-and-port-8443"), { status: 302, redirect: { scheme: "https", host: "example.org", port: "8443" } }],
    [https("example.org", "/scheme-http-and-port-nil"), { status: 302, redirect: { scheme: "http", host: "example.org" } }],
    [https("example.org", "/scheme-http-and-port-80"), { status: 302, redirect: { scheme: "http", host: "example.org" } }],
    [https("example.org", "/scheme-http-and-port-8080"), { status: 302, redirect: { scheme: "http", host: "example.org", port: "8080" } }],
  ]),
  ...table("HTTPRouteHTTPSListener", "httproute-https-listener.yaml", [
    [https("example.org", "/"), v1],
    [https("unknown-example.org", "/"), notFound],
    [https("second-example.org", "/"), v2],
  ]),
  ...table("HTTPRouteReferenceGrant", "httproute-reference-grant.yaml", [[same("/"), { backend: "web-backend", namespace: "gateway-conformance-web-backend" }]]),
  ...table("HTTPRouteInvalidCrossNamespaceBackendRef", "httproute-invalid-cross-namespace-backend-ref.yaml", [[same("/"), { status: 500 }]]),
  ...table("HTTPRouteInvalidReferenceGrant", "httproute-invalid-reference-grant.yaml", [[same("/"), { status: 500 }]]),
];
