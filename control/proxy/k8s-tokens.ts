// Kubernetes projected service-account tokens (audience `edge-mesh`), as the injected sidecar's
// bootstrap step presents them. Verifying one needs the cluster's service-account signing keys:
// set MESH_KUBERNETES_JWKS to the output of `kubectl get --raw /openid/v1/jwks` (and optionally
// MESH_KUBERNETES_ISSUER to the cluster's issuer). Without it such tokens are refused.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { AUDIENCE, type WorkloadIdentity } from "./tokens.ts";

export interface KubernetesTokenConfig {
  MESH_KUBERNETES_JWKS?: string;
  MESH_KUBERNETES_ISSUER?: string;
}

let cached: { text: string; keys: ReturnType<typeof createLocalJWKSet> } | undefined;

export async function verifyKubernetesToken(env: KubernetesTokenConfig, token: string): Promise<(WorkloadIdentity & { pod?: string }) | undefined> {
  if (!env.MESH_KUBERNETES_JWKS) return undefined;
  try {
    if (cached?.text !== env.MESH_KUBERNETES_JWKS) cached = { text: env.MESH_KUBERNETES_JWKS, keys: createLocalJWKSet(JSON.parse(env.MESH_KUBERNETES_JWKS) as JSONWebKeySet) };
    const { payload } = await jwtVerify(token, cached.keys, {
      audience: AUDIENCE,
      ...(env.MESH_KUBERNETES_ISSUER ? { issuer: env.MESH_KUBERNETES_ISSUER } : {}),
      algorithms: ["RS256", "ES256"],
      requiredClaims: ["exp"],
    });
    const k8s = payload["kubernetes.io"] as { namespace?: unknown; serviceaccount?: { name?: unknown }; pod?: { name?: unknown } } | undefined;
    if (typeof k8s?.namespace !== "string" || typeof k8s.serviceaccount?.name !== "string") return undefined;
    return { namespace: k8s.namespace, serviceAccount: k8s.serviceaccount.name, ...(typeof k8s.pod?.name === "string" ? { pod: k8s.pod.name } : {}) };
  } catch {
    return undefined;
  }
}
