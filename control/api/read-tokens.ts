// Read-only tokens: for dashboards and people who may look but not touch. A signed JWT (HS256,
// key derived from the admin token like the workload tokens, but under its own HKDF purpose, so
// neither kind verifies as the other; rotating the admin secret revokes both). A read token may
// GET the Kubernetes-style API, the analysis, the revision history and any workload's snapshot,
// and POST an explain question; every other request with it is refused with 403. Writes, rollback
// and token issuance still need the admin token.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { jwtVerify, SignJWT } from "jose";
import type { Env } from "../env.ts";
import type { ProxyEnv } from "../proxy/caller.ts";
import { serve } from "../proxy/routes.ts";
import { AUDIENCE, derivedSigningKey, ISSUER, MAX_TTL_SECONDS } from "../proxy/tokens.ts";
import { requireAdminToken, tokenMatches } from "./auth.ts";
import { badRequest, status } from "./status.ts";
import { KINDS } from "../mesh/kinds/index.ts";

const PURPOSE = "read-tokens/v1";
const KIND = "read";
export const READ_TOKEN_SUBJECT = "edge-mesh:reader";
export const DEFAULT_READ_TTL_SECONDS = 8 * 3600;

export async function issueReadToken(adminToken: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ kind: KIND })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(READ_TOKEN_SUBJECT)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(await derivedSigningKey(adminToken, PURPOSE));
}

/** Is `token` a valid, unexpired read-only token? */
export async function verifyReadToken(adminToken: string, token: string): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, await derivedSigningKey(adminToken, PURPOSE), {
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: READ_TOKEN_SUBJECT,
      algorithms: ["HS256"],
    });
    return payload.kind === KIND;
  } catch {
    return false;
  }
}

// What a read token may call (anything else: 403). Explicit, so a GET added later that hands out
// something sensitive is not opened to readers by accident.
const READABLE = [/^\/version$/, /^\/apis?(\/.*)?$/, /^\/openapi\/v3(\/.*)?$/, /^\/mesh\/v1\/analyze$/, /^\/mesh\/v1\/revisions(\/.*)?$/, /^\/mesh\/v1\/graph$/, /^\/mesh\/v1\/proxy-status$/];
const READ_ONLY_POSTS = [/^\/mesh\/v1\/explain$/];

/** Collections of kinds whose values are secret (Secrets): never for a read token. */
const SENSITIVE = KINDS.filter((k) => k.sensitive).map(
  (k) => new RegExp(`^/${k.group ? `apis/${k.group.replaceAll(".", "\\.")}` : "api"}/[^/]+/(namespaces/[^/]+/)?${k.plural}(/|$)`),
);

export function readerMayCall(method: string, path: string): boolean {
  if (SENSITIVE.some((r) => r.test(path))) return false;
  if (method === "GET" || method === "HEAD") return READABLE.some((r) => r.test(path));
  if (method === "POST") return READ_ONLY_POSTS.some((r) => r.test(path));
  return false;
}

/** A bearer that is not the admin token but a valid read token (the admin token is checked first, in constant time). */
async function isReader(c: Context<{ Bindings: Env }> | Context<ProxyEnv>): Promise<boolean> {
  const admin = c.env.MESH_ADMIN_TOKEN;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!admin || !bearer || (await tokenMatches(bearer, admin))) return false;
  return verifyReadToken(admin, bearer);
}

/**
 * The admin token, or a read token for the reads listed above. Everything that is not a read
 * token goes to `requireAdminToken` unchanged (401 / 503 exactly as before).
 */
export const requireAdminOrReader: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (!(await isReader(c))) return requireAdminToken(c, next);
  if (!readerMayCall(c.req.method, c.req.path))
    return c.json(status(403, "Forbidden", `a read-only token may not ${c.req.method} ${c.req.path}; this needs the admin token`), 403);
  await next();
};

/** Readers may read any workload's snapshot (GET only); other callers fall through to the proxy API's own check. */
export const readerSnapshotApi = new Hono<ProxyEnv>();
readerSnapshotApi.get("/mesh/v1/snapshot/:namespace/:workload", async (c, next) => {
  if (!(await isReader(c))) return next();
  // On this GET-only route the caller's one power is reading any workload's document: what a read token grants.
  c.set("caller", { admin: true });
  return serve("snapshot", false)(c);
});

export const readTokenApi = new Hono<{ Bindings: Env }>();
readTokenApi.post("/mesh/v1/read-tokens", requireAdminToken, async (c) => {
  let body: { ttlSeconds?: unknown } = {};
  const text = await c.req.text();
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      return c.json(badRequest('the body must be JSON: {"ttlSeconds": <seconds>}'), 400);
    }
  }
  const ttl = body?.ttlSeconds ?? DEFAULT_READ_TTL_SECONDS;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 60 || ttl > MAX_TTL_SECONDS)
    return c.json(badRequest(`ttlSeconds: an integer between 60 and ${MAX_TTL_SECONDS} is required`), 400);
  const token = await issueReadToken(c.env.MESH_ADMIN_TOKEN!, ttl);
  return c.json({ token, kind: KIND, expiresAt: new Date(Date.now() + ttl * 1000).toISOString() }, 201);
});
