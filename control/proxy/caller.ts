// Who is calling a proxy endpoint: the admin, or a workload holding a token for its own
// namespace + service account.
import type { MiddlewareHandler } from "hono";
import { status } from "../api/status.ts";
import { tokenMatches } from "../api/auth.ts";
import type { Env } from "../env.ts";
import { verifyWorkloadToken, type WorkloadIdentity } from "./tokens.ts";

/** `expiresAt`: when the caller's workload token expires; a token minted for it must not outlive that. */
export type Caller = { admin: true } | ({ admin: false; expiresAt?: number } & WorkloadIdentity);

export type ProxyEnv = { Bindings: Env; Variables: { caller: Caller } };

export const requireAdminOrWorkload: MiddlewareHandler<ProxyEnv> = async (c, next) => {
  const admin = c.env.MESH_ADMIN_TOKEN;
  if (!admin) return c.json(status(503, "ServiceUnavailable", "the control plane has no admin token configured; refusing to serve"), 503);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (bearer && (await tokenMatches(bearer, admin))) c.set("caller", { admin: true });
  else {
    const id = bearer ? await verifyWorkloadToken(admin, bearer) : undefined;
    if (!id) return c.json(status(401, "Unauthorized", "Unauthorized: an admin or workload token is required"), 401);
    c.set("caller", { admin: false, ...id });
  }
  await next();
};

/** May this caller read the config of a workload running as `serviceAccount` in `namespace`? */
export function mayRead(caller: Caller, namespace: string, serviceAccount: string): boolean {
  return caller.admin || (caller.namespace === namespace && caller.serviceAccount === serviceAccount);
}
