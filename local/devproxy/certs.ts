// Workload certificates for the dev proxy: a P-256 key made here, a CSR with the SPIFFE id as URI
// SAN, signed by the mesh CA (`POST /mesh/v1/ca/sign {csr, validitySeconds}` → `{certChain, root}`,
// authorised by the workload token), renewed at half life. This is what Istio's pilot-agent
// (and our cert agent, for Envoy) does.
//
// SEAM (LocalDevCa): while the control plane has no mesh CA (the sign endpoint answers 404), the
// dev proxy falls back to a CA held in the demo process, so mTLS, SPIFFE identities and STRICT
// mode can be exercised anyway. `issuer` in the proxy's admin dump says which one signed.
import { webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs it
import * as x509 from "@peculiar/x509";
import type { ControlPlane } from "./control-plane.ts";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
export const TRUST_DOMAIN = "cluster.local";

export const spiffeId = (namespace: string, serviceAccount: string) => `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;

export interface WorkloadCertificate {
  /** Leaf first, then intermediates (PEM). */
  certChain: string;
  keyPem: string;
  /** The mesh root(s) peers are verified against (PEM). */
  rootPem: string;
  spiffeId: string;
  notAfter: Date;
  issuer: "mesh-ca" | "local-dev-ca";
}

export interface SignResult {
  certChain: string[];
  root: string;
}

/** Something that signs CSRs for a workload. */
export interface CertificateAuthority {
  readonly name: WorkloadCertificate["issuer"];
  sign(csrPem: string, validitySeconds: number): Promise<SignResult>;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

const asPemList = (v: unknown): string[] | undefined => {
  if (typeof v === "string") return v.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((s) => s + "\n") ?? undefined;
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
  return undefined;
};

/** Thrown when the control plane has no CA endpoint (so the caller may use the seam). */
export class MeshCaUnavailable extends Error {}

/** The control plane's mesh CA. */
export class MeshCaClient implements CertificateAuthority {
  readonly name = "mesh-ca" as const;
  /** The CA has answered once: from then on a refusal is a refusal, never "no CA". */
  private seen = false;
  constructor(private readonly cp: ControlPlane) {}

  async sign(csrPem: string, validitySeconds: number): Promise<SignResult> {
    const res = await this.cp.request("/mesh/v1/ca/sign", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ csr: csrPem, validitySeconds }),
      timeoutMs: 10_000,
    });
    // No CA route: a Worker without control/ca answers 404, or 401 from the admin-token check
    // every unknown path falls through to (a workload token is no admin token).
    if (res.status === 404 || res.status === 405 || (res.status === 401 && !this.seen)) throw new MeshCaUnavailable(`the control plane has no mesh CA (HTTP ${res.status})`);
    if (res.status !== 200 && res.status !== 201) throw new Error(`mesh CA refused the CSR: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    const body = JSON.parse(res.body) as { certChain?: unknown; root?: unknown; roots?: unknown };
    const chain = asPemList(body.certChain);
    const root = typeof body.root === "string" ? body.root : asPemList(body.roots)?.join("");
    if (!chain?.length || !root) throw new Error("mesh CA answer lacks certChain or root");
    this.seen = true;
    return { certChain: chain, root };
  }
}

/** SEAM: a CA in the demo process, used only while the control plane has no mesh CA. */
export class LocalDevCa implements CertificateAuthority {
  readonly name = "local-dev-ca" as const;
  private constructor(
    private readonly keys: CryptoKeyPair,
    private readonly cert: x509.X509Certificate,
  ) {}

  static async create(): Promise<LocalDevCa> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: `O=${TRUST_DOMAIN}, CN=edge-mesh dev proxy local CA`,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 30 * 24 * 3600_000),
      signingAlgorithm: ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new LocalDevCa(keys, cert);
  }

  async sign(csrPem: string, validitySeconds: number): Promise<SignResult> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error("CSR signature does not verify");
    const raw = csr.getExtension("2.5.29.17"); // subjectAltName
    const san = raw ? new x509.SubjectAlternativeNameExtension(raw.rawData) : undefined;
    const uris = san?.names.items.filter((n) => n.type === "url").map((n) => n.value) ?? [];
    if (uris.length !== 1 || !uris[0].startsWith(`spiffe://${TRUST_DOMAIN}/ns/`)) throw new Error("the CSR must carry exactly one SPIFFE URI SAN");
    const now = Date.now();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString("hex"),
      subject: "",
      issuer: this.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + validitySeconds * 1000),
      signingAlgorithm: ALG,
      publicKey: await csr.publicKey.export(),
      signingKey: this.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: uris[0] }], true),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert, false),
      ],
    });
    return { certChain: [leaf.toString("pem") + "\n"], root: this.cert.toString("pem") + "\n" };
  }
}

/** A key, a CSR for `spiffe://cluster.local/ns/<ns>/sa/<sa>`, and the CA's signature. */
export async function issueWorkloadCertificate(ca: CertificateAuthority, namespace: string, serviceAccount: string, validitySeconds: number): Promise<WorkloadCertificate> {
  const id = spiffeId(namespace, serviceAccount);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `O=${TRUST_DOMAIN}`,
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: id }], true)],
  });
  const signed = await ca.sign(csr.toString("pem"), validitySeconds);
  const leaf = new x509.X509Certificate(signed.certChain[0]);
  const sans = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.filter((n) => n.type === "url").map((n) => n.value) ?? [];
  if (!sans.includes(id)) throw new Error(`the CA signed a certificate for ${sans.join(", ") || "no URI SAN"}, not ${id}`);
  const keyPem = toPem(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey as unknown as webcrypto.CryptoKey), "PRIVATE KEY");
  return { certChain: signed.certChain.join(""), keyPem, rootPem: signed.root, spiffeId: id, notAfter: leaf.notAfter, issuer: ca.name };
}

/** The URI SAN (SPIFFE id) of a peer certificate as Node's TLS socket reports it. */
export function peerSpiffeId(subjectaltname: string | undefined): string | undefined {
  return subjectaltname
    ?.split(/,\s*/)
    .find((s) => s.startsWith("URI:spiffe://"))
    ?.slice(4);
}
