// A Secret as a serving certificate: PEM certificate chain and the private key of its first
// certificate, in each key form Envoy reads; anything else is named.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";
import { checkTlsSecret } from "../../control/mesh/tls-secret.ts";

const pem = (file: string) => readFileSync(new URL(`./tls/${file}`, import.meta.url), "utf8");
const b64 = (text: string) => Buffer.from(text).toString("base64");

function secret(data: Record<string, string>, type = "kubernetes.io/tls"): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name: "cert", namespace: "istio-system" }, type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) };
}

test("a certificate with its own key is accepted, in PKCS#8, PKCS#1 and SEC1 forms", () => {
  for (const [crt, key] of [["bookinfo.crt", "bookinfo.key"], ["bookinfo.crt", "bookinfo-sec1.key"], ["rsa.crt", "rsa.key"], ["rsa.crt", "rsa-pkcs1.key"]]) {
    const verdict = checkTlsSecret(secret({ "tls.crt": pem(crt), "tls.key": pem(key) }));
    assert.equal(verdict.ok, true, `${crt} + ${key}: ${JSON.stringify(verdict)}`);
    if (verdict.ok) assert.equal(verdict.privateKey, pem(key));
  }
});

test("a key that is not the certificate's is refused, by name", () => {
  const mismatch = checkTlsSecret(secret({ "tls.crt": pem("bookinfo.crt"), "tls.key": pem("other.key") }));
  assert.deepEqual(mismatch, { ok: false, message: "Secret istio-system/cert: tls.key does not match the certificate in tls.crt" });
  const otherAlgorithm = checkTlsSecret(secret({ "tls.crt": pem("bookinfo.crt"), "tls.key": pem("rsa.key") }));
  assert.equal(otherAlgorithm.ok, false);
  assert.match(otherAlgorithm.ok ? "" : otherAlgorithm.message, /another algorithm/);
});

test("missing entries, non-PEM and garbage are refused with a reason, never thrown", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ "tls.crt": pem("bookinfo.crt") }, /has no tls\.key entry/],
    [{ "tls.key": pem("bookinfo.key") }, /has no tls\.crt entry/],
    [{ "tls.crt": "hello", "tls.key": pem("bookinfo.key") }, /tls\.crt must hold PEM CERTIFICATE blocks/],
    [{ "tls.crt": pem("bookinfo.crt"), "tls.key": pem("bookinfo.crt") }, /holds a CERTIFICATE block/],
    [{ "tls.crt": pem("bookinfo.crt"), "tls.key": pem("bookinfo.key") + pem("other.key") }, /exactly one PEM private key/],
    [{ "tls.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "tls.key": pem("bookinfo.key") }, /not a PEM certificate and key/],
  ];
  for (const [data, message] of cases) {
    const verdict = checkTlsSecret(secret(data));
    assert.equal(verdict.ok, false, JSON.stringify(data).slice(0, 80));
    assert.match(verdict.ok ? "" : verdict.message, message);
  }
});
