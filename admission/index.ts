// The sidecar injection webhook as a Hono sub-app the Worker mounts ahead of its admin-token check:
// the API server calls POST /inject with no bearer token (over TLS; optionally with a shared secret
// as the last path segment), and GET /mesh/v1/webhook-config prints the configuration that points a
// cluster at it. The module imports nothing of control/ at run time but the Status builder; the
// config API's namespace labels come in through `namespaceLabels`.
import { Hono, type Context } from "hono";
import { status, type KubeStatus } from "../control/api/status.ts";
import type { Pod } from "./pod.ts";
import { reviewAdmission, type NamespaceLabelsLookup } from "./review.ts";
import { admissionReviewJson } from "./review-json.ts";
import { settingsFromEnv, type AdmissionBindings, type InjectionSettings } from "./settings.ts";
import { caBundleProblem, webhookConfiguration, webhookUrlProblem } from "./webhook-config.ts";

export { injectPod, type InjectionContext } from "./inject.ts";
export { reviewAdmission } from "./review.ts";
export { DEFAULT_SETTINGS, type AdmissionBindings, type InjectionSettings } from "./settings.ts";

export interface AdmissionDeps<E> {
  /** The labels of a namespace the config API knows (undefined when it does not). */
  namespaceLabels?: (env: E, namespace: string) => Promise<Record<string, string> | undefined>;
  /** Keeps a pod the webhook injected, by its name or (a ReplicaSet's pod) its generateName. */
  admitted?: (env: E, namespace: string, nameOrPrefix: string, pod: Pod) => Promise<void>;
}

/** The API server gives a webhook 10 s in all; the config API gets a small share of it. */
const LOOKUP_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function sha256(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

/** Constant-time comparison (of digests, so lengths never leak either). */
async function secretMatches(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(presented), sha256(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function fail(c: Context, s: KubeStatus): Response {
  return c.json(s, s.code as 400);
}

/** The env of a request that came with none (tests, the benchmark): one object, so it can be remembered. */
const NO_BINDINGS: AdmissionBindings = {};

export function createAdmissionApp<E extends AdmissionBindings = AdmissionBindings>(deps: AdmissionDeps<E> = {}) {
  const app = new Hono<{ Bindings: E }>();

  // The settings follow from the env and the URL called, which stay the same review after review
  // (the API server calls one URL): they are built again only when either changes.
  let last: { env: E; url: string; settings: InjectionSettings } | undefined;
  const settingsFor = (env: E, url: string): InjectionSettings => {
    if (last?.env !== env || last.url !== url) last = { env, url, settings: settingsFromEnv(env, url) };
    return last.settings;
  };

  const inject = async (c: Context<{ Bindings: E }>) => {
    const env = (c.env ?? NO_BINDINGS) as E;
    const expected = env.MESH_WEBHOOK_SECRET;
    const presented = c.req.param("secret");
    if (expected ? presented === undefined || !(await secretMatches(presented, expected)) : presented !== undefined)
      return expected
        ? fail(c, status(403, "Forbidden", "the webhook secret in the path does not match"))
        : fail(c, status(404, "NotFound", "no webhook secret is configured (MESH_WEBHOOK_SECRET): use /inject"));

    const mime = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (mime !== "application/json")
      return fail(c, status(415, "UnsupportedMediaType", `the body must be application/json, not "${mime || "nothing"}"`));
    let text: string;
    try {
      text = await c.req.text();
    } catch {
      return fail(c, status(400, "BadRequest", "the body could not be read"));
    }
    if (text.trim() === "") return fail(c, status(400, "BadRequest", "the body is empty; expected an AdmissionReview"));
    let review: unknown;
    try {
      review = JSON.parse(text);
    } catch {
      return fail(c, status(400, "BadRequest", "the body is not valid JSON; expected an AdmissionReview"));
    }
    // Only a caller that proved the secret learns what the config API knows: an anonymous /inject
    // would otherwise tell anyone which namespaces are labelled istio-injection=disabled.
    const lookup: NamespaceLabelsLookup | undefined =
      expected && deps.namespaceLabels ? (ns) => withTimeout(deps.namespaceLabels!(env, ns), LOOKUP_TIMEOUT_MS) : undefined;
    const result = await reviewAdmission(review, settingsFor(env, c.req.url), lookup);
    if (result.status !== 200) return fail(c, result.body);
    const key = result.injected?.pod.metadata?.name || result.injected?.pod.metadata?.generateName;
    if (deps.admitted && result.injected && key) {
      // Keeping the pod is for `kubectl get pods`; the review's answer never waits long or fails for it.
      await withTimeout(deps.admitted(env, result.injected.namespace, key, result.injected.pod), LOOKUP_TIMEOUT_MS).catch((err: unknown) =>
        console.error("recording the admitted pod failed", err instanceof Error ? err.message : err),
      );
    }
    return c.body(admissionReviewJson(result.body), 200, { "content-type": "application/json" });
  };
  app.post("/inject", inject);
  app.post("/inject/:secret", inject);

  app.get("/mesh/v1/webhook-config", (c) => {
    const env = (c.env ?? NO_BINDINGS) as E;
    const given = c.req.query("url");
    if (given === undefined && env.MESH_WEBHOOK_SECRET)
      return fail(c, status(400, "BadRequest", "pass ?url=<origin>/inject/<secret>: this endpoint never prints the webhook secret"));
    const url = given ?? `${new URL(c.req.url).origin}/inject`;
    const caBundle = c.req.query("caBundle");
    const problem = webhookUrlProblem(url) ?? caBundleProblem(caBundle);
    if (problem) return fail(c, status(400, "BadRequest", problem));
    return c.json(webhookConfiguration(url, caBundle));
  });

  return app;
}
