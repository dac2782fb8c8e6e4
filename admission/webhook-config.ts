// The MutatingWebhookConfiguration that points a cluster's API server at this webhook: pods CREATE
// in namespaces labelled istio-injection=enabled, except pods labelled sidecar.istio.io/inject=false;
// fail closed (a pod that should be meshed is not created without its sidecar).
import { INJECT_KEY, NAMESPACE_LABEL } from "./policy.ts";

export const WEBHOOK_CONFIG_NAME = "edge-mesh-sidecar-injector";
const WEBHOOK_NAME = "sidecar-injector.edge-mesh.io";
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

/** @param caBundle base64 PEM, only for a server whose certificate is not publicly trusted. */
export function webhookConfiguration(url: string, caBundle?: string) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIG_NAME, labels: { "app.kubernetes.io/name": "edge-mesh" } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        clientConfig: { url, ...(caBundle ? { caBundle } : {}) },
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
        namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: "enabled" } },
        objectSelector: { matchExpressions: [{ key: INJECT_KEY, operator: "NotIn", values: ["false"] }] },
        failurePolicy: "Fail",
        matchPolicy: "Equivalent",
        sideEffects: "None",
        timeoutSeconds: 10,
        reinvocationPolicy: "Never",
        admissionReviewVersions: ["v1"],
      },
    ],
  };
}
