// The HTTP filters of our chains: Istio's stats (first, so it logs the streams the others answer),
// jwt_authn (RequestAuthentication), the authz and router wasm filters, and Envoy's router.
import type { JwtRule, WorkloadSnapshot } from "../../mesh/snapshot.ts";
import { any, socketAddress, TYPE, type Json, type WasmModuleRef, type XdsSettings } from "./types.ts";


/** The JSON our filters read from their plugin configuration (filters/lib/config.ts). */
export interface PluginConfig {
  cluster: string;
  authority: string;
  path: string;
  token: string;
  pollMs: number;
  failOpen: boolean;
}

export function pluginConfig(w: WorkloadSnapshot["workload"], settings: XdsSettings): PluginConfig {
  const { namespace, name } = w;
  return {
    cluster: settings.controlPlane.host,
    authority: settings.controlPlane.host,
    path: `/mesh/v1/proxy/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/filter-config`,
    token: settings.token,
    pollMs: settings.filterPollMs,
    failOpen: false,
  };
}

/** A proxy-wasm filter whose code Envoy fetches from the control plane and checks by sha256.
 * `plugin` names it, its root context and its VM: each plugin gets a VM of its own (filters/lib
 * keeps one root context per module). */
export function wasmFilter(plugin: string, module: WasmModuleRef, config: PluginConfig | StatsConfig, settings: XdsSettings): Json {
  return {
    name: `edge-mesh.${plugin}`,
    typed_config: any(TYPE.wasm, {
      config: {
        name: `edge-mesh.${plugin}`,
        root_id: plugin,
        vm_config: {
          vm_id: `edge-mesh.${plugin}`,
          runtime: "envoy.wasm.runtime.v8",
          code: {
            remote: {
              http_uri: { uri: module.url, cluster: settings.controlPlane.host, timeout: "30s" },
              sha256: module.sha256,
              retry_policy: { num_retries: 5 },
            },
          },
        },
        configuration: any(TYPE.stringValue, { value: JSON.stringify(config) }),
        fail_open: false,
      },
    }),
  };
}

/** The stats filter's plugin configuration (filters/stats): which side of the call it reports. */
export interface StatsConfig {
  direction: "inbound" | "outbound";
}

/** Istio's stats_inbound / stats_outbound. */
export function statsFilter(direction: StatsConfig["direction"], settings: XdsSettings): Json {
  return wasmFilter(`stats_${direction}`, settings.wasm.stats, { direction }, settings);
}

export function routerFilter(): Json {
  return { name: "envoy.filters.http.router", typed_config: any(TYPE.router, {}) };
}

interface JwksSource {
  cluster: string;
  host: string;
  port: number;
  tls: boolean;
}

function jwksSource(uri: string): JwksSource | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const tls = url.protocol === "https:";
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  return { cluster: `jwks|${url.hostname}|${port}`, host: url.hostname, port, tls };
}

/** Where a rule's keys come from: inline, its jwksUri, or (Istio's discovery, approximated) `<issuer>/.well-known/jwks.json`. */
function jwksUri(rule: JwtRule): string | undefined {
  if (rule.jwks) return undefined;
  // The schema requires an issuer or a jwksUri.
  return rule.jwksUri ?? `${rule.issuer!.replace(/\/+$/, "")}/.well-known/jwks.json`;
}

/** RequestAuthentication as jwt_authn: a present token must verify against one provider (else
 *  401), a missing one passes (AuthorizationPolicy decides), and the verified payload lands in
 *  dynamic metadata under `payload`, where the authz filter reads requestPrincipals. */
export function jwtAuthnFilter(rules: JwtRule[]): Json | undefined {
  if (rules.length === 0) return undefined;
  const providers: Record<string, Json> = {};
  rules.forEach((rule, i) => {
    const uri = jwksUri(rule);
    const source = uri ? jwksSource(uri) : undefined;
    providers[`${rule.origin}#${i}`] = {
      ...(rule.issuer ? { issuer: rule.issuer } : {}),
      ...(rule.audiences?.length ? { audiences: rule.audiences } : {}),
      ...(rule.jwks
        ? { local_jwks: { inline_string: rule.jwks } }
        : { remote_jwks: { http_uri: { uri: uri!, cluster: source?.cluster ?? "BlackHoleCluster", timeout: "5s" }, cache_duration: "300s" } }),
      ...(rule.fromHeaders?.length ? { from_headers: rule.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix ? { value_prefix: h.prefix } : {}) })) } : {}),
      ...(rule.fromParams?.length ? { from_params: rule.fromParams } : {}),
      ...(rule.fromCookies?.length ? { from_cookies: rule.fromCookies } : {}),
      ...(rule.forwardOriginalToken ? { forward: true } : {}),
      ...(rule.outputPayloadToHeader ? { forward_payload_header: rule.outputPayloadToHeader } : {}),
      ...(rule.outputClaimToHeaders?.length ? { claim_to_headers: rule.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim })) } : {}),
      payload_in_metadata: "payload",
    };
  });
  const requirements = [...Object.keys(providers).map((provider_name) => ({ provider_name })), { allow_missing: {} }];
  return {
    name: "envoy.filters.http.jwt_authn",
    typed_config: any(TYPE.jwtAuthn, { providers, rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements } } }] }),
  };
}

/** The clusters jwt_authn fetches remote JWKS through. */
export function jwksClusters(rules: JwtRule[]): Json[] {
  const seen = new Map<string, JwksSource>();
  for (const rule of rules) {
    const uri = jwksUri(rule);
    const source = uri ? jwksSource(uri) : undefined;
    if (source) seen.set(source.cluster, source);
  }
  return [...seen.values()].map((s) => ({
    name: s.cluster,
    type: "LOGICAL_DNS",
    connect_timeout: "10s",
    dns_lookup_family: "V4_ONLY",
    load_assignment: { cluster_name: s.cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(s.host, s.port) } }] }] },
    ...(s.tls
      ? {
          transport_socket: {
            name: "envoy.transport_sockets.tls",
            typed_config: any(TYPE.upstreamTls, { sni: s.host, common_tls_context: { validation_context: { trusted_ca: { filename: "/etc/ssl/certs/ca-certificates.crt" } } } }),
          },
        }
      : {}),
  }));
}
