// The mesh CA over HTTP: POST /mesh/v1/ca/sign (the JSON twin of Istio's CreateCertificate),
// GET /mesh/v1/ca/roots (the trust bundle, PEM) and GET /mesh/v1/ca/agent.sh (the cert agent).
import { Hono } from "hono";
import { badRequest, status } from "../api/status.ts";
import type { Env } from "../env.ts";
import { storeStub } from "../xds/sources.ts";
import { authenticate, bearerOf } from "../xds/auth.ts";
import { agentScript } from "./agent.ts";
import { CaError, DEFAULT_VALIDITY_SECONDS, MeshCa } from "./ca.ts";

let loaded: { key: string; ca: Promise<MeshCa> } | undefined;

/** The CA from the Worker secrets, or (local development) the root the ConfigStore generated. */
export function meshCa(env: Env): Promise<MeshCa> {
  const key = `${env.MESH_CA_KEY ?? ""}|${env.MESH_CA_CERT ?? ""}|${env.MESH_CA_PREVIOUS_ROOTS ?? ""}`;
  if (loaded?.key !== key) {
    const ca = (async () => {
      const material = env.MESH_CA_KEY && env.MESH_CA_CERT ? { keyPem: env.MESH_CA_KEY, certPem: env.MESH_CA_CERT } : await storeStub(env).devCaRoot();
      return MeshCa.load(material, env.MESH_CA_PREVIOUS_ROOTS ?? "");
    })();
    ca.catch(() => (loaded = undefined));
    loaded = { key, ca };
  }
  return loaded.ca;
}

export const caApi = new Hono<{ Bindings: Env }>();

caApi.post("/mesh/v1/ca/sign", async (c) => {
  const caller = await authenticate(c.env, bearerOf(c.req.header("authorization")));
  if (!caller) return c.json(status(401, "Unauthorized", "a workload token is required"), 401);
  let body: { csr?: unknown; validitySeconds?: unknown; namespace?: unknown; serviceAccount?: unknown };
  try {
    body = await c.req.json();
  } catch {
    return c.json(badRequest('the body must be JSON: {"csr": "<PEM>", "validitySeconds": 86400}'), 400);
  }
  if (typeof body?.csr !== "string") return c.json(badRequest("csr: a PEM certificate request is required"), 400);
  const validity = body.validitySeconds ?? DEFAULT_VALIDITY_SECONDS;
  if (typeof validity !== "number") return c.json(badRequest("validitySeconds: a number is required"), 400);
  // The admin may sign for a named identity; a workload only for its own.
  const identity = caller.admin
    ? typeof body.namespace === "string" && typeof body.serviceAccount === "string"
      ? { namespace: body.namespace, serviceAccount: body.serviceAccount }
      : undefined
    : { namespace: caller.namespace, serviceAccount: caller.serviceAccount };
  if (!identity) return c.json(badRequest("with the admin token, name the identity: namespace and serviceAccount"), 400);
  try {
    const out = await (await meshCa(c.env)).sign(body.csr, identity, validity);
    c.header("cache-control", "no-store");
    if ((c.req.header("accept") ?? "").includes("application/x-pem-file")) return c.body(out.certChain.join(""), 200, { "content-type": "application/x-pem-file" });
    return c.json(out);
  } catch (e) {
    if (e instanceof CaError) return c.json(status(e.code, e.code === 403 ? "Forbidden" : "BadRequest", e.message), e.code);
    throw e;
  }
});

caApi.get("/mesh/v1/ca/roots", async (c) => {
  const ca = await meshCa(c.env);
  return c.body(ca.trustBundle().join(""), 200, { "content-type": "application/x-pem-file", "cache-control": "max-age=300" });
});

caApi.get("/mesh/v1/ca/agent.sh", (c) => c.body(agentScript(), 200, { "content-type": "text/x-shellscript" }));
