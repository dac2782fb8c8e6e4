// A local certificate authority and a serving certificate (for 127.0.0.1/localhost by default), so
// kubectl can verify the dev server (kubectl only sends bearer tokens over TLS); the demo's HTTPS
// gateway gets one for its host name the same way.
import { webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import "reflect-metadata"; // @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs it
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface LocalTls {
  caCertPath: string;
  certPath: string;
  keyPath: string;
  caPem: string;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

/** Who the serving certificate is for: its common name and subject alternative names. */
export interface ServerIdentity {
  commonName: string;
  names: { type: "ip" | "dns"; value: string }[];
}

const LOCALHOST: ServerIdentity = { commonName: "127.0.0.1", names: [{ type: "ip", value: "127.0.0.1" }, { type: "dns", value: "localhost" }] };

/** Creates `<dir>/ca.pem`, `<dir>/server.pem` and `<dir>/server-key.pem` unless they exist. */
export async function ensureLocalTls(dir: string, identity: ServerIdentity = LOCALHOST): Promise<LocalTls> {
  const tls = { caCertPath: join(dir, "ca.pem"), certPath: join(dir, "server.pem"), keyPath: join(dir, "server-key.pem") };
  if (existsSync(tls.caCertPath) && existsSync(tls.certPath) && existsSync(tls.keyPath))
    return { ...tls, caPem: readFileSync(tls.caCertPath, "utf8") };

  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=edge-mesh local CA",
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    signingAlgorithm: ALG,
    keys: caKeys as CryptoKeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey as CryptoKey),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: "02",
    subject: `CN=${identity.commonName}`,
    issuer: ca.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 825 * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: serverKeys.publicKey as CryptoKey,
    signingKey: caKeys.privateKey as CryptoKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(identity.names),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  const serverKey = await webcrypto.subtle.exportKey("pkcs8", serverKeys.privateKey as unknown as webcrypto.CryptoKey);
  const caPem = ca.toString("pem") + "\n";
  writeFileSync(tls.caCertPath, caPem);
  writeFileSync(tls.certPath, server.toString("pem") + "\n");
  writeFileSync(tls.keyPath, toPem(serverKey, "PRIVATE KEY"), { mode: 0o600 });
  return { ...tls, caPem };
}
