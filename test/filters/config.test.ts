// The config channel with real compiled tables: versions only go forward, a body that is not a
// valid FilterConfig is rejected with the last good one kept, and no config means 503.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type HttpCallResult, ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { CONTROL_CLUSTER, filterModule, pluginConfig } from "../wasmhost/support.ts";
import { configAnswer, filterConfig, minimalConfig, send } from "./support.ts";

const V1 = "outbound|9080|v1|reviews.default.svc.cluster.local";
const V2 = "outbound|9080|v2|reviews.default.svc.cluster.local";
const JASON = { authority: "reviews:9080", path: "/", port: 9080, headers: { "end-user": "jason" } };

async function channel(filter: "router" | "authz", answers: HttpCallResult[]) {
  const queue = [...answers];
  const host = await ProxyWasmHost.load(filterModule(filter), {
    pluginConfig: pluginConfig({ pollMs: 1000 }),
    clusters: [CONTROL_CLUSTER],
    onHttpCall: () => queue.shift() ?? { status: 304 },
    now: 0,
  });
  await host.settle();
  return host;
}

const cluster = (host: ProxyWasmHost) => {
  const o = send(host, JASON);
  o.stream.done();
  return o.action === "continue" ? o.cluster : `${o.action} ${o.status}`;
};

const rejections = (host: ProxyWasmHost) => host.logs.filter((l) => l.level === "warn" && / rejected: /.test(l.message)).map((l) => l.message);

describe("config channel with compiled tables", () => {
  it("rejects an older version and keeps the last good table; equal or newer versions apply", async () => {
    const host = await channel("router", [
      configAnswer(filterConfig("reviews-test-v2", "default/productpage-v1", 5), '"r5"'),
      configAnswer(filterConfig("all-v1", "default/productpage-v1", 3), '"r3"'),
      configAnswer(filterConfig("all-v1", "default/productpage-v1", 5), '"r5b"'),
      configAnswer(filterConfig("reviews-test-v2", "default/productpage-v1", 9), '"r9"'),
    ]);
    assert.equal(cluster(host), V2, "v5: jason -> v2");
    await host.tick(1000);
    assert.equal(cluster(host), V2, "v3 is older: still the v5 table");
    assert.match(rejections(host)[0], /"r3" rejected: version 3 is older than the current 5; keeping config "r5"/);
    await host.tick(1000);
    assert.equal(cluster(host), V1, "same version, new body: applied");
    await host.tick(1000);
    assert.equal(cluster(host), V2);
    assert.deepEqual(host.violations, []);
  });

  const bad: [string, (c: ReturnType<typeof minimalConfig>) => unknown, RegExp][] = [
    ["version is a string", (c) => ({ ...c, version: "7" }), /not a FilterConfig/],
    ["negative version", (c) => ({ ...c, version: -1 }), /not a FilterConfig/],
    ["no authz object", (c) => ({ ...c, authz: undefined }), /not a FilterConfig/],
    ["router.ports not an array", (c) => ({ ...c, router: { ports: "80" } }), /router.ports: must be an array/],
    ["port out of range", (c) => ({ ...c, router: { ports: [{ ...c.router.ports[0], port: 70000 }] } }), /port: must be an integer/],
    ["route without an action", (c) => withRoute(c, { matches: [] }), /exactly one of destinations, redirect, directResponse/],
    ["destination without cluster", (c) => withRoute(c, { matches: [], destinations: [{ weight: 1 }] }), /cluster/],
    ["all weights 0", (c) => withRoute(c, { matches: [], destinations: [{ cluster: "a", weight: 0 }] }), /weights must not all be 0/],
    ["unsupported regex", (c) => withRoute(c, { matches: [{ uri: { regex: "(?=look)" } }], destinations: [{ cluster: "a", weight: 1 }] }), /unsupported regex/],
    ["two StringMatch kinds", (c) => withRoute(c, { matches: [{ uri: { exact: "/", prefix: "/" } }], destinations: [{ cluster: "a", weight: 1 }] }), /exactly one of exact/],
    ["directResponse status 99", (c) => withRoute(c, { matches: [], directResponse: { status: 99 } }), /status/],
    ["redirect has both uri and prefix", (c) => withRoute(c, { matches: [], redirect: { uri: "/a", prefix: "/b", status: 302 } }), /redirect: uri and prefix are exclusive/],
    ["rewrite has both uri and fullPath", (c) => withRoute(c, { matches: [], destinations: [{ cluster: "a", weight: 1 }], rewrite: { uri: "/a", fullPath: "/b" } }), /rewrite: uri and fullPath are exclusive/],
    ["header value with CR LF", (c) => withRoute(c, { matches: [], destinations: [{ cluster: "a", weight: 1 }], requestHeaders: { set: [["x", "a\r\nb"]] } }), /NUL, CR or LF/],
  ];
  for (const [name, mutate, reason] of bad) {
    it(`router rejects a config whose ${name}, keeping the last good one`, async () => {
      const good = minimalConfig(1, "good");
      const host = await channel("router", [configAnswer(good, '"g"'), configAnswer(mutate(minimalConfig(2, "bad")) as object, '"b"')]);
      await host.tick(1000);
      const o = send(host, { authority: "x", path: "/" });
      assert.equal(o.cluster, "good");
      const r = rejections(host);
      assert.equal(r.length, 1);
      assert.match(r[0], reason);
      assert.match(r[0], /keeping config "g"/);
    });
  }

  const badAuthz: [string, (c: ReturnType<typeof minimalConfig>) => unknown, RegExp][] = [
    ["mtls mode unknown", (c) => ({ ...c, authz: { ...c.authz, mtls: { mode: "MUTUAL", ports: [] } } }), /STRICT, PERMISSIVE or DISABLE/],
    ["policies.deny missing", (c) => ({ ...c, authz: { ...c.authz, policies: { custom: [], allow: [], audit: [] } } }), /policies.deny: is required/],
    ["ipBlocks not CIDR", (c) => ({ ...c, authz: { ...c.authz, policies: { ...c.authz.policies, deny: [{ name: "d", rules: [{ from: [{ ipBlocks: ["10.0.0.0/33"] }], to: [], when: [] }] }] } } }), /not an IP address or CIDR/],
    ["ports not numbers", (c) => ({ ...c, authz: { ...c.authz, policies: { ...c.authz.policies, allow: [{ name: "a", rules: [{ from: [], to: [{ ports: ["http"] }], when: [] }] }] } } }), /must be a port number/],
  ];
  for (const [name, mutate, reason] of badAuthz) {
    it(`authz rejects a config whose ${name}`, async () => {
      const host = await channel("authz", [configAnswer(minimalConfig(1), '"g"'), configAnswer(mutate(minimalConfig(2)) as object, '"b"')]);
      await host.tick(1000);
      assert.equal(send(host, { authority: "x", path: "/" }).action, "continue");
      assert.match(rejections(host)[0] ?? "", reason);
    });
  }

  for (const filter of ["router", "authz"] as const) {
    it(`${filter}: until a valid config arrives every request gets 503`, async () => {
      const host = await channel(filter, [configAnswer({ version: 1 }, '"x"'), { status: 500 }]);
      const o = send(host, { authority: "reviews:9080", path: "/", port: 9080 });
      assert.equal(o.status, 503);
      await host.tick(1000);
      assert.equal(send(host, { authority: "reviews:9080", path: "/" }).status, 503);
      assert.match(rejections(host)[0], /not a FilterConfig/);
    });
  }
});

function withRoute(c: ReturnType<typeof minimalConfig>, route: unknown) {
  return { ...c, router: { ports: [{ port: 80, virtualHosts: [{ name: "x", domains: ["*"], routes: [route] }] }] } };
}
