// What istiod's webhook checks in every Istio object's metadata before its spec
// (pkg/config/validation/validation.go validateMetadata, checkDryRunAnnotation), with its texts:
// the `istio.io/dry-run` annotation only on an AuthorizationPolicy with action ALLOW or DENY and a
// value strconv.ParseBool takes, and no internal annotations that only istiod may set.
import type { FieldError, KindSpec, KubeObject } from "../kinds/types.ts";

const DRY_RUN = "istio.io/dry-run";
/** Go's strconv.ParseBool. */
const GO_BOOLS = new Set(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]);
const INTERNAL: [string, string][] = [
  ["internal.istio.io/webhook-always-reject", "annotation found, rejecting"],
  ["internal.istio.io/parent-namespace", "annotation found, this may not be set by users"],
  ["internal.istio.io/parents", "annotation found, this may not be set by users"],
];

export const isIstioKind = (spec: KindSpec) => spec.group.endsWith("istio.io");

const invalid = (annotation: string, message: string): FieldError => ({ field: `metadata.annotations[${annotation}]`, reason: "FieldValueInvalid", message: `Invalid value: ${message}` });

export function istioMetadataErrors(spec: KindSpec, obj: KubeObject): FieldError[] {
  const annotations = obj.metadata?.annotations ?? {};
  const where = `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
  const errors: FieldError[] = [];
  const dryRun = annotations[DRY_RUN];
  if (dryRun !== undefined) {
    if (spec.kind !== "AuthorizationPolicy") errors.push(invalid(DRY_RUN, `${where} has unsupported annotation ${DRY_RUN}, please remove the annotation`));
    else {
      const action = (obj.spec as { action?: string } | undefined)?.action ?? "ALLOW";
      if (action !== "ALLOW" && action !== "DENY")
        errors.push(invalid(DRY_RUN, `the annotation ${DRY_RUN} currently only supports action ALLOW/DENY, found action ${action} in ${where}`));
      else if (!GO_BOOLS.has(dryRun))
        errors.push(invalid(DRY_RUN, `${where} has annotation ${DRY_RUN} with invalid value (${dryRun}): strconv.ParseBool: parsing ${JSON.stringify(dryRun)}: invalid syntax`));
    }
  }
  for (const [annotation, message] of INTERNAL) if (annotations[annotation] !== undefined) errors.push(invalid(annotation, `"${annotation}" ${message}`));
  return errors;
}
