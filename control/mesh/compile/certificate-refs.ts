// A Gateway listener's (or Istio Gateway server's) serving certificates: each reference resolved
// to a Secret the listener may use, or the Gateway API reason it cannot (what the listener's
// ResolvedRefs condition says). Shared by the compiler and the Gateway status, so a listener is
// programmed exactly when its status says its references resolved.
import type { KubeObject } from "../kinds/types.ts";
import { checkTlsSecret } from "../tls-secret.ts";
import { GATEWAY_GROUP, referencePermitted } from "./reference-grants.ts";

export interface CertificateRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** What resolving certificate references needs: the Secrets and ReferenceGrants of the mesh. */
export interface SecretLookup {
  secret(namespace: string, name: string): KubeObject | undefined;
  referenceGrants: readonly KubeObject[];
}

export type ResolvedCertificates =
  | { ok: true; certificates: { secret: string; version?: string }[] }
  | { ok: false; reason: "RefNotPermitted" | "InvalidCertificateRef"; message: string };

export function secretLookup(secrets: readonly KubeObject[], referenceGrants: readonly KubeObject[]): SecretLookup {
  const byKey = new Map(secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  return { secret: (ns, name) => byKey.get(`${ns}/${name}`), referenceGrants };
}

/** The listener's certificate references of a Gateway (API) in `namespace`. */
export function resolveCertificateRefs(refs: readonly CertificateRef[], namespace: string, lookup: SecretLookup): ResolvedCertificates {
  const certificates: { secret: string; version?: string }[] = [];
  if (!refs.length) return { ok: false, reason: "InvalidCertificateRef", message: "no certificateRefs: options-only TLS is not supported" };
  for (const ref of refs) {
    const target = `${ref.namespace ?? namespace}/${ref.name}`;
    if ((ref.group ?? "") !== "" || (ref.kind ?? "Secret") !== "Secret")
      return { ok: false, reason: "InvalidCertificateRef", message: `certificateRef ${ref.group ?? ""}/${ref.kind} ${target}: only core Secrets are supported` };
    const to = { group: "", kind: "Secret", namespace: ref.namespace ?? namespace, name: ref.name };
    if (!referencePermitted(lookup.referenceGrants, { group: GATEWAY_GROUP, kind: "Gateway", namespace }, to))
      return { ok: false, reason: "RefNotPermitted", message: `certificateRef to Secret ${target} is not permitted by any ReferenceGrant` };
    const secret = lookup.secret(to.namespace, to.name);
    if (!secret) return { ok: false, reason: "InvalidCertificateRef", message: `Secret ${target} not found` };
    const verdict = checkTlsSecret(secret);
    if (!verdict.ok) return { ok: false, reason: "InvalidCertificateRef", message: verdict.message };
    certificates.push({ secret: target, ...(secret.metadata.resourceVersion ? { version: secret.metadata.resourceVersion } : {}) });
  }
  return { ok: true, certificates };
}
