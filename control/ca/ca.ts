// The mesh CA: signs short-lived workload certificates (ECDSA P-256 root, SPIFFE URI SAN
// spiffe://cluster.local/ns/<ns>/sa/<sa>) on a CSR signed by the workload's own key, so the
// private key never leaves the proxy. WebCrypto + @peculiar/x509; runs in the Worker and in Node.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { isDns1123Label, isDns1123Subdomain } from "../mesh/schema/meta.ts";

x509.cryptoProvider.set(crypto);

export const TRUST_DOMAIN = "cluster.local";
export const DEFAULT_VALIDITY_SECONDS = 86_400;
export const MIN_VALIDITY_SECONDS = 600;
const ROOT_VALIDITY_DAYS = 3650;
const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;

export function spiffeId(namespace: string, serviceAccount: string): string {
  return `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

export interface RootMaterial {
  /** PKCS#8 PEM of the root's private key. */
  keyPem: string;
  certPem: string;
}

export class CaError extends Error {
  constructor(
    readonly code: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

function pemBody(pem: string, label: string): ArrayBuffer {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`no ${label} PEM block`);
  const bin = atob(m[1].replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toPem(der: ArrayBuffer, label: string): string {
  let bin = "";
  for (const b of new Uint8Array(der)) bin += String.fromCharCode(b);
  const b64 = btoa(bin).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A new self-signed root (for local development, and for `npm run ca:generate`). */
export async function generateRoot(): Promise<RootMaterial> {
  const keys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=${TRUST_DOMAIN}, CN=edge-mesh root CA`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + ROOT_VALIDITY_DAYS * 86_400_000),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: toPem((await crypto.subtle.exportKey("pkcs8", keys.privateKey)) as ArrayBuffer, "PRIVATE KEY"), certPem: cert.toString("pem") + "\n" };
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface SignResult {
  certChain: string[];
  root: string;
  /** Every root a peer may present during a rotation (the current one first). */
  trustBundle: string[];
}

export class MeshCa {
  private constructor(
    private readonly key: CryptoKey,
    private readonly root: x509.X509Certificate,
    private readonly previousRoots: string[],
  ) {}

  static async load(material: RootMaterial, previousRootsPem = ""): Promise<MeshCa> {
    const key = await crypto.subtle.importKey("pkcs8", pemBody(material.keyPem, "PRIVATE KEY"), EC, false, ["sign"]);
    const root = new x509.X509Certificate(material.certPem);
    const previous = [...previousRootsPem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
    return new MeshCa(key, root, previous);
  }

  rootPem(): string {
    return this.root.toString("pem") + "\n";
  }

  trustBundle(): string[] {
    return [this.rootPem(), ...this.previousRoots];
  }

  /**
   * Signs `csrPem` for `identity` (the namespace + service account the caller's token carries).
   * The CSR must be self-signed and name no identity but that one (it may name none).
   */
  async sign(csrPem: string, identity: { namespace: string; serviceAccount: string }, validitySeconds = DEFAULT_VALIDITY_SECONDS): Promise<SignResult> {
    // Kubernetes names, so the SPIFFE ID has exactly the segments it claims (no "/", no empty or non-ASCII part).
    if (!isDns1123Label(identity.namespace)) throw new CaError(400, `namespace: ${JSON.stringify(identity.namespace)} is not a DNS-1123 label`);
    if (!isDns1123Subdomain(identity.serviceAccount)) throw new CaError(400, `serviceAccount: ${JSON.stringify(identity.serviceAccount)} is not a DNS-1123 subdomain`);
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (e) {
      throw new CaError(400, `csr: not a PEM certificate request (${e instanceof Error ? e.message : String(e)})`);
    }
    let valid = false;
    try {
      valid = await csr.verify();
    } catch {
      valid = false;
    }
    if (!valid) throw new CaError(400, "csr: the request's signature does not verify against its own public key");
    const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
    const keyOk = (alg.name === "ECDSA" && ["P-256", "P-384"].includes(alg.namedCurve ?? "")) || (alg.name === "RSASSA-PKCS1-v1_5" && (alg.modulusLength ?? 0) >= 2048);
    if (!keyOk) throw new CaError(400, "csr: the key must be ECDSA P-256/P-384 or RSA of at least 2048 bits");
    const want = spiffeId(identity.namespace, identity.serviceAccount);
    const san = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
    const asked = san?.names.toJSON() ?? [];
    const others = asked.filter((n) => !(n.type === "url" && n.value === want));
    if (others.length)
      throw new CaError(403, `csr: asks for ${others.map((n) => `${n.type}:${n.value}`).join(", ")}, but the token is for ${want}`);
    if (!Number.isInteger(validitySeconds) || validitySeconds < MIN_VALIDITY_SECONDS || validitySeconds > DEFAULT_VALIDITY_SECONDS)
      throw new CaError(400, `validitySeconds: an integer between ${MIN_VALIDITY_SECONDS} and ${DEFAULT_VALIDITY_SECONDS}`);
    const now = Date.now();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `O=${TRUST_DOMAIN}`,
      issuer: this.root.subject,
      // A minute of slack for clocks that run behind.
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + validitySeconds * 1000),
      publicKey: csr.publicKey,
      signingKey: this.key,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: want }], true),
        await x509.AuthorityKeyIdentifierExtension.create(this.root.publicKey),
      ],
    });
    return { certChain: [leaf.toString("pem") + "\n"], root: this.rootPem(), trustBundle: this.trustBundle() };
  }
}
