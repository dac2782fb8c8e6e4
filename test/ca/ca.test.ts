// The mesh CA in process: CSRs signed by the workload's own key → certificates chaining to the
// root with the SPIFFE SAN and a 24 h validity, checked with Node's crypto.X509Certificate.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { CaError, generateRoot, MeshCa, type RootMaterial } from "../../control/ca/ca.ts";
import { csrFor } from "./support.ts";

let material: RootMaterial;
let ca: MeshCa;

before(async () => {
  material = await generateRoot();
  ca = await MeshCa.load(material);
});

test("a CSR for the token's own identity → a 24 h leaf chaining to the root, with the SPIFFE SAN", async () => {
  const id = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews";
  const out = await ca.sign(await csrFor([{ type: "url", value: id }]), { namespace: "default", serviceAccount: "bookinfo-reviews" }, 86400);
  const leaf = new X509Certificate(out.certChain[0]);
  const root = new X509Certificate(out.root);
  assert.ok(leaf.checkIssued(root), "issued by the root");
  assert.ok(leaf.verify(root.publicKey), "signed by the root's key");
  assert.equal(root.ca, true);
  assert.equal(leaf.ca, false);
  assert.equal(leaf.subjectAltName, `URI:${id}`);
  assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
  assert.ok(Math.abs(lifetime - (86400 + 60) * 1000) < 2000, `validity ${lifetime} ms`);
  assert.ok(Date.parse(leaf.validTo) - Date.now() <= 86400_000 + 1000);
  assert.deepEqual(out.trustBundle, [out.root]);
});

test("a CSR without SANs is issued for the token's identity", async () => {
  const out = await ca.sign(await csrFor([]), { namespace: "shop", serviceAccount: "cart" });
  assert.equal(new X509Certificate(out.certChain[0]).subjectAltName, "URI:spiffe://cluster.local/ns/shop/sa/cart");
});

test("a CSR for another identity → 403; malformed or unsupported → 400", async () => {
  const other = await csrFor([{ type: "url", value: "spiffe://cluster.local/ns/default/sa/admin" }]);
  await assert.rejects(ca.sign(other, { namespace: "default", serviceAccount: "bookinfo-reviews" }), (e: CaError) => e.code === 403 && /ns\/default\/sa\/admin/.test(e.message));
  const dns = await csrFor([{ type: "dns", value: "evil.example.com" }]);
  await assert.rejects(ca.sign(dns, { namespace: "default", serviceAccount: "x" }), (e: CaError) => e.code === 403);
  await assert.rejects(ca.sign("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", { namespace: "d", serviceAccount: "x" }), (e: CaError) => e.code === 400);
  await assert.rejects(ca.sign("not a csr", { namespace: "d", serviceAccount: "x" }), (e: CaError) => e.code === 400);
  await assert.rejects(ca.sign(await csrFor([]), { namespace: "d", serviceAccount: "x" }, 7 * 86400), (e: CaError) => e.code === 400 && /validitySeconds/.test(e.message));
});

test("a tampered CSR (signature no longer verifies) → 400", async () => {
  const pem = await csrFor([]);
  const csr = new x509.Pkcs10CertificateRequest(pem);
  const raw = new Uint8Array(csr.rawData);
  raw[raw.length - 5] ^= 0xff;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(raw).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(ca.sign(tampered, { namespace: "d", serviceAccount: "x" }), (e: CaError) => e.code === 400);
});

test("root rotation: the previous root stays in the trust bundle during the overlap", async () => {
  const next = await generateRoot();
  const rotated = await MeshCa.load(next, material.certPem);
  const out = await rotated.sign(await csrFor([]), { namespace: "d", serviceAccount: "x" });
  assert.equal(out.trustBundle.length, 2);
  assert.equal(out.root, out.trustBundle[0]);
  assert.ok(new X509Certificate(out.certChain[0]).verify(new X509Certificate(next.certPem).publicKey));
  // A peer still holding a certificate from the old root verifies against the bundle.
  const old = await ca.sign(await csrFor([]), { namespace: "d", serviceAccount: "y" });
  assert.ok(out.trustBundle.some((r) => new X509Certificate(old.certChain[0]).verify(new X509Certificate(r).publicKey)));
});

test("openssl's CSRs (what the cert agent sends) are accepted", { skip: !hasOpenssl() && "openssl not on PATH" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-ca-"));
  try {
    execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", join(dir, "key.pem")]);
    execFileSync("openssl", ["req", "-new", "-key", join(dir, "key.pem"), "-subj", "/O=cluster.local", "-addext", "subjectAltName=URI:spiffe://cluster.local/ns/default/sa/web", "-out", join(dir, "csr.pem")]);
    const out = await ca.sign(readFileSync(join(dir, "csr.pem"), "utf8"), { namespace: "default", serviceAccount: "web" });
    assert.equal(new X509Certificate(out.certChain[0]).subjectAltName, "URI:spiffe://cluster.local/ns/default/sa/web");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
}
