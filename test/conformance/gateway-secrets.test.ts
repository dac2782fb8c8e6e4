// Gateway API conformance for ReferenceGrant as status shows it: the vendored GatewaySecret* and
// HTTPRoute*ReferenceGrant manifests, with the Secret the upstream suite creates at start-up
// (suite-secrets.ts), judged as their Go tests judge the listener and route conditions.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";
import { withGatewayApiStatus } from "../../control/xds/gateway-status.ts";
import { objectsFromYaml } from "../support/mesh-fixtures.ts";
import { tlsSecretYaml } from "./suite-secrets.ts";

const DIR = new URL("./gateway-api/", import.meta.url).pathname;
const pem = (file: string) => readFileSync(new URL(`../mesh/tls/${file}`, import.meta.url), "utf8");
const CERTIFICATE = tlsSecretYaml("certificate", "gateway-conformance-web-backend");

type Condition = { type: string; status: string; reason: string; message: string };
type Status = { listeners?: { name: string; attachedRoutes: number; supportedKinds: unknown[]; conditions: Condition[] }[]; parents?: { conditions: Condition[] }[] };

function statusOf(manifest: string, kind: string, name: string, extra = CERTIFICATE): Status {
  const objects = objectsFromYaml(`${readFileSync(`${DIR}base.yaml`, "utf8")}\n---\n${extra}\n---\n${readFileSync(DIR + manifest, "utf8")}`);
  const obj = objects.find((o: KubeObject) => o.kind === kind && o.metadata.name === name);
  assert.ok(obj, `${kind} ${name}`);
  return withGatewayApiStatus(obj, objects).status as Status;
}
const listenerCondition = (s: Status, type: string) => s.listeners?.[0].conditions.find((c) => c.type === type);
const routeCondition = (s: Status, type: string) => s.parents?.[0].conditions.find((c) => c.type === type);

describe("conformance: ReferenceGrant for a listener's certificateRefs", () => {
  for (const name of ["gateway-secret-missing-reference-grant", "gateway-secret-invalid-reference-grant"])
    test(`${name}: listener ResolvedRefs False, RefNotPermitted; not programmed`, () => {
      const s = statusOf(`${name}.yaml`, "Gateway", name);
      assert.deepEqual(s.listeners?.map((l) => [l.name, l.attachedRoutes, l.supportedKinds]), [["https", 0, [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }]]]);
      assert.deepEqual([listenerCondition(s, "ResolvedRefs")?.status, listenerCondition(s, "ResolvedRefs")?.reason], ["False", "RefNotPermitted"]);
      assert.equal(listenerCondition(s, "Programmed")?.status, "False");
    });
  for (const name of ["gateway-secret-reference-grant-specific", "gateway-secret-reference-grant-all-in-namespace"])
    test(`${name}: listener ResolvedRefs True and Programmed True`, () => {
      const s = statusOf(`${name}.yaml`, "Gateway", name);
      assert.deepEqual([listenerCondition(s, "Programmed")?.status, listenerCondition(s, "Programmed")?.reason], ["True", "Programmed"]);
      assert.equal(listenerCondition(s, "ResolvedRefs")?.status, "True");
      assert.equal(listenerCondition(s, "Accepted")?.status, "True");
    });
  test("a granted Secret that is missing or whose key is not its certificate's: InvalidCertificateRef", () => {
    const missing = statusOf("gateway-secret-reference-grant-specific.yaml", "Gateway", "gateway-secret-reference-grant-specific", "");
    assert.deepEqual([listenerCondition(missing, "ResolvedRefs")?.reason, listenerCondition(missing, "ResolvedRefs")?.message], ["InvalidCertificateRef", "Secret gateway-conformance-web-backend/certificate not found"]);
    const mismatched = tlsSecretYaml("certificate", "gateway-conformance-web-backend", pem("bookinfo.crt"), pem("other.key"));
    const bad = statusOf("gateway-secret-reference-grant-specific.yaml", "Gateway", "gateway-secret-reference-grant-specific", mismatched);
    assert.deepEqual([listenerCondition(bad, "ResolvedRefs")?.status, listenerCondition(bad, "ResolvedRefs")?.reason], ["False", "InvalidCertificateRef"]);
    assert.match(listenerCondition(bad, "ResolvedRefs")!.message, /tls\.key does not match the certificate/);
    assert.equal(listenerCondition(bad, "Programmed")?.status, "False");
  });
});

describe("conformance: ReferenceGrant for an HTTPRoute's backendRefs", () => {
  test("HTTPRouteReferenceGrant: ResolvedRefs True", () => {
    assert.equal(routeCondition(statusOf("httproute-reference-grant.yaml", "HTTPRoute", "reference-grant"), "ResolvedRefs")?.status, "True");
  });
  test("HTTPRouteInvalidCrossNamespaceBackendRef / HTTPRouteInvalidReferenceGrant: Accepted, ResolvedRefs False with RefNotPermitted", () => {
    for (const [manifest, name] of [["httproute-invalid-cross-namespace-backend-ref.yaml", "invalid-cross-namespace-backend-ref"], ["httproute-invalid-reference-grant.yaml", "reference-grant"]]) {
      const s = statusOf(manifest, "HTTPRoute", name);
      assert.equal(routeCondition(s, "Accepted")?.status, "True", manifest);
      assert.deepEqual([routeCondition(s, "ResolvedRefs")?.status, routeCondition(s, "ResolvedRefs")?.reason], ["False", "RefNotPermitted"], manifest);
    }
  });
});
