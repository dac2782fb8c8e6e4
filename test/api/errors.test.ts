// Bad input always gets a clear 4xx Status (never a 5xx, never a partial write), and nothing
// but /healthz answers without the admin token.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KINDS, kindForObject } from "../../control/mesh/kinds/index.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";
import { INVALID_CASES } from "./invalid-objects.ts";

const VS = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
const JSON_TYPE = { "content-type": "application/json" };
const YAML_TYPE = { "content-type": "application/yaml" };
/** Billion laughs: nine levels of nine aliases each. */
const aliasBomb = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ..."bcdefghi".split("").map((n, i) => `${n}: &${n} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`)].join("\n");
const deep = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const goodVs = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "ok" }, spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews" } }] }] } };

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
});
after(async () => {
  await w?.stop();
});

function collectionPath(obj: { apiVersion: string; kind: string }): string {
  const spec = kindForObject(obj.apiVersion, obj.kind)!;
  const prefix = spec.group ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  return `${prefix}/namespaces/default/${spec.plural}`;
}

function assertStatus(res: { status: number; json: () => any }, code: number, reason: string) {
  assert.equal(res.status, code);
  const body = res.json();
  assert.equal(body.kind, "Status");
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  assert.ok(body.message.length > 0);
  return body;
}

describe("authentication", () => {
  test("/healthz needs no token", async () => {
    const r = await w.request("/healthz", { token: null });
    assert.equal(r.status, 200);
  });
  test("no token → 401 Status", async () => {
    for (const path of ["/api", "/apis", "/version", VS, "/openapi/v3"]) assertStatus(await w.request(path, { token: null }), 401, "Unauthorized");
  });
  test("wrong token → 401, also for writes, and nothing is written", async () => {
    assertStatus(await w.request(VS, { token: `${w.token}x` }), 401, "Unauthorized");
    assertStatus(await w.request(VS, { token: "" }), 401, "Unauthorized");
    const write = await w.request(VS, { method: "POST", token: "nope", headers: JSON_TYPE, body: JSON.stringify(goodVs) });
    assertStatus(write, 401, "Unauthorized");
    assertStatus(await w.request(`${VS}/ok`), 404, "NotFound");
  });
  test("kubectl with a wrong token says it must log in", async () => {
    const r = await w.kubectl(["--token", "wrong", "get", "vs"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /You must be logged in to the server/);
  });
});

describe("garbage requests", () => {
  const cases: [string, { method: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }, number, string][] = [
    ["malformed JSON", { method: "POST", headers: JSON_TYPE, body: '{"apiVersion": "networking.istio.io/v1", kind:' }, 400, "BadRequest"],
    ["malformed YAML", { method: "POST", headers: { "content-type": "application/yaml" }, body: "kind: [VirtualService\n  - : :" }, 400, "BadRequest"],
    ["empty body", { method: "POST", headers: JSON_TYPE, body: "" }, 400, "BadRequest"],
    ["a JSON list", { method: "POST", headers: JSON_TYPE, body: "[1,2,3]" }, 400, "BadRequest"],
    ["a JSON string", { method: "POST", headers: JSON_TYPE, body: '"VirtualService"' }, 400, "BadRequest"],
    ["no kind", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ apiVersion: "networking.istio.io/v1", metadata: { name: "x" } }) }, 400, "BadRequest"],
    ["metadata not an object", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ ...goodVs, metadata: "x" }) }, 400, "BadRequest"],
    ["kind that does not match the URL", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ ...goodVs, kind: "DestinationRule" }) }, 400, "BadRequest"],
    ["unsupported content type", { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }, 415, "UnsupportedMediaType"],
    ["protobuf", { method: "POST", headers: { "content-type": "application/vnd.kubernetes.protobuf" }, body: Buffer.from([0x6b, 0x38, 0x73, 0]) }, 415, "UnsupportedMediaType"],
    ["over 1 MiB", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ ...goodVs, metadata: { name: "big", annotations: { a: "x".repeat(1100 * 1024) } } }) }, 413, "RequestEntityTooLarge"],
    ["unknown patch type", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/xml" }, body: "<a/>" }, 415, "UnsupportedMediaType"],
    ["JSON patch that is not a list", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/json-patch+json" }, body: "{}" }, 400, "BadRequest"],
    ["JSON patch with a bad op", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/json-patch+json" }, body: '[{"op":"explode","path":"/spec"}]' }, 400, "BadRequest"],
    ["JSON patch test failure", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/json-patch+json" }, body: '[{"op":"test","path":"/spec/hosts/0","value":"nope"}]' }, 400, "BadRequest"],
    ["merge patch that is a list", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/merge-patch+json" }, body: "[1]" }, 400, "BadRequest"],
    ["merge patch that renames", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/merge-patch+json" }, body: '{"metadata":{"name":"other"}}' }, 400, "BadRequest"],
    ["merge patch of a missing object", { method: "PATCH", path: `${VS}/missing`, headers: { "content-type": "application/merge-patch+json" }, body: "{}" }, 404, "NotFound"],
    ["unknown kind", { method: "GET", path: "/apis/networking.istio.io/v1/namespaces/default/frobnicators" }, 404, "NotFound"],
    ["unknown group", { method: "GET", path: "/apis/example.com/v1/namespaces/default/virtualservices" }, 404, "NotFound"],
    ["unknown version", { method: "GET", path: "/apis/networking.istio.io/v2/namespaces/default/virtualservices" }, 404, "NotFound"],
    ["subresource", { method: "GET", path: `${VS}/ok/status` }, 404, "NotFound"],
    ["path outside the API", { method: "GET", path: "/wp-admin" }, 404, "NotFound"],
    ["bad label selector", { method: "GET", path: `${VS}?labelSelector=${encodeURIComponent("app in (a")}` }, 400, "BadRequest"],
    ["unsupported field selector", { method: "GET", path: `${VS}?fieldSelector=spec.hosts%3Dx` }, 400, "BadRequest"],
    ["watch from a malformed resourceVersion", { method: "GET", path: `${VS}?watch=true&resourceVersion=abc` }, 400, "BadRequest"],
    ["bad dryRun value", { method: "POST", path: `${VS}?dryRun=Yes`, headers: JSON_TYPE, body: JSON.stringify(goodVs) }, 400, "BadRequest"],
    ["POST to an item", { method: "POST", path: `${VS}/ok`, headers: JSON_TYPE, body: JSON.stringify(goodVs) }, 405, "MethodNotAllowed"],
    ["DELETE a collection", { method: "DELETE", path: VS }, 405, "MethodNotAllowed"],
    ["cluster-scoped path for a namespaced write", { method: "POST", path: "/apis/networking.istio.io/v1/virtualservices", headers: JSON_TYPE, body: JSON.stringify(goodVs) }, 400, "BadRequest"],
    ["namespace in the body differs from the URL", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ ...goodVs, metadata: { name: "x", namespace: "kube-system" } }) }, 400, "BadRequest"],
    ["stale resourceVersion on update", { method: "PUT", path: `${VS}/ok`, headers: JSON_TYPE, body: JSON.stringify({ ...goodVs, metadata: { name: "ok", resourceVersion: "1" } }) }, 409, "Conflict"],
    ["10,000-deep JSON in a create", { method: "POST", headers: JSON_TYPE, body: `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"deep"},"spec":${deep(10_000)}}` }, 400, "BadRequest"],
    ["10,000-deep merge patch", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/merge-patch+json" }, body: `{"spec":${deep(10_000)}}` }, 400, "BadRequest"],
    ["10,000-deep JSON patch value", { method: "PATCH", path: `${VS}/ok`, headers: { "content-type": "application/json-patch+json" }, body: `[{"op":"add","path":"/metadata/labels","value":${deep(10_000)}}]` }, 400, "BadRequest"],
    ["YAML alias bomb", { method: "POST", headers: YAML_TYPE, body: `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bomb}\nspec:\n  ${aliasBomb.replaceAll("\n", "\n  ")}\n` }, 400, "BadRequest"],
    ["YAML alias to itself", { method: "POST", headers: YAML_TYPE, body: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: loop}\nspec: {hosts: [reviews]}\nstatus: &s {loop: *s}\n" }, 400, "BadRequest"],
    ["malformed URL escape", { method: "GET", path: `${VS}/%ZZ` }, 400, "BadRequest"],
    ["malformed URL escape in a write", { method: "PUT", path: `${VS}/ok%E0%A4%A`, headers: JSON_TYPE, body: JSON.stringify(goodVs) }, 400, "BadRequest"],
    ["DeleteOptions dryRun as a string", { method: "DELETE", path: `${VS}/ok`, headers: JSON_TYPE, body: JSON.stringify({ dryRun: "All" }) }, 400, "BadRequest"],
    ["DeleteOptions dryRun with an unknown value", { method: "DELETE", path: `${VS}/ok`, headers: JSON_TYPE, body: JSON.stringify({ dryRun: ["all"] }) }, 400, "BadRequest"],
    ["delete with a stale precondition", { method: "DELETE", path: `${VS}/ok`, headers: JSON_TYPE, body: JSON.stringify({ preconditions: { resourceVersion: "1" } }) }, 409, "Conflict"],
  ];

  before(async () => {
    const r = await w.request(VS, { method: "POST", headers: JSON_TYPE, body: JSON.stringify(goodVs) });
    assert.equal(r.status, 201, r.body);
    // Analysis follows a write asynchronously (as istiod's): let it settle, so the lists compared
    // below differ only if a request wrote something.
    assert.equal((await w.request("/mesh/v1/analyze")).status, 200);
  });

  for (const [name, req, code, reason] of cases)
    test(`${name} → ${code} ${reason}`, async () => {
      const before = await w.request(`${VS}`);
      const res = await w.request(req.path ?? VS, { method: req.method, headers: req.headers, body: req.body });
      assertStatus(res, code, reason);
      // Nothing was written: the list and its resourceVersion are unchanged.
      const after = await w.request(`${VS}`);
      assert.deepEqual(after.json(), before.json());
    });
});

describe("invalid objects → 422 Invalid with the field path", () => {
  assert.ok(INVALID_CASES.length >= 15);
  INVALID_CASES.forEach((c, i) =>
    test(c.name, async () => {
      const object = structuredClone(c.object);
      if (c.field !== "metadata.name") object.metadata.name = `${object.metadata.name}-${i}`;
      const res = await w.request(collectionPath(object), { method: "POST", headers: JSON_TYPE, body: JSON.stringify(object) });
      const status = assertStatus(res, 422, "Invalid");
      const cause = status.details.causes.find((x: { field: string }) => x.field === c.field);
      assert.ok(cause, `no cause at ${c.field}: ${JSON.stringify(status.details.causes)}`);
      assert.match(cause.message, c.says);
      assert.ok(status.message.includes(c.field), status.message);
      const stored = await w.request(`${collectionPath(object)}/${object.metadata.name}`);
      assert.equal(stored.status, 404, "an invalid object must not be stored");
    }),
  );

  test("kubectl prints the error readably", async () => {
    const r = await w.kubectl(["apply", "-f", "-"], { input: JSON.stringify(INVALID_CASES[0].object) });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /The VirtualService "reviews" is invalid: spec\.http\[0\]\.route\[0\]\.destination\.weight: unknown field; did you mean spec\.http\[0\]\.route\[0\]\.weight\?/,
    );
  });

  test("every kind rejects an unknown top-level spec field", async () => {
    for (const spec of KINDS.filter((k) => k.generationFields.includes("spec") && k.group !== "apps")) {
      const apiVersion = spec.group ? `${spec.group}/${spec.storageVersion}` : spec.storageVersion;
      const obj = { apiVersion, kind: spec.kind, metadata: { name: "typo" }, spec: { notAField: true } };
      const path = spec.namespaced ? collectionPath(obj) : `/apis/${apiVersion}/${spec.plural}`;
      const res = await w.request(path, { method: "POST", headers: JSON_TYPE, body: JSON.stringify(obj) });
      const status = assertStatus(res, 422, "Invalid");
      assert.ok(
        status.details.causes.some((x: { field: string }) => x.field === "spec.notAField"),
        `${spec.kind}: ${JSON.stringify(status.details.causes)}`,
      );
    }
  });
});
