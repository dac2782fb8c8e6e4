// Router semantics beyond the golden cases, on hand-written RouterTables: every StringMatch kind,
// header/query matches, domain precedence, actions, rewrites and header operations.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Route, RouterTable, VirtualHost } from "../../control/mesh/snapshot.ts";
import type { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import type { DecisionRequest } from "./decision-cases.ts";
import { hostWithConfig, minimalConfig, seededRandom, send } from "./support.ts";

const ORIGIN = { kind: "VirtualService" as const, namespace: "default", name: "t", rule: 0 };
const to = (cluster: string, extra: Partial<Route> = {}): Route => ({ origin: ORIGIN, matches: [], destinations: [{ cluster, weight: 1 }], ...extra });

async function router(virtualHosts: VirtualHost[], port = 80, extraPorts: RouterTable["ports"] = []): Promise<ProxyWasmHost> {
  const config = { ...minimalConfig(1), router: { ports: [{ port, virtualHosts }, ...extraPorts] } };
  return hostWithConfig("router", config, { random: seededRandom(7) });
}

const req = (path: string, extra: Partial<DecisionRequest> = {}): DecisionRequest => ({ authority: "svc", path, method: "GET", port: 80, ...extra });

function outcome(host: ProxyWasmHost, r: DecisionRequest): string {
  const o = send(host, r);
  o.stream.done();
  assert.deepEqual(host.violations, []);
  return o.action === "continue" ? (o.cluster ?? "no-cluster") : `${o.action}${o.status ? ` ${o.status}` : ""}`;
}

const one = (routes: Route[]): VirtualHost[] => [{ name: "svc", domains: ["svc", "svc:80"], routes }];

describe("router: matching", () => {
  it("uri exact / prefix / segmentPrefix / regex / ignoreCase, on the path without the query", async () => {
    const host = await router(
      one([
        to("exact", { matches: [{ uri: { exact: "/a" } }] }),
        to("seg", { matches: [{ uri: { segmentPrefix: "/seg" } }] }),
        to("prefix", { matches: [{ uri: { prefix: "/pre" } }] }),
        to("regex", { matches: [{ uri: { regex: "/r/[0-9]+(/x)?" } }] }),
        to("icase", { matches: [{ uri: { exact: "/CaSe", ignoreCase: true } }] }),
        to("rest"),
      ]),
    );
    const cases: [string, string][] = [
      ["/a", "exact"], ["/a?q=1", "exact"], ["/a/", "rest"], ["/seg", "seg"], ["/seg/", "seg"], ["/seg/x", "seg"], ["/segx", "rest"],
      ["/prefix", "prefix"], ["/pre", "prefix"], ["/r/12", "regex"], ["/r/12/x", "regex"], ["/r/12/y", "rest"], ["/r/", "rest"],
      ["/case", "icase"], ["/CASE", "icase"], ["/cases", "rest"],
    ];
    for (const [path, want] of cases) assert.equal(outcome(host, req(path)), want, path);
  });

  it("regex is anchored and supports classes, alternation, counted repetition and (?i)", async () => {
    const host = await router(
      one([
        to("re1", { matches: [{ uri: { regex: "/v[12]/(users|groups)/\\d{2,4}" } }] }),
        to("re2", { matches: [{ uri: { regex: "(?i)/API/.*" } }] }),
        to("re3", { matches: [{ uri: { regex: "/x[^/]*\\.json" } }] }),
        to("rest"),
      ]),
    );
    const cases: [string, string][] = [
      ["/v1/users/12", "re1"], ["/v2/groups/1234", "re1"], ["/v1/users/1", "rest"], ["/v1/users/12345", "rest"], ["/v3/users/12", "rest"],
      ["/prefix/v1/users/12", "rest"], ["/api/anything", "re2"], ["/Api/", "re2"], ["/xabc.json", "re3"], ["/xa/b.json", "rest"],
    ];
    for (const [path, want] of cases) assert.equal(outcome(host, req(path)), want, path);
  });

  it("headers: value, present, invert (withoutHeaders), all fields of one entry, any entry", async () => {
    const host = await router(
      one([
        to("both", { matches: [{ headers: [{ name: "a", value: { exact: "1" } }, { name: "b", present: true }] }] }),
        to("either", { matches: [{ headers: [{ name: "c", value: { prefix: "x" } }] }, { method: { exact: "POST" } }] }),
        to("not-d", { matches: [{ uri: { prefix: "/inv" }, headers: [{ name: "d", value: { exact: "no" }, invert: true }] }] }),
        to("rest"),
      ]),
    );
    assert.equal(outcome(host, req("/", { headers: { a: "1", b: "" } })), "both");
    assert.equal(outcome(host, req("/", { headers: { a: "1" } })), "rest");
    assert.equal(outcome(host, req("/", { headers: { c: "xyz" } })), "either");
    assert.equal(outcome(host, req("/", { method: "POST" })), "either");
    assert.equal(outcome(host, req("/inv")), "not-d", "absent header: inverted condition holds");
    assert.equal(outcome(host, req("/inv", { headers: { d: "yes" } })), "not-d");
    assert.equal(outcome(host, req("/inv", { headers: { d: "no" } })), "rest");
  });

  it("queryParams on the decoded value; method, authority and port matches", async () => {
    const host = await router(
      one([
        to("q", { matches: [{ queryParams: [{ name: "user", value: { exact: "a b" } }] }] }),
        to("qre", { matches: [{ queryParams: [{ name: "id", value: { regex: "[0-9]+" } }] }] }),
        to("auth", { matches: [{ authority: { exact: "svc:80" } }] }),
        to("port", { matches: [{ port: 8080 }] }),
        to("rest"),
      ]),
      80,
    );
    assert.equal(outcome(host, req("/p?x=1&user=a%20b")), "q");
    assert.equal(outcome(host, req("/p?user=a+b")), "rest", "+ is not decoded to a space (Envoy)");
    assert.equal(outcome(host, req("/p?id=42")), "qre");
    assert.equal(outcome(host, req("/p?id=42x")), "rest");
    assert.equal(outcome(host, req("/p", { authority: "svc:80" })), "auth");
  });

  it("routes indexed by exact uri decide as a scan of every route in order (uri-index.ts)", async () => {
    const variant = (v: string) => [{ name: "x-v", value: { exact: v } }];
    const routes = [
      to("a-v1", { matches: [{ uri: { exact: "/a" }, headers: variant("1") }] }),
      to("pre", { matches: [{ uri: { prefix: "/a" }, headers: variant("p") }] }), // any path: not indexed
      to("a-or-b", { matches: [{ uri: { exact: "/a" }, headers: variant("2") }, { uri: { exact: "/b" } }] }),
      to("a-any", { matches: [{ uri: { exact: "/a" } }] }),
      to("icase", { matches: [{ uri: { exact: "/C", ignoreCase: true } }] }), // not indexed
      to("c", { matches: [{ uri: { exact: "/c" } }] }), // shadowed by icase
      ...Array.from({ length: 40 }, (_, i) => to(`r${i}`, { matches: [{ uri: { exact: `/r/${i}` }, headers: variant(String(i % 3)) }] })),
      to("method", { matches: [{ method: { exact: "PUT" } }] }), // any path
      to("rest"),
    ];
    const host = await router(one(routes));
    const cases: [string, Record<string, string>, string][] = [
      ["/a", { "x-v": "1" }, "a-v1"], ["/a", { "x-v": "p" }, "pre"], ["/a", { "x-v": "2" }, "a-or-b"], ["/a", {}, "a-any"],
      ["/a?x=1", {}, "a-any"], ["/ab", { "x-v": "p" }, "pre"], ["/ab", {}, "rest"], ["/b", {}, "a-or-b"], ["/c", {}, "icase"],
      ["/C", {}, "icase"], ["/r/7", { "x-v": "1" }, "r7"], ["/r/7", { "x-v": "2" }, "rest"], ["/r/39", { "x-v": "0" }, "r39"],
      ["/r/40", { "x-v": "1" }, "rest"], ["/nothing", {}, "rest"],
    ];
    for (const [path, headers, want] of cases) assert.equal(outcome(host, req(path, { headers })), want, `${path} ${JSON.stringify(headers)}`);
    assert.equal(outcome(host, req("/r/7", { method: "PUT", headers: { "x-v": "0" } })), "method", "an any-path route between indexed ones keeps its place");
    assert.equal(outcome(host, req("/r/7", { method: "PUT", headers: { "x-v": "1" } })), "r7");
  });

  it("domains: exact before *.suffix (longest first) before prefix.* before *; case-insensitive", async () => {
    const host = await router([
      { name: "star", domains: ["*"], routes: [to("star")] },
      { name: "wild", domains: ["*.example.com"], routes: [to("wild")] },
      { name: "wild2", domains: ["*.api.example.com"], routes: [to("wild2")] },
      { name: "pre", domains: ["internal.*"], routes: [to("pre")] },
      { name: "exact", domains: ["www.example.com", "www.example.com:80"], routes: [to("exact")] },
    ]);
    assert.equal(outcome(host, req("/", { authority: "WWW.Example.com" })), "exact");
    assert.equal(outcome(host, req("/", { authority: "a.example.com" })), "wild");
    assert.equal(outcome(host, req("/", { authority: "v1.api.example.com" })), "wild2");
    assert.equal(outcome(host, req("/", { authority: "internal.corp" })), "pre");
    assert.equal(outcome(host, req("/", { authority: "other" })), "star");
    assert.equal(outcome(host, req("/", { authority: "example.com" })), "star", "*.example.com needs a label");
  });

  it("the table is chosen by destination.port, else the :authority port, else 80", async () => {
    const host = await router(one([to("p80")]), 80, [{ port: 9080, virtualHosts: [{ name: "svc", domains: ["svc", "svc:9080"], routes: [to("p9080")] }] }]);
    assert.equal(outcome(host, req("/", { port: 9080 })), "p9080");
    assert.equal(outcome(host, { authority: "svc:9080", path: "/" }), "p9080");
    assert.equal(outcome(host, { authority: "svc", path: "/" }), "p80");
    assert.equal(outcome(host, req("/", { port: 7000 })), "reply 404");
  });
});

describe("router: actions", () => {
  it("directResponse and redirect are local replies", async () => {
    const host = await router(
      one([
        to("x", { matches: [{ uri: { exact: "/direct" } }], destinations: undefined, directResponse: { status: 418, body: "teapot" } }),
        to("x", { matches: [{ uri: { prefix: "/old" } }], destinations: undefined, redirect: { uri: "/new", authority: "b.example", scheme: "https", port: 8443, status: 308 } }),
        to("x", { matches: [{ uri: { prefix: "/moved" } }], destinations: undefined, redirect: { authority: "c.example", status: 301 } }),
      ]),
    );
    const d = send(host, req("/direct"));
    assert.deepEqual([d.status, d.body], [418, "teapot"]);
    const r = send(host, req("/old/page?x=1"));
    assert.equal(r.status, 308);
    assert.equal(r.stream.response.get("location"), "https://b.example:8443/new?x=1");
    const m = send(host, req("/moved/a", { authority: "svc:80" }));
    assert.equal(m.stream.response.get("location"), "http://c.example/moved/a");
  });

  it("redirect: prefix keeps the rest of the path; a scheme's well-known port is left out of the Location", async () => {
    const host = await router(
      one([
        to("x", { matches: [{ uri: { segmentPrefix: "/orig" } }], destinations: undefined, redirect: { prefix: "/repl", status: 302 } }),
        to("x", { matches: [{ uri: { prefix: "/http80" } }], destinations: undefined, redirect: { authority: "a.example", port: 80, status: 302 } }),
        to("x", { matches: [{ uri: { prefix: "/https443" } }], destinations: undefined, redirect: { scheme: "https", authority: "a.example", port: 443, status: 302 } }),
        to("x", { matches: [{ uri: { prefix: "/https80" } }], destinations: undefined, redirect: { scheme: "https", authority: "a.example", port: 80, status: 302 } }),
      ]),
    );
    const location = (path: string, authority = "svc") => {
      const o = send(host, req(path, { authority }));
      o.stream.done();
      return o.stream.response.get("location");
    };
    assert.equal(location("/orig/lemon?x=1"), "http://svc/repl/lemon?x=1");
    assert.equal(location("/orig"), "http://svc/repl");
    assert.equal(location("/http80", "svc:80"), "http://a.example/http80");
    assert.equal(location("/https443"), "https://a.example/https443");
    assert.equal(location("/https80"), "https://a.example:80/https80");
    assert.equal(location("/orig/a", "svc:80"), "http://svc/repl/a", "the request's own port 80 is well-known for http too");
  });

  it("ignoreHostPort: virtual hosts are looked up by the authority without its port", async () => {
    const vhosts: VirtualHost[] = [{ name: "a", domains: ["a.example"], routes: [to("a")] }, { name: "w", domains: ["*.w.example"], routes: [to("w")] }];
    const strip = await hostWithConfig("router", { ...minimalConfig(1), router: { ports: [{ port: 80, virtualHosts: vhosts }], ignoreHostPort: true } }, { random: seededRandom(7) });
    assert.equal(outcome(strip, req("/", { authority: "a.example:1234" })), "a");
    assert.equal(outcome(strip, req("/", { authority: "x.w.example:80" })), "w");
    assert.equal(outcome(strip, req("/", { authority: "w.example" })), "reply 404");
    const keep = await router(vhosts);
    assert.equal(outcome(keep, req("/", { authority: "a.example:1234" })), "reply 404");
  });

  it("fault abort percentage draws per request", async () => {
    const host = await router(one([to("ok", { fault: { abort: { httpStatus: 503, percent: 30 } } })]));
    let aborted = 0;
    for (let i = 0; i < 2000; i++) if (outcome(host, req("/")) === "reply 503") aborted++;
    assert.ok(Math.abs(aborted / 2000 - 0.3) < 0.05, `${aborted}`);
  });

  it("a delayed stream that ends before its delay is forgotten; polls keep going", async () => {
    const host = await router(one([to("slow", { fault: { delay: { fixedDelayMs: 1000, percent: 100 } } })]));
    const a = send(host, req("/"));
    assert.equal(a.action, "pause");
    assert.equal(host.tickPeriodMs, 10, "fast ticks while a delay is pending");
    a.stream.done();
    await host.tick(50);
    assert.equal(host.tickPeriodMs, 5000, "back to the poll period");
    const polls = host.httpCalls.length;
    await host.tick(5000);
    assert.equal(host.httpCalls.length, polls + 1);
    assert.deepEqual(host.violations, []);
  });

  it("rewrites: prefix, segmentPrefix (Gateway ReplacePrefixMatch), whole path, full path, regex, authority", async () => {
    const host = await router(
      one([
        to("f", { matches: [{ uri: { segmentPrefix: "/full" } }], rewrite: { fullPath: "/one" } }),
        to("p", { matches: [{ uri: { prefix: "/api/" } }], rewrite: { uri: "/v2/" } }),
        to("s", { matches: [{ uri: { segmentPrefix: "/seg" } }], rewrite: { uri: "/" } }),
        to("e", { matches: [{ uri: { exact: "/exact" } }], rewrite: { uri: "/other", authority: "backend.internal" } }),
        to("r", { matches: [{ uri: { prefix: "/re/" } }], rewrite: { uriRegex: { match: "/re/([a-z]+)/(\\d+)", substitution: "/\\2/\\1" } } }),
      ]),
    );
    const path = (p: string) => {
      const o = send(host, req(p));
      o.stream.done();
      return [o.stream.request.get(":path"), o.stream.request.get(":authority")];
    };
    assert.deepEqual(path("/api/users?x=1"), ["/v2/users?x=1", "svc"]);
    assert.deepEqual(path("/seg/a/b"), ["/a/b", "svc"]);
    assert.deepEqual(path("/seg"), ["/", "svc"]);
    assert.deepEqual(path("/exact?q"), ["/other?q", "backend.internal"]);
    assert.deepEqual(path("/re/abc/42"), ["/42/abc", "svc"]);
    assert.deepEqual(path("/full/one/two?q=1"), ["/one?q=1", "svc"], "fullPath replaces the whole path, not the matched prefix");
  });

  it("header operations (route then destination; remove, set, add), timeouts and retries, response ops", async () => {
    const host = await router(
      one([
        {
          origin: ORIGIN,
          matches: [],
          destinations: [{ cluster: "c", weight: 1, requestHeaders: { set: [["x-dest", "d"]] }, responseHeaders: { add: [["x-resp-dest", "1"]] } }],
          requestHeaders: { remove: ["x-secret"], set: [["x-route", "r"]], add: [["x-multi", "1"]] },
          responseHeaders: { set: [["x-resp", "r"]], remove: ["server"] },
          timeoutMs: 1500,
          retries: { attempts: 3, perTryTimeoutMs: 500, retryOn: "5xx,connect-failure" },
        },
      ]),
    );
    const o = send(host, req("/", { headers: { "x-secret": "s", "x-multi": "0", "X-Envoy-Max-Retries": "99" } }));
    const h = o.stream.request;
    assert.equal(h.get("x-secret"), undefined);
    assert.equal(h.get("x-route"), "r");
    assert.equal(h.get("x-dest"), "d");
    assert.deepEqual(h.getAll("x-multi"), ["0", "1"]);
    assert.equal(h.get("x-envoy-upstream-rq-timeout-ms"), "1500");
    assert.deepEqual(h.getAll("x-envoy-max-retries"), ["3"]);
    assert.equal(h.get("x-envoy-retry-on"), "5xx,connect-failure");
    assert.equal(h.get("x-envoy-upstream-rq-per-try-timeout-ms"), "500");
    o.stream.responseHeaders({ ":status": "200", server: "envoy" });
    assert.equal(o.stream.response.get("x-resp"), "r");
    assert.equal(o.stream.response.get("x-resp-dest"), "1");
    assert.equal(o.stream.response.get("server"), undefined);
    o.stream.done();
    assert.deepEqual(host.violations, []);
  });
});
