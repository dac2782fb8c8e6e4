// One AdmissionReview in, one out. A malformed review is the caller's error (400 with a Status);
// everything else is answered 200 with `allowed: true`: with a patch when the pod gets a sidecar,
// without one (and a warning saying why) when the pod is not to be injected or cannot be, since
// failing a pod's creation for the webhook's own limits is worse than a pod without a sidecar.
// Nothing here writes anywhere, so a dry-run request (request.dryRun) is answered like any other;
// only a real request hands the injected pod back to be kept (see `injected`).
import { badRequest, type KubeStatus } from "../control/api/status.ts";
import { injectPod } from "./inject.ts";
import { base64Json } from "./base64-json.ts";
import { provenPatch } from "./patch.ts";
import { isObject, readPod, type Pod } from "./pod.ts";
import { injectionDecision } from "./policy.ts";
import type { InjectionSettings } from "./settings.ts";

export const REVIEW_API_VERSION = "admission.k8s.io/v1";

export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: "JSONPatch";
  patch?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewOut {
  apiVersion: typeof REVIEW_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

/** `injected`: the pod as the patch leaves it (unless the request is a dry run), for whoever keeps admitted pods. */
export type ReviewResult = { status: 200; body: AdmissionReviewOut; injected?: { namespace: string; pod: Pod } } | { status: 400; body: KubeStatus };

/** Labels of a namespace the config API knows; undefined when it does not know it. */
export type NamespaceLabelsLookup = (namespace: string) => Promise<Record<string, string> | undefined>;

function answer(uid: string, extra: Omit<AdmissionResponse, "uid" | "allowed">): { status: 200; body: AdmissionReviewOut } {
  return { status: 200, body: { apiVersion: REVIEW_API_VERSION, kind: "AdmissionReview", response: { uid, allowed: true, ...extra } } };
}

/** Allowed unchanged; the reason goes to the audit log, the warnings to the client (kubectl prints them). */
function skip(uid: string, reason: string, warnings: string[]): ReviewResult {
  return answer(uid, { auditAnnotations: { injection: `skipped: ${reason}` }, ...(warnings.length ? { warnings } : {}) });
}

async function namespaceLabels(lookup: NamespaceLabelsLookup | undefined, namespace: string, warnings: string[]) {
  try {
    return await lookup?.(namespace);
  } catch (err) {
    warnings.push(`namespace ${namespace}: its labels could not be read from the config API (${String(err)}); the API server's selection stands`);
    return undefined;
  }
}

export async function reviewAdmission(review: unknown, settings: InjectionSettings, lookup?: NamespaceLabelsLookup): Promise<ReviewResult> {
  if (!isObject(review) || review.apiVersion !== REVIEW_API_VERSION || review.kind !== "AdmissionReview")
    return { status: 400, body: badRequest(`the body must be an AdmissionReview of apiVersion ${REVIEW_API_VERSION}`) };
  const request = review.request;
  if (!isObject(request)) return { status: 400, body: badRequest("request is required") };
  const uid = request.uid;
  if (typeof uid !== "string" || uid === "") return { status: 400, body: badRequest("request.uid is required") };
  if (!isObject(request.object)) return { status: 400, body: badRequest("request.object is required") };

  const resource = request.resource as { group?: unknown; resource?: unknown } | undefined;
  if (!isObject(resource) || resource.group !== "" || resource.resource !== "pods" || request.subResource || request.operation !== "CREATE")
    return skip(uid, "not a pod creation", ["the injection webhook only handles pod CREATE; check the webhook's rules"]);
  const read = readPod(request.object);
  if ("problem" in read) return skip(uid, "unreadable pod", [`sidecar not injected: ${read.problem}`]);
  const pod = read.pod;
  const namespace = (typeof request.namespace === "string" && request.namespace) || pod.metadata?.namespace || "default";

  const warnings: string[] = [];
  const decision = injectionDecision(pod, namespace, await namespaceLabels(lookup, namespace, warnings));
  if (!decision.inject) return skip(uid, decision.reason, warnings);

  let result;
  try {
    result = injectPod(pod, { namespace }, settings);
  } catch (err) {
    return skip(uid, "injector error", [...warnings, `sidecar not injected: the injector failed on this pod (${String(err)})`]);
  }
  if ("problem" in result) return skip(uid, "invalid pod settings", [...warnings, `sidecar not injected: ${result.problem}`]);
  const patch = provenPatch(pod, result.pod);
  if (!patch) return skip(uid, "injector error", [...warnings, "sidecar not injected: the injector produced a patch that does not apply"]);
  warnings.push(...result.warnings);
  const body = answer(uid, {
    patchType: "JSONPatch",
    patch: base64Json(patch),
    auditAnnotations: { injection: `injected: ${decision.reason}` },
    ...(warnings.length ? { warnings } : {}),
  }).body;
  return { status: 200, body, ...(request.dryRun === true ? {} : { injected: { namespace, pod: result.pod } }) };
}
