// The MutatingWebhookConfiguration that points a cluster's API server at this webhook, with Istio's
// name and selectors (so `kubectl label namespace ... istio-injection=enabled` and istio.io/rev=default
// work as with istiod): pods CREATE, fail closed (a pod that should be meshed is not created
// without its sidecar). The config API serves the same object read-only.
import { INJECT_KEY, NAMESPACE_LABEL } from "./policy.ts";

export const WEBHOOK_CONFIG_NAME = "istio-sidecar-injector";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why the API server would refuse this clientConfig.url, or undefined when it is fine. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `url "${url}" is not an absolute URL`;
  }
  if (parsed.protocol !== "https:") return "url must use https (the API server calls webhooks over TLS only)";
  if (parsed.username || parsed.password) return "url must not carry a user or password";
  if (parsed.search || parsed.hash || url.includes("?") || url.includes("#")) return "url must not have a query or a fragment";
  return undefined;
}

export function caBundleProblem(caBundle: string | undefined): string | undefined {
  return caBundle === undefined || BASE64.test(caBundle) ? undefined : "caBundle must be the base64 of PEM certificates";
}

/** Istio's revision label: `istio.io/rev=default` opts a namespace (or a pod) in like istio-injection=enabled. */
const REVISION_LABEL = "istio.io/rev";
const REVISION = "default";

type Requirement = { key: string; operator: "In" | "NotIn" | "DoesNotExist"; values?: string[] };
const is = (key: string, value: string): Requirement => ({ key, operator: "In", values: [value] });
const isNot = (key: string, value: string): Requirement => ({ key, operator: "NotIn", values: [value] });
const absent = (key: string): Requirement => ({ key, operator: "DoesNotExist" });

/** Istio's four injector webhooks (istio-discovery's mutatingwebhook.yaml, default revision): a
 *  namespace opts in by istio-injection=enabled or istio.io/rev=default, and in a namespace with
 *  neither a pod opts in by sidecar.istio.io/inject=true or istio.io/rev=default. */
const SELECTORS: { name: string; namespace: Requirement[]; object: Requirement[] }[] = [
  { name: "rev.namespace", namespace: [is(REVISION_LABEL, REVISION), absent(NAMESPACE_LABEL)], object: [isNot(INJECT_KEY, "false")] },
  { name: "rev.object", namespace: [absent(REVISION_LABEL), absent(NAMESPACE_LABEL)], object: [isNot(INJECT_KEY, "false"), is(REVISION_LABEL, REVISION)] },
  { name: "namespace", namespace: [is(NAMESPACE_LABEL, "enabled")], object: [isNot(INJECT_KEY, "false")] },
  { name: "object", namespace: [absent(NAMESPACE_LABEL), absent(REVISION_LABEL)], object: [is(INJECT_KEY, "true"), absent(REVISION_LABEL)] },
];

/** @param caBundle base64 PEM, only for a server whose certificate is not publicly trusted. */
export function webhookConfiguration(url: string, caBundle?: string) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIG_NAME, labels: { app: "sidecar-injector", [REVISION_LABEL]: REVISION, "app.kubernetes.io/name": "edge-mesh" } },
    webhooks: SELECTORS.map((s) => ({
      name: `${s.name}.sidecar-injector.istio.io`,
      clientConfig: { url, ...(caBundle ? { caBundle } : {}) },
      rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
      namespaceSelector: { matchExpressions: s.namespace },
      objectSelector: { matchExpressions: s.object },
      failurePolicy: "Fail",
      matchPolicy: "Equivalent",
      sideEffects: "None",
      timeoutSeconds: 10,
      reinvocationPolicy: "Never",
      admissionReviewVersions: ["v1"],
    })),
  };
}
