import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import {
  SAMPLES,
  assertAllValid as assertValidDocs,
  expectError,
  inGroups,
  sampleFiles as yamlFiles,
  specErrorsOf,
} from "./schema-support.ts";

const GROUP = "gateway.networking.k8s.io";

/** Only this file's kinds, in the Gateway API group (an Istio networking Gateway is not ours). */
const ours = inGroups(GROUP);

/** How many of the documents in `list` are ours; each must be valid. */
function assertAllValid(list: string[]): number {
  return Object.values(assertValidDocs(list, ours)).reduce((a, b) => a + b, 0);
}

test("bookinfo/gateway-api Gateways and HTTPRoutes are valid", () => {
  assert.ok(assertAllValid(yamlFiles("bookinfo/gateway-api/")) >= 6);
});

test("more-samples/**/gateway-api Gateways and HTTPRoutes are valid (TCPRoutes skipped)", () => {
  const dirs = readdirSync(new URL("more-samples/", SAMPLES), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `more-samples/${d.name}/gateway-api/`)
    .filter((d) => {
      try {
        readdirSync(new URL(d, SAMPLES));
        return true;
      } catch {
        return false;
      }
    });
  assert.ok(dirs.length >= 3);
  assert.ok(assertAllValid(dirs.flatMap((d) => yamlFiles(d))) >= 5);
});

test("gateway-api-conversion inputs (Istio's Gateway API translation tests) are valid", () => {
  // invalid.yaml is invalid for Istio's controller (unresolvable references, unsupported addresses),
  // not structurally: the API server accepts every object in it, and so do we.
  const inputs = yamlFiles("gateway-api-conversion/", /^[a-z-]+\.yaml$/);
  assert.ok(assertAllValid(inputs) >= 50);
});

// ---- hand-made mistakes

const errorsOf = specErrorsOf({ group: GROUP });

const route = (rule: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  parentRefs: [{ name: "gw" }],
  rules: [{ backendRefs: [{ name: "svc", port: 80 }], ...rule }],
  ...extra,
});

test("HTTPRoute: path value not starting with '/' → spec.rules[0].matches[0].path.value", () => {
  const errors = errorsOf("HTTPRoute", route({ matches: [{ path: { type: "PathPrefix", value: "api" } }] }));
  expectError(errors, "spec.rules[0].matches[0].path.value", "FieldValueInvalid", /start(ing)? with '\/'/);
  assert.equal(errors.length, 1);
  // type defaults to PathPrefix, so the rule applies without it too; a regex need not start with '/'.
  expectError(errorsOf("HTTPRoute", route({ matches: [{ path: { value: "x" } }] })), "spec.rules[0].matches[0].path.value");
  assert.deepEqual(errorsOf("HTTPRoute", route({ matches: [{ path: { type: "RegularExpression", value: ".*/v1" } }] })), []);
});

test("HTTPRoute: weight -1 → spec.rules[0].backendRefs[0].weight", () => {
  const errors = errorsOf("HTTPRoute", {
    parentRefs: [{ name: "gw" }],
    rules: [{ backendRefs: [{ name: "a", port: 80, weight: -1 }] }],
  });
  expectError(errors, "spec.rules[0].backendRefs[0].weight", "FieldValueInvalid");
  assert.equal(errors.length, 1);
  expectError(
    errorsOf("HTTPRoute", { rules: [{ backendRefs: [{ name: "a", port: 80, weight: 1_000_001 }] }] }),
    "spec.rules[0].backendRefs[0].weight",
  );
});

test("HTTPRoute: a Service backendRef without port → spec.rules[0].backendRefs[0].port", () => {
  const errors = errorsOf("HTTPRoute", { rules: [{ backendRefs: [{ name: "a" }] }] });
  expectError(errors, "spec.rules[0].backendRefs[0].port", undefined, /port for Service/);
  // another kind needs no port
  assert.deepEqual(errorsOf("HTTPRoute", { rules: [{ backendRefs: [{ name: "a", group: "networking.istio.io", kind: "Hostname" }] }] }), []);
});

test("HTTPRoute: filter type without its config, and config of another type", () => {
  expectError(
    errorsOf("HTTPRoute", route({ filters: [{ type: "RequestHeaderModifier" }] })),
    "spec.rules[0].filters[0].requestHeaderModifier",
    undefined,
    /must be specified/,
  );
  expectError(
    errorsOf("HTTPRoute", route({ filters: [{ type: "URLRewrite", requestRedirect: { statusCode: 301 } }] })),
    "spec.rules[0].filters[0].requestRedirect",
    undefined,
    /must be nil/,
  );
  expectError(
    errorsOf("HTTPRoute", route({ filters: [{ type: "Rewrite" }] })),
    "spec.rules[0].filters[0].type",
    "FieldValueNotSupported",
  );
  expectError(
    errorsOf("HTTPRoute", {
      rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { statusCode: 305 } }] }],
    }),
    "spec.rules[0].filters[0].requestRedirect.statusCode",
  );
});

test("HTTPRoute: backendRequest timeout longer than request → spec.rules[0].timeouts.backendRequest", () => {
  expectError(
    errorsOf("HTTPRoute", route({ timeouts: { request: "10s", backendRequest: "1m" } })),
    "spec.rules[0].timeouts.backendRequest",
  );
  expectError(errorsOf("HTTPRoute", route({ timeouts: { request: "10 seconds" } })), "spec.rules[0].timeouts.request");
});

test("HTTPRoute: misc structure — bad method, bad hostname, unknown field with hint, duplicate parentRef", () => {
  expectError(errorsOf("HTTPRoute", route({ matches: [{ method: "get" }] })), "spec.rules[0].matches[0].method", "FieldValueNotSupported");
  expectError(errorsOf("HTTPRoute", route({}, { hostnames: ["Foo.example.com"] })), "spec.hostnames[0]");
  const unknown = expectError(
    errorsOf("HTTPRoute", { rules: [{ backendRef: [{ name: "a", port: 80 }] }] }),
    "spec.rules[0].backendRef",
    "FieldValueUnknown",
  );
  assert.match(unknown.message, /backendRefs/);
  expectError(errorsOf("HTTPRoute", route({}, { parentRefs: [{ name: "gw" }, { name: "gw" }] })), "spec.parentRefs[1]", undefined, /unique/);
  expectError(
    errorsOf("HTTPRoute", route({ matches: [{ headers: [{ name: "x-a", value: "1" }, { name: "x-a", value: "2" }] }] })),
    "spec.rules[0].matches[0].headers[1].name",
    undefined,
    /duplicate/i,
  );
});

test("Gateway: duplicate listener name → spec.listeners[1].name", () => {
  const errors = errorsOf("Gateway", {
    gatewayClassName: "istio",
    listeners: [
      { name: "http", port: 80, protocol: "HTTP" },
      { name: "http", port: 8080, protocol: "HTTP" },
    ],
  });
  expectError(errors, "spec.listeners[1].name", "FieldValueInvalid", /duplicate/i);
  assert.equal(errors.length, 1);
});

test("Gateway: gatewayClassName required, tls on HTTP, HTTPS without certificates, bad port, bad address", () => {
  expectError(errorsOf("Gateway", { listeners: [{ name: "a", port: 80, protocol: "HTTP" }] }), "spec.gatewayClassName", "FieldValueRequired");
  expectError(
    errorsOf("Gateway", { gatewayClassName: "istio", listeners: [{ name: "a", port: 80, protocol: "HTTP", tls: { mode: "Passthrough" } }] }),
    "spec.listeners[0].tls",
  );
  expectError(
    errorsOf("Gateway", { gatewayClassName: "istio", listeners: [{ name: "a", port: 443, protocol: "HTTPS", tls: {} }] }),
    "spec.listeners[0].tls.certificateRefs",
  );
  expectError(
    errorsOf("Gateway", { gatewayClassName: "istio", listeners: [{ name: "a", port: 0, protocol: "HTTP" }] }),
    "spec.listeners[0].port",
  );
  expectError(
    errorsOf("Gateway", {
      gatewayClassName: "istio",
      addresses: [{ value: "10.0.0.300" }],
      listeners: [{ name: "a", port: 80, protocol: "HTTP" }],
    }),
    "spec.addresses[0].value",
  );
  expectError(
    errorsOf("Gateway", {
      gatewayClassName: "istio",
      listeners: [{ name: "a", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Other" } } }],
    }),
    "spec.listeners[0].allowedRoutes.namespaces.from",
    "FieldValueNotSupported",
  );
  expectError(errorsOf("Gateway", { gatewayClassName: "istio", listeners: [] }), "spec.listeners");
});

test("GatewayClass: controllerName must be domain-prefixed", () => {
  assert.deepEqual(errorsOf("GatewayClass", { controllerName: "istio.io/gateway-controller" }), []);
  expectError(errorsOf("GatewayClass", { controllerName: "istio" }), "spec.controllerName");
  expectError(errorsOf("GatewayClass", {}), "spec.controllerName", "FieldValueRequired");
});

test("ReferenceGrant: from needs group, kind and namespace; to needs group and kind; the name is optional", () => {
  const grant = { from: [{ group: GROUP, kind: "HTTPRoute", namespace: "web" }], to: [{ group: "", kind: "Service" }] };
  assert.deepEqual(errorsOf("ReferenceGrant", grant), []);
  assert.deepEqual(errorsOf("ReferenceGrant", { ...grant, to: [{ group: "", kind: "Secret", name: "cert" }] }), []);
  expectError(errorsOf("ReferenceGrant", { ...grant, from: [] }), "spec.from");
  expectError(errorsOf("ReferenceGrant", { ...grant, from: [{ group: GROUP, kind: "HTTPRoute" }] }), "spec.from[0].namespace", "FieldValueRequired");
  expectError(errorsOf("ReferenceGrant", { ...grant, to: [{ kind: "Service" }] }), "spec.to[0].group", "FieldValueRequired");
  expectError(errorsOf("ReferenceGrant", { ...grant, from: [{ group: GROUP, kind: "HTTPRoute", namespace: "Web" }] }), "spec.from[0].namespace");
});
