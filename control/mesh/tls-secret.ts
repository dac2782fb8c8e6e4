// A Secret as a gateway's serving certificate: `tls.crt` a PEM certificate chain, `tls.key` the
// PEM private key of its first certificate (PKCS#8, PKCS#1 RSA or SEC1 EC, the forms Envoy reads).
// Synchronous and pure, so the compiler and the Gateway status judge a Secret alike: the DER is
// decoded by @peculiar's ASN.1 schemas, and the key matches when its public half (RSA modulus and
// exponent, EC point) is the certificate's public key.
import { AsnConvert } from "@peculiar/asn1-schema";
import { ECPrivateKey, id_ecPublicKey } from "@peculiar/asn1-ecc";
import { PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { id_rsaEncryption, RSAPrivateKey, RSAPublicKey } from "@peculiar/asn1-rsa";
import { Certificate } from "@peculiar/asn1-x509";
import type { KubeObject } from "./kinds/types.ts";

export const TLS_CERT_KEY = "tls.crt";
export const TLS_PRIVATE_KEY_KEY = "tls.key";

export type TlsSecretVerdict = { ok: true; certificateChain: string; privateKey: string } | { ok: false; message: string };

interface PemBlock {
  label: string;
  der: Uint8Array;
}

function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    const bin = atob(m[2].replace(/\s+/g, ""));
    out.push({ label: m[1], der: Uint8Array.from(bin, (c) => c.charCodeAt(0)) });
  }
  return out;
}

function decodeBase64Text(value: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
}

const sameBytes = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array) => {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** ASN.1 INTEGERs compare by value: a leading zero byte (sign) is not part of it. */
const integerBytes = (b: ArrayBuffer) => {
  const bytes = new Uint8Array(b);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
};

/** Whether the private key (one PEM block) is the certificate's, or why not. */
function keyMatches(key: PemBlock, cert: Certificate): true | string {
  const spki = cert.tbsCertificate.subjectPublicKeyInfo;
  const certAlgorithm = spki.algorithm.algorithm;
  let algorithm: string;
  let inner: ArrayBuffer;
  if (key.label === "PRIVATE KEY") {
    const info = AsnConvert.parse(key.der, PrivateKeyInfo);
    algorithm = info.privateKeyAlgorithm.algorithm;
    inner = info.privateKey.buffer;
  } else if (key.label === "RSA PRIVATE KEY") [algorithm, inner] = [id_rsaEncryption, key.der.slice().buffer];
  else if (key.label === "EC PRIVATE KEY") [algorithm, inner] = [id_ecPublicKey, key.der.slice().buffer];
  else return `${TLS_PRIVATE_KEY_KEY} holds a ${key.label} block, not a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY`;
  if (algorithm !== certAlgorithm) return `${TLS_PRIVATE_KEY_KEY} is a key of another algorithm (${algorithm}) than the certificate's (${certAlgorithm})`;
  if (algorithm === id_rsaEncryption) {
    const priv = AsnConvert.parse(inner, RSAPrivateKey);
    const pub = AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey);
    return sameBytes(integerBytes(priv.modulus), integerBytes(pub.modulus)) && sameBytes(integerBytes(priv.publicExponent), integerBytes(pub.publicExponent))
      ? true
      : `${TLS_PRIVATE_KEY_KEY} does not match the certificate in ${TLS_CERT_KEY}`;
  }
  if (algorithm === id_ecPublicKey) {
    const priv = AsnConvert.parse(inner, ECPrivateKey);
    if (!priv.publicKey) return `${TLS_PRIVATE_KEY_KEY}: the EC key does not carry its public key, so it cannot be matched with the certificate`;
    return sameBytes(priv.publicKey, spki.subjectPublicKey) ? true : `${TLS_PRIVATE_KEY_KEY} does not match the certificate in ${TLS_CERT_KEY}`;
  }
  return `${TLS_PRIVATE_KEY_KEY}: key algorithm ${algorithm} is not supported (RSA or ECDSA)`;
}

/** The Secret's certificate chain and key as PEM text, or what is wrong with them. */
export function checkTlsSecret(secret: KubeObject): TlsSecretVerdict {
  const data = (secret.data ?? {}) as Record<string, string>;
  const name = `${secret.metadata.namespace}/${secret.metadata.name}`;
  if (data[TLS_CERT_KEY] === undefined || data[TLS_PRIVATE_KEY_KEY] === undefined)
    return { ok: false, message: `Secret ${name} has no ${data[TLS_CERT_KEY] === undefined ? TLS_CERT_KEY : TLS_PRIVATE_KEY_KEY} entry` };
  try {
    const certificateChain = decodeBase64Text(data[TLS_CERT_KEY]);
    const privateKey = decodeBase64Text(data[TLS_PRIVATE_KEY_KEY]);
    const certs = pemBlocks(certificateChain);
    if (!certs.length || certs.some((b) => b.label !== "CERTIFICATE")) return { ok: false, message: `Secret ${name}: ${TLS_CERT_KEY} must hold PEM CERTIFICATE blocks` };
    const parsed = certs.map((b) => AsnConvert.parse(b.der, Certificate));
    const keys = pemBlocks(privateKey);
    if (keys.length !== 1) return { ok: false, message: `Secret ${name}: ${TLS_PRIVATE_KEY_KEY} must hold exactly one PEM private key` };
    const match = keyMatches(keys[0], parsed[0]);
    return match === true ? { ok: true, certificateChain, privateKey } : { ok: false, message: `Secret ${name}: ${match}` };
  } catch (err) {
    return { ok: false, message: `Secret ${name}: not a PEM certificate and key (${err instanceof Error ? err.message : String(err)})` };
  }
}
