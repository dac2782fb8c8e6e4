// Bearer-token authentication for everything but /healthz. The token is compared in constant
// time (SHA-256 of both sides, then timingSafeEqual) and is never logged.
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env.ts";
import { status } from "./status.ts";

const encoder = new TextEncoder();

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(s));
}

// The expected side is a configured secret (one or two per isolate): hash it once, not per request.
const expectedDigests = new Map<string, Promise<ArrayBuffer>>();
// A client sends the same bearer on every request (kubectl: thousands in an apply): its verdict is
// remembered. A lookup by the whole token says nothing about how much of a guess was right.
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 256;
const MAX_REMEMBERED_LENGTH = 4096;

export async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  const memoKey = `${expected.length}:${expected}\n${presented}`;
  const known = verdicts.get(memoKey);
  if (known !== undefined) return known;
  let expectedDigest = expectedDigests.get(expected);
  if (!expectedDigest) {
    if (expectedDigests.size >= 8) expectedDigests.clear();
    expectedDigest = digest(expected);
    expectedDigests.set(expected, expectedDigest);
  }
  const [a, b] = await Promise.all([digest(presented), expectedDigest]);
  const verdict = crypto.subtle.timingSafeEqual(a, b);
  if (presented.length > MAX_REMEMBERED_LENGTH) return verdict;
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(memoKey, verdict);
  return verdict;
}

export const requireAdminToken: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const expected = c.env.MESH_ADMIN_TOKEN;
  if (!expected) {
    return c.json(
      status(503, "ServiceUnavailable", "the control plane has no admin token configured (set the MESH_ADMIN_TOKEN secret); refusing to serve"),
      503,
    );
  }
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match || !(await tokenMatches(match[1], expected))) {
    c.header("WWW-Authenticate", 'Bearer realm="edge-mesh"');
    return c.json(status(401, "Unauthorized", "Unauthorized"), 401);
  }
  await next();
};
