// A gateway listener's TLS termination: a DownstreamTlsContext with the serving certificates
// inline (REST xDS has no SDS here). The translation, cached per version and shared by every
// location, holds only placeholders naming the Secrets; the key material is substituted when LDS
// is served to the gateway's own proxy (control/xds/credentials.ts), so it is never in a cache,
// a snapshot, explain or the served state.
import type { GatewayListener } from "../../mesh/snapshot.ts";
import { any, TYPE, type Json } from "./types.ts";

const PLACEHOLDER = /@@EDGE_MESH_TLS_(CERT|KEY):([a-z0-9.-]+\/[a-z0-9.-]+)@@/g;

export const credentialPlaceholder = (part: "CERT" | "KEY", secret: string) => `@@EDGE_MESH_TLS_${part}:${secret}@@`;

export function terminatingTlsSocket(tls: NonNullable<GatewayListener["tls"]>): Json {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: any(TYPE.downstreamTls, {
      common_tls_context: {
        tls_certificates: tls.certificates.map((c) => ({
          certificate_chain: { inline_string: credentialPlaceholder("CERT", c.secret) },
          private_key: { inline_string: credentialPlaceholder("KEY", c.secret) },
        })),
        alpn_protocols: ["h2", "http/1.1"],
      },
    }),
  };
}

/** The Secrets (`<namespace>/<name>`) an LDS text needs filled in. */
export function credentialsNeeded(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[2]))].sort();
}

export interface Credential {
  certificateChain: string;
  privateKey: string;
}

/** Substitutes the placeholders, JSON-escaped; undefined when a Secret is not at hand. */
export function fillCredentials(text: string, credentials: ReadonlyMap<string, Credential>): string | undefined {
  let missing = false;
  const out = text.replace(PLACEHOLDER, (_, part: string, secret: string) => {
    const c = credentials.get(secret);
    if (!c) {
      missing = true;
      return "";
    }
    return JSON.stringify(part === "CERT" ? c.certificateChain : c.privateKey).slice(1, -1);
  });
  return missing ? undefined : out;
}
