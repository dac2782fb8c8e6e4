// Transport sockets: mesh mTLS (the workload certificate and the mesh root through file-based
// SDS, written by the cert agent), DestinationRule TLS modes, and the inbound TLS contexts.
import { any, MESH_ALPN, SDS_DEFAULT, SDS_ROOT, sdsSecret, TRUST_DOMAIN, TYPE, type Json } from "./types.ts";

const SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt";

/** SAN matchers: exact SPIFFE ids when the DestinationRule names them, else any id of our trust domain. */
function spiffeMatchers(sans: string[] | undefined): Json[] {
  if (sans?.length) return sans.map((san) => ({ san_type: san.startsWith("spiffe://") ? "URI" : "DNS", matcher: { exact: san } }));
  return [{ san_type: "URI", matcher: { prefix: `spiffe://${TRUST_DOMAIN}/` } }];
}

/** The common TLS context of both sides of mesh mTLS. */
function meshTlsContext(sans?: string[]): Json {
  return {
    tls_certificate_sds_secret_configs: [sdsSecret(SDS_DEFAULT)],
    combined_validation_context: {
      default_validation_context: { match_typed_subject_alt_names: spiffeMatchers(sans) },
      validation_context_sds_secret_config: sdsSecret(SDS_ROOT),
    },
  };
}

export function istioMutualSocket(sni: string, sans?: string[]): Json {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: any(TYPE.upstreamTls, { sni, common_tls_context: { ...meshTlsContext(sans), alpn_protocols: [MESH_ALPN] } }),
  };
}

export function rawBufferSocket(): Json {
  return { name: "envoy.transport_sockets.raw_buffer", typed_config: any(TYPE.rawBuffer, {}) };
}

/** Inbound mesh mTLS: the peer must present a certificate from the mesh root. */
export function inboundMtlsSocket(): Json {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: any(TYPE.downstreamTls, {
      require_client_certificate: true,
      common_tls_context: { ...meshTlsContext(), alpn_protocols: ["h2", "http/1.1"] },
    }),
  };
}

interface IstioTls {
  mode?: string;
  sni?: string;
  subjectAltNames?: string[];
  caCertificates?: string;
  clientCertificate?: string;
  privateKey?: string;
  insecureSkipVerify?: boolean;
}

/** A DestinationRule `tls` block as a transport socket; undefined for DISABLE / unset. */
export function destinationRuleSocket(tls: IstioTls | undefined, istioSni: string, host: string): Json | undefined {
  switch (tls?.mode) {
    case "ISTIO_MUTUAL":
      return istioMutualSocket(tls.sni ?? istioSni, tls.subjectAltNames);
    case "SIMPLE":
    case "MUTUAL": {
      const common: Json = {};
      if (!tls.insecureSkipVerify) {
        common.validation_context = {
          trusted_ca: { filename: tls.caCertificates ?? SYSTEM_CAS },
          ...(tls.subjectAltNames?.length ? { match_typed_subject_alt_names: spiffeMatchers(tls.subjectAltNames) } : {}),
        };
      }
      if (tls.mode === "MUTUAL" && tls.clientCertificate && tls.privateKey)
        common.tls_certificates = [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }];
      return { name: "envoy.transport_sockets.tls", typed_config: any(TYPE.upstreamTls, { sni: tls.sni ?? host, common_tls_context: common }) };
    }
    default:
      return undefined;
  }
}
