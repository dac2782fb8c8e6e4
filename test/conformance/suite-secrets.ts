// The Secrets the upstream conformance suite creates when it starts (conformance/utils/suite/
// suite.go: self-signed certificates `certificate` in gateway-conformance-web-backend and
// `tls-validity-checks-certificate` in gateway-conformance-infra), here from the tests' own
// certificate: the vendored manifests reference them.
import { readFileSync } from "node:fs";

const pem = (file: string) => readFileSync(new URL(`../mesh/tls/${file}`, import.meta.url), "utf8");
const b64 = (s: string) => Buffer.from(s).toString("base64");

export function tlsSecretYaml(name: string, namespace: string, cert = pem("bookinfo.crt"), key = pem("bookinfo.key")): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/tls
data: { tls.crt: ${b64(cert)}, tls.key: ${b64(key)} }
`;
}

export const SUITE_SECRETS = [tlsSecretYaml("certificate", "gateway-conformance-web-backend"), tlsSecretYaml("tls-validity-checks-certificate", "gateway-conformance-infra")].join("---\n");
