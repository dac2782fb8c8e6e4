// The cert agent: a POSIX shell loop (openssl + curl) for a container next to the proxy. It makes
// the workload's key in the pod (it never leaves), has the mesh CA sign a CSR for the pod's SPIFFE
// id, and publishes key, chain and trust bundle to Envoy through file-based SDS (the secrets
// `default` and `ROOTCA` the listeners and clusters name); it also registers the pod's endpoint
// and heartbeats it. Served at GET /mesh/v1/ca/agent.sh. The workload token comes from the
// bootstrap the istio-bootstrap init container wrote (node.metadata.EDGE_MESH_TOKEN).
import { CERT_DIR, SDS_DEFAULT, SDS_ROOT, TYPE } from "../xds/translate/types.ts";

/** The SDS files Envoy watches (DiscoveryResponse JSON naming the PEM files). */
export function sdsFiles(certDir = CERT_DIR): Record<string, string> {
  const secret = (body: object) => JSON.stringify({ resources: [{ "@type": TYPE.secret, ...body }] });
  return {
    [`${SDS_DEFAULT}.json`]: secret({
      name: SDS_DEFAULT,
      tls_certificate: { certificate_chain: { filename: `${certDir}/cert-chain.pem` }, private_key: { filename: `${certDir}/key.pem` } },
    }),
    [`${SDS_ROOT}.json`]: secret({ name: SDS_ROOT, validation_context: { trusted_ca: { filename: `${certDir}/root-cert.pem` } } }),
  };
}

const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export function agentScript(): string {
  const files = sdsFiles("__CERT_DIR__");
  const writeSds = Object.entries(files)
    .map(([name, json]) => `  printf '%s\\n' ${sq(json)} | sed "s#__CERT_DIR__#$CERT_DIR#g" > "$CERT_DIR/.${name}" && mv -f "$CERT_DIR/.${name}" "$CERT_DIR/${name}"`)
    .join("\n");
  return `#!/bin/sh
# edge-mesh cert agent. Env: MESH_URL, POD_NAMESPACE, POD_NAME, SERVICE_ACCOUNT, INSTANCE_IP,
# WORKLOAD_NAME; optional MESH_PORTS ('{"http":9080}'), CERT_DIR, BOOTSTRAP (the envoy.json with the
# token), CURL_OPTS (e.g. --cacert for a private control-plane CA), ONCE=1 (one round, for tests).
set -eu
: "\${MESH_URL:?}" "\${POD_NAMESPACE:?}" "\${SERVICE_ACCOUNT:?}"
CERT_DIR=\${CERT_DIR:-${CERT_DIR}}
BOOTSTRAP=\${BOOTSTRAP:-/etc/istio/proxy/envoy.json}
VALIDITY=\${VALIDITY_SECONDS:-86400}
mkdir -p "$CERT_DIR"
token() { sed -n 's/.*"EDGE_MESH_TOKEN":"\\([^"]*\\)".*/\\1/p' "$BOOTSTRAP" | head -n 1; }
renew() {
  tmp=$(mktemp -d "$CERT_DIR/.new.XXXXXX")
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key.pem"
  openssl req -new -key "$tmp/key.pem" -subj "/O=cluster.local" \\
    -addext "subjectAltName=URI:spiffe://cluster.local/ns/$POD_NAMESPACE/sa/$SERVICE_ACCOUNT" -out "$tmp/csr.pem"
  csr=$(awk '{printf "%s\\\\n", $0}' "$tmp/csr.pem")
  curl -fsS \${CURL_OPTS:-} -H "Authorization: Bearer $(token)" -H "Content-Type: application/json" -H "Accept: application/x-pem-file" \\
    --data "{\\"csr\\":\\"$csr\\",\\"validitySeconds\\":$VALIDITY}" -o "$tmp/cert-chain.pem" "$MESH_URL/mesh/v1/ca/sign"
  curl -fsS \${CURL_OPTS:-} -o "$tmp/root-cert.pem" "$MESH_URL/mesh/v1/ca/roots"
  for f in key.pem cert-chain.pem root-cert.pem; do mv -f "$tmp/$f" "$CERT_DIR/$f"; done
  rm -rf "$tmp"
${writeSds}
}
register() {
  [ -n "\${WORKLOAD_NAME:-}" ] && [ -n "\${POD_NAME:-}" ] && [ -n "\${INSTANCE_IP:-}" ] || return 0
  curl -fsS \${CURL_OPTS:-} -X PUT -H "Authorization: Bearer $(token)" -H "Content-Type: application/json" -o /dev/null \\
    --data "{\\"ip\\":\\"$INSTANCE_IP\\",\\"ports\\":\${MESH_PORTS:-{\\}},\\"mtls\\":true}" \\
    "$MESH_URL/mesh/v1/proxy/$POD_NAMESPACE/$WORKLOAD_NAME/endpoints/$POD_NAME"
}
renewed=0
while :; do
  now=$(date +%s)
  if [ $((now - renewed)) -ge $((VALIDITY / 2)) ]; then renew && renewed=$now || echo "cert renewal failed; retrying" >&2; fi
  register || echo "endpoint heartbeat failed; retrying" >&2
  [ "\${ONCE:-}" = 1 ] && exit 0
  sleep 30
done
`;
}
