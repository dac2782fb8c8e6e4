// An AdmissionReview answer as JSON text. The patch in it is base64, whose alphabet JSON never
// escapes, so it is written into the text as it is: JSON.stringify would otherwise scan its
// kilobytes once more, character by character, which costs about as much as producing the patch.
import type { AdmissionReviewOut } from "./review.ts";

export function admissionReviewJson(review: AdmissionReviewOut): string {
  const { patch, ...response } = review.response;
  const text = JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind, response });
  if (patch === undefined) return text;
  // `response` is written last and is never empty (uid, allowed), so the text ends with its "}}".
  return `${text.slice(0, -2)},"patch":"${patch}"}}`;
}
