// Who is calling an xDS, bootstrap, CA or registration endpoint: the admin, a workload token,
// or (bootstrap only) a Kubernetes projected service-account token. Workload token checks are
// remembered per isolate until shortly before the token expires: every proxy poll presents one.
import { tokenMatches } from "../api/auth.ts";
import type { Env } from "../env.ts";
import type { Caller } from "../proxy/caller.ts";
import { verifyKubernetesToken } from "../proxy/k8s-tokens.ts";
import { verifyWorkloadToken } from "../proxy/tokens.ts";
import { Lru } from "./memo.ts";

const verified = new Lru<string, { caller: Caller; until: number; admin: string }>(4096);
const REMEMBER_MS = 60_000;

export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

export async function authenticate(env: Env, token: string | undefined, opts: { kubernetes?: boolean } = {}): Promise<Caller | undefined> {
  const admin = env.MESH_ADMIN_TOKEN;
  if (!admin || !token) return undefined;
  const now = Date.now();
  const hit = verified.get(token);
  if (hit && hit.until > now && hit.admin === admin) return hit.caller;
  if (await tokenMatches(token, admin)) return { admin: true };
  const id = await verifyWorkloadToken(admin, token);
  if (id) {
    const caller: Caller = { admin: false, ...id };
    verified.set(token, { caller, until: Math.min(id.expiresAt * 1000, now + REMEMBER_MS), admin });
    return caller;
  }
  if (opts.kubernetes) {
    const k8s = await verifyKubernetesToken(env, token);
    // No expiresAt: the kubelet renews a pod's projected token, and the bootstrap's workload token must
    // outlast it (Envoy keeps its bootstrap for the pod's life); only the cluster mints those tokens.
    if (k8s) return { admin: false, namespace: k8s.namespace, serviceAccount: k8s.serviceAccount };
  }
  return undefined;
}

/** The control plane as proxies reach it: MESH_CONTROL_PLANE_URL, else the URL this request came to. */
export function controlPlaneOf(env: Env, requestUrl: string): { host: string; url: string; caPem?: string } {
  const url = new URL(env.MESH_CONTROL_PLANE_URL || new URL(requestUrl).origin);
  return { host: url.host, url: url.origin, ...(env.MESH_CONTROL_PLANE_CA ? { caPem: env.MESH_CONTROL_PLANE_CA } : {}) };
}
