import { test } from "node:test";
import assert from "node:assert/strict";
import { type Doc, expectError, load, sampleFiles as files, specErrorsOf, validate } from "./schema-support.ts";

function assertValid(file: string, doc: Doc): void {
  const errors = validate(doc);
  assert.deepEqual(errors, [], `${file} ${doc.kind}/${doc.metadata?.name} should be valid`);
}

test("security/minimal-valid objects are valid", () => {
  const list = files("security/minimal-valid/", /\.yaml$/);
  assert.equal(list.length, 6);
  for (const f of list) for (const doc of load(f)) assertValid(f, doc);
});

test("validation/crds/*-valid.yaml security objects are valid", () => {
  for (const f of ["authz-valid.yaml", "peerauth-valid.yaml", "reqauth-valid.yaml"])
    for (const doc of load(`validation/crds/${f}`)) assertValid(f, doc);
});

test("authz-envoy-rbac and ambient-ztunnel-rbac inputs are valid", () => {
  const list = [
    ...files("security/authz-envoy-rbac/http/", /-in\.yaml$/),
    ...files("security/authz-envoy-rbac/tcp/", /-in\.yaml$/),
    ...files("security/ambient-ztunnel-rbac/", /-in\.yaml$/),
  ];
  // None of these inputs is deliberately invalid: the builder/ztunnel tests feed them to translators,
  // never to the validator expecting an error (custom-bad-multiple-providers is a *translation* error:
  // two CUSTOM policies naming different providers on one workload, each valid on its own).
  assert.ok(list.length >= 40, `found ${list.length} inputs`);
  let n = 0;
  for (const f of list)
    for (const doc of load(f)) {
      assertValid(f, doc);
      n++;
    }
  assert.ok(n >= 70);
});

// Where each upstream invalid document must be reported (by metadata.name).
const INVALID_AT: Record<string, string> = {
  "service-account-and-namespace": "spec.rules[0].from[0].source.serviceAccounts",
  "service-account-and-namespace-principal": "spec.rules[0].from[0].source.serviceAccounts",
  "bad-mode": "spec.mtls.mode",
  "bad-port": "spec.portLevelMtls.acd",
  "port-level-global": "spec.portLevelMtls",
  "empty-port-level": "spec.portLevelMtls",
  "zero-port": "spec.portLevelMtls.0",
  "high-port": "spec.portLevelMtls.42949672",
  "multi-refs": "spec.targetRefs",
  "ref-and-selector": "spec.targetRef",
  "bad-target-name": "spec.targetRef.name",
  "bad-target-namespace": "spec.targetRef.namespace",
  "bad-target-group": "spec.targetRef.group",
  "bad-target-kind": "spec.targetRef.kind",
  "no-issuer": "spec.jwtRules[0]",
  "empty-aud": "spec.jwtRules[0].audiences[0]",
  "invalid-jwks": "spec.jwtRules[0].jwksUri",
  "invalid-from-headers-no-name": "spec.jwtRules[0].fromHeaders[0].name",
  "invalid-from-headers-empty-name": "spec.jwtRules[0].fromHeaders[0].name",
  "invalid-from-params": "spec.jwtRules[0].fromParams[0]",
  "invalid-from-cookies": "spec.jwtRules[0].fromCookies[0]",
  "invalid-claim-to-header-unset": "spec.jwtRules[0].outputClaimToHeaders[0]",
  "invalid-claim-to-header-claim-empty": "spec.jwtRules[0].outputClaimToHeaders[0].claim",
  "invalid-claim-to-header-header-empty": "spec.jwtRules[0].outputClaimToHeaders[0].header",
  "invalid-claim-to-header-bad-header": "spec.jwtRules[0].outputClaimToHeaders[0].header",
  "bad-timeout": "spec.jwtRules[0].timeout",
  "invalid-space-delimited-claims": "spec.jwtRules[0].spaceDelimitedClaims[0]",
  "invalid-presence-value": "spec.jwtRules[0].presence",
};

test("every document in validation/crds/*-invalid.yaml (security) is rejected, at the right field", () => {
  let n = 0;
  for (const f of ["authz-invalid.yaml", "peerauth-invalid.yaml", "reqauth-invalid.yaml"]) {
    const docs = load(`validation/crds/${f}`);
    assert.ok(docs.length > 0);
    for (const { _err, ...rest } of docs) {
      const doc = rest as Doc;
      const errors = validate(doc);
      assert.ok(errors.length > 0, `${f} ${doc.metadata.name} (expected: ${String(_err)}) should be rejected`);
      const field = INVALID_AT[doc.metadata.name];
      assert.ok(field, `no expected field recorded for ${doc.metadata.name}`);
      assert.ok(
        errors.some((e) => e.field === field),
        `${doc.metadata.name}: expected an error at ${field}, got ${JSON.stringify(errors)}`,
      );
      n++;
    }
  }
  assert.equal(n, Object.keys(INVALID_AT).length);
});

// ---- hand-made mistakes, each checked for its field path

const errorsOf = specErrorsOf({ group: "security.istio.io", namespace: "foo" });

const selector = { matchLabels: { app: "httpbin" } };

test("PeerAuthentication: bad mtls mode → spec.mtls.mode", () => {
  const errors = errorsOf("PeerAuthentication", { mtls: { mode: "STRIKT" } });
  expectError(errors, "spec.mtls.mode", "FieldValueNotSupported", /"STRICT"/);
  assert.equal(errors.length, 1);
});

test("PeerAuthentication: portLevelMtls without selector → spec.portLevelMtls", () => {
  const errors = errorsOf("PeerAuthentication", { portLevelMtls: { "8080": { mode: "STRICT" } } });
  expectError(errors, "spec.portLevelMtls", "FieldValueInvalid", /requires selector/);
  assert.equal(errors.length, 1);
  // An empty selector counts as no selector.
  expectError(errorsOf("PeerAuthentication", { selector: {}, portLevelMtls: { "80": {} } }), "spec.portLevelMtls");
});

test("PeerAuthentication: port key out of range → spec.portLevelMtls.<port>", () => {
  const errors = errorsOf("PeerAuthentication", { selector, portLevelMtls: { "70000": { mode: "STRICT" } } });
  expectError(errors, "spec.portLevelMtls.70000", "FieldValueInvalid", /1-65535/);
  assert.equal(errors.length, 1);
});

test("AuthorizationPolicy: source.principal (singular) → unknown field with a hint toward principals", () => {
  const errors = errorsOf("AuthorizationPolicy", {
    selector,
    rules: [{ from: [{ source: { principal: ["cluster.local/ns/default/sa/sleep"] } }] }],
  });
  const e = expectError(errors, "spec.rules[0].from[0].source.principal", "FieldValueUnknown");
  assert.match(e.message, /principals/);
});

test("AuthorizationPolicy: CUSTOM without provider → spec.provider", () => {
  const errors = errorsOf("AuthorizationPolicy", { selector, action: "CUSTOM", rules: [{}] });
  expectError(errors, "spec.provider", "FieldValueInvalid", /provider\.name/);
  assert.equal(errors.length, 1);
  expectError(errorsOf("AuthorizationPolicy", { action: "CUSTOM", provider: {}, rules: [{}] }), "spec.provider.name");
  // and a provider with another action
  expectError(
    errorsOf("AuthorizationPolicy", { action: "DENY", provider: { name: "ext" }, rules: [{}] }),
    "spec.provider",
    "FieldValueInvalid",
    /only be used with the CUSTOM action/,
  );
});

test("AuthorizationPolicy: bad action → spec.action", () => {
  expectError(errorsOf("AuthorizationPolicy", { action: "REJECT" }), "spec.action", "FieldValueNotSupported");
});

test("AuthorizationPolicy: bad ipBlock → spec.rules[0].from[0].source.ipBlocks[1]", () => {
  const errors = errorsOf("AuthorizationPolicy", {
    rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8", "10.0.0.300/24"] } }] }],
  });
  expectError(errors, "spec.rules[0].from[0].source.ipBlocks[1]", "FieldValueInvalid", /CIDR/);
  assert.equal(errors.length, 1);
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ from: [{ source: { notRemoteIpBlocks: ["1.2.3"] } }] }] }),
    "spec.rules[0].from[0].source.notRemoteIpBlocks[0]",
  );
});

test("AuthorizationPolicy: selector and targetRefs are exclusive → spec.targetRefs", () => {
  const errors = errorsOf("AuthorizationPolicy", {
    selector,
    targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" }],
  });
  expectError(errors, "spec.targetRefs", "FieldValueInvalid", /only one of targetRefs or selector/);
  assert.equal(errors.length, 1);
});

test("AuthorizationPolicy: empty from, empty source, empty principal, bad port, unknown when key", () => {
  expectError(errorsOf("AuthorizationPolicy", { rules: [{ from: [] }] }), "spec.rules[0].from", undefined, /empty/);
  expectError(errorsOf("AuthorizationPolicy", { rules: [{ from: [{ source: {} }] }] }), "spec.rules[0].from[0].source");
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ from: [{ source: { principals: ["a", ""] } }] }] }),
    "spec.rules[0].from[0].source.principals[1]",
  );
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ to: [{ operation: { ports: ["80", "http"] } }] }] }),
    "spec.rules[0].to[0].operation.ports[1]",
  );
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ when: [{ key: "request.header[x]", values: ["a"] }] }] }),
    "spec.rules[0].when[0].key",
    "FieldValueInvalid",
    /unknown attribute/,
  );
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ when: [{ key: "request.headers[]", values: ["a"] }] }] }),
    "spec.rules[0].when[0].key",
  );
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ when: [{ key: "destination.port", values: ["99999"] }] }] }),
    "spec.rules[0].when[0].values[0]",
  );
  expectError(
    errorsOf("AuthorizationPolicy", { rules: [{ when: [{ key: "source.ip" }] }] }),
    "spec.rules[0].when[0].values",
  );
  // "to" without an operation: the required field is named.
  expectError(errorsOf("AuthorizationPolicy", { rules: [{ to: [{}] }] }), "spec.rules[0].to[0].operation", "FieldValueRequired");
});

test("AuthorizationPolicy: DENY without rules → spec.rules", () => {
  expectError(errorsOf("AuthorizationPolicy", { action: "DENY", selector }), "spec.rules", undefined, /never be triggered/);
});

test("RequestAuthentication: jwks and jwksUri together, bad jwksUri, header without name, neither issuer nor jwksUri", () => {
  expectError(
    errorsOf("RequestAuthentication", {
      jwtRules: [{ issuer: "a", jwksUri: "https://a/jwks.json", jwks: '{"keys":[]}' }],
    }),
    "spec.jwtRules[0].jwks",
    undefined,
    /only one of jwks or jwksUri/,
  );
  expectError(errorsOf("RequestAuthentication", { jwtRules: [{ issuer: "a", jwks: "{keys: []" }] }), "spec.jwtRules[0].jwks");
  expectError(
    errorsOf("RequestAuthentication", { jwtRules: [{ issuer: "a", jwksUri: "ftp://a/jwks.json" }] }),
    "spec.jwtRules[0].jwksUri",
  );
  expectError(
    errorsOf("RequestAuthentication", { jwtRules: [{ issuer: "a", fromHeaders: [{ prefix: "Bearer " }] }] }),
    "spec.jwtRules[0].fromHeaders[0].name",
    "FieldValueRequired",
  );
  // Istio's rule: an issuer or a jwksUri (a jwksUri alone takes tokens of any issuer).
  expectError(errorsOf("RequestAuthentication", { jwtRules: [{ audiences: ["a"] }] }), "spec.jwtRules[0].issuer", undefined, /issuer or jwksUri must be non-empty string/);
  assert.deepEqual(errorsOf("RequestAuthentication", { jwtRules: [{ jwksUri: "https://a/" }] }), []);
  expectError(
    errorsOf("RequestAuthentication", { targetRef: { kind: "Service", name: "a", namespace: "other" } }),
    "spec.targetRef.namespace",
  );
  expectError(
    errorsOf("RequestAuthentication", { targetRef: { kind: "Deployment", group: "apps", name: "a" } }),
    "spec.targetRef.kind",
  );
});
