// CSRs as a workload would make them: its own key, optionally naming identities.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export async function csrFor(names: { type: "url" | "dns"; value: string }[], alg: "P-256" | "P-521" = "P-256"): Promise<string> {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: alg }, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return csr.toString("pem");
}
