// The config channel shared by router and authz: the root polls the control plane with the last
// ETag and keeps the last good config; until one arrives, requests get a 503 (or pass, failOpen).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type HttpCallRequest, type HttpCallResult, ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { minimalConfig } from "../filters/support.ts";
import { CONTROL_CLUSTER, type FilterName, filterModule, GET, pluginConfig } from "./support.ts";

/** A scripted control plane: answers the queued results in order, then 304. */
class ControlPlane {
  readonly requests: HttpCallRequest[] = [];
  private readonly queue: (HttpCallResult | Promise<HttpCallResult>)[] = [];

  reply(...results: (HttpCallResult | Promise<HttpCallResult>)[]): this {
    this.queue.push(...results);
    return this;
  }

  readonly handler = (req: HttpCallRequest): HttpCallResult | Promise<HttpCallResult> => {
    this.requests.push(req);
    return this.queue.shift() ?? { status: 304 };
  };

  header(i: number, name: string): string | undefined {
    return this.requests[i]?.headers.find(([k]) => k === name)?.[1];
  }
}

// Each config answer is a valid FilterConfig with a higher version than the previous one.
let nextVersion = 1;
const config = (etag: string, body = JSON.stringify(minimalConfig(nextVersion++))): HttpCallResult => ({ status: 200, headers: { etag, "content-type": "application/json" }, body });

async function start(filter: FilterName, cp: ControlPlane, overrides: Record<string, unknown> = {}) {
  return ProxyWasmHost.load(filterModule(filter), {
    pluginConfig: pluginConfig(overrides),
    onHttpCall: cp.handler,
    clusters: [CONTROL_CLUSTER],
    now: 1_700_000_000_000,
  });
}

function request(host: ProxyWasmHost) {
  const s = host.newStream();
  const r = s.requestHeaders(GET);
  s.done();
  return r;
}

for (const filter of ["router", "authz"] as const) {
  describe(`${filter}: config channel`, () => {
    it("answers 503 until the first config arrives, then lets requests through", async () => {
      const cp = new ControlPlane().reply(config('"v1"'));
      const host = await start(filter, cp);
      assert.equal(host.failure, undefined);
      assert.equal(host.tickPeriodMs, 1000, "tick period = pollMs");
      assert.equal(cp.requests.length, 1, "first poll goes out at configure time");

      const before = request(host);
      assert.equal(before.action, "reply");
      assert.equal(before.localReply?.status, 503);
      assert.equal(before.localReply?.details, "mesh_config_missing");
      assert.match(before.localReply?.body ?? "", /not received/);
      assert.deepEqual(before.localReply?.headers.slice(0, 1), [[":status", "503"]]);
      assert.ok(before.localReply?.headers.some(([k, v]) => k === "content-type" && v === "text/plain"));

      await host.settle();
      assert.ok(host.logs.some((l) => l.message === 'mesh config applied, etag "v1"' && l.via === "proxy_log"));
      assert.deepEqual(request(host), { action: "continue", code: 0 });
      assert.deepEqual(host.violations, []);
    });

    it("polls every pollMs with the cluster, path, authority, bearer token and last ETag", async () => {
      const cp = new ControlPlane().reply(config('"v1"'), { status: 304 }, config('"v2"'));
      const host = await start(filter, cp);
      await host.settle();
      await host.tick(999);
      assert.equal(cp.requests.length, 1, "no poll before the period elapses");
      await host.tick(1);
      await host.tick(1000);
      await host.tick(1000);
      assert.equal(cp.requests.length, 4);
      const first = cp.requests[0];
      assert.equal(first.cluster, CONTROL_CLUSTER);
      assert.equal(cp.header(0, ":method"), "GET");
      assert.equal(cp.header(0, ":path"), "/mesh/v1/proxy/default/reviews/filter-config");
      assert.equal(cp.header(0, ":authority"), "mesh.example");
      assert.equal(cp.header(0, "authorization"), "Bearer t0ken");
      assert.equal(cp.header(0, "if-none-match"), undefined, "no ETag yet");
      assert.equal(cp.header(1, "if-none-match"), '"v1"');
      assert.equal(cp.header(2, "if-none-match"), '"v1"', "304 keeps the ETag");
      assert.equal(cp.header(3, "if-none-match"), '"v2"');
      assert.deepEqual(cp.requests.map((r) => r.at - 1_700_000_000_000), [0, 1000, 2000, 3000]);
      assert.ok(first.timeoutMs > 0 && first.timeoutMs <= 1000);
    });

    it("keeps the last good config on bad JSON, 5xx, reset and timeout", async () => {
      const cp = new ControlPlane().reply(
        config('"v1"'),
        { status: 200, headers: { etag: '"bad"' }, body: '{"version": ' },
        { status: 500, body: "boom" },
        { failure: "reset" },
        { failure: "timeout" },
        { status: 200, headers: { etag: '"arr"' }, body: "[1,2]" },
      );
      const host = await start(filter, cp);
      await host.settle();
      for (let i = 0; i < 5; i++) {
        await host.tick(1000);
        assert.equal(request(host).action, "continue", `after bad answer ${i + 1}`);
      }
      await host.tick(1000);
      assert.deepEqual(cp.requests.slice(1).map((_, i) => cp.header(i + 1, "if-none-match")), Array(6).fill('"v1"'));
      const warnings = host.logs.filter((l) => l.level === "warn").map((l) => l.message);
      assert.equal(warnings.length, 5);
      assert.match(warnings[0], /not valid JSON; keeping config "v1"/);
      assert.match(warnings[1], /HTTP 500; keeping config "v1"/);
      assert.match(warnings[2], /reset or timeout/);
      assert.match(warnings[4], /"arr" rejected/);
    });

    it("stays closed while the control plane fails before any good config", async () => {
      const cp = new ControlPlane().reply({ status: 503 }, { failure: "timeout" }, { status: 200, body: "not json" });
      const host = await start(filter, cp);
      await host.settle();
      await host.tick(2000);
      assert.equal(cp.requests.length, 3);
      assert.equal(request(host).localReply?.status, 503);
      await host.tick(1000);
      assert.equal(request(host).localReply?.status, 503, "304 with no config is still no config");
    });

    it("with failOpen, requests pass before the first config", async () => {
      const cp = new ControlPlane();
      const host = await start(filter, cp, { failOpen: true });
      assert.deepEqual(request(host), { action: "continue", code: 0 });
    });

    it("does not stack polls while one is in flight", async () => {
      let answer!: (r: HttpCallResult) => void;
      const slow = new Promise<HttpCallResult>((resolve) => (answer = resolve));
      const cp = new ControlPlane().reply(slow);
      const host = await start(filter, cp);
      await host.tick(3000, { settle: false });
      assert.equal(cp.requests.length, 1);
      answer(config('"late"'));
      await host.settle();
      assert.equal(request(host).action, "continue");
      await host.tick(1000);
      assert.equal(cp.requests.length, 2);
      assert.equal(cp.header(1, "if-none-match"), '"late"');
    });

    it("an invalid plugin configuration fails the VM (Envoy: 503 wasm_fail_stream, or skip when fail_open)", async () => {
      for (const bad of ['{"cluster":"c"}', "not json", JSON.stringify({ cluster: "c", authority: "a", path: "/p", pollMs: "5" })]) {
        const host = await ProxyWasmHost.load(filterModule(filter), { pluginConfig: bad, now: 0 });
        assert.equal(host.failure?.during, "proxy_on_configure", bad);
        assert.ok(host.logs.some((l) => l.level === "error" && /mesh plugin configuration/.test(l.message)), bad);
        const r = request(host);
        assert.equal(r.action, "reply");
        assert.equal(r.failed, true);
        assert.deepEqual(r.localReply && [r.localReply.status, r.localReply.details], [503, "wasm_fail_stream"]);
      }
      const open = await ProxyWasmHost.load(filterModule(filter), { pluginConfig: "{}", failOpen: true });
      assert.deepEqual(request(open), { action: "continue", code: undefined, skipped: true });
    });

    it("a poll to an unknown cluster is not sent and is retried on the next tick", async () => {
      const cp = new ControlPlane().reply(config('"v1"'));
      const host = await ProxyWasmHost.load(filterModule(filter), { pluginConfig: pluginConfig({ cluster: "nowhere" }), onHttpCall: cp.handler, clusters: [CONTROL_CLUSTER] });
      await host.tick(2000);
      assert.equal(cp.requests.length, 0);
      assert.equal(host.logs.filter((l) => /poll not sent: proxy_http_call returned 2/.test(l.message)).length, 3);
      assert.equal(request(host).localReply?.status, 503);
    });
  });
}
