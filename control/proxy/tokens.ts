// Workload tokens: short JWTs (HS256) bound to one namespace + service account, so a proxy can
// read only its own config. The signing key is derived (HKDF) from the admin token, so
// rotating the admin secret also revokes every workload token.
import { jwtVerify, SignJWT } from "jose";

export const ISSUER = "edge-mesh";
export const AUDIENCE = "edge-mesh";
export const MAX_TTL_SECONDS = 30 * 24 * 3600;

export interface WorkloadIdentity {
  namespace: string;
  serviceAccount: string;
}

/** An HS256 key derived (HKDF) from the admin token; `purpose` separates token kinds, so one kind never verifies as another. */
export async function derivedSigningKey(adminToken: string, purpose: string): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(adminToken), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new TextEncoder().encode(ISSUER), info: new TextEncoder().encode(purpose) },
    ikm,
    256,
  );
  return new Uint8Array(bits);
}

const signingKey = (adminToken: string) => derivedSigningKey(adminToken, "workload-tokens/v1");

/** A workload token's identity and expiry (seconds since the epoch). */
export interface VerifiedWorkloadToken extends WorkloadIdentity {
  expiresAt: number;
}

/** A token for `id` living `ttlSeconds`, but never past `notAfter` (the expiry of the token it is minted for). */
export async function issueWorkloadToken(adminToken: string, id: WorkloadIdentity, ttlSeconds: number, notAfter = Infinity): Promise<string> {
  return new SignJWT({ ns: id.namespace, sa: id.serviceAccount })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(`system:serviceaccount:${id.namespace}:${id.serviceAccount}`)
    .setIssuedAt()
    .setExpirationTime(Math.min(Math.floor(Date.now() / 1000) + ttlSeconds, notAfter))
    .sign(await signingKey(adminToken));
}

/** The identity a token carries, or undefined when it is not a valid, unexpired workload token (one without exp is not). */
export async function verifyWorkloadToken(adminToken: string, token: string): Promise<VerifiedWorkloadToken | undefined> {
  try {
    const { payload } = await jwtVerify(token, await signingKey(adminToken), { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"], requiredClaims: ["exp"] });
    if (typeof payload.ns !== "string" || typeof payload.sa !== "string") return undefined;
    return { namespace: payload.ns, serviceAccount: payload.sa, expiresAt: payload.exp! };
  } catch {
    return undefined;
  }
}
