// The inbound policy side of each workload: mTLS mode (PeerAuthentication), AuthorizationPolicy
// and RequestAuthentication tables. They depend only on which policies apply to the workload and
// at which level, so workloads with the same selection share one compiled value: most workloads of
// a namespace see just its namespace- and mesh-wide policies, and compiling (and keeping) a copy
// per workload was a large share of a big mesh's compile time.
import { ROOT_NAMESPACE, type MeshConfig } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";
import type { Registry, Workload } from "../registry/types.ts";
import type { AuthzConfig } from "../snapshot.ts";
import { compileAuthorization, compileJwtRules } from "./authz.ts";
import { resolvePeerAuth } from "./peer-auth.ts";
import { policyScope } from "./selection.ts";

/** The policies that can apply in one namespace (its own and the root namespace's, oldest first), and what they compiled to. */
interface NamespacePolicies {
  peerAuthentications: KubeObject[];
  authorizationPolicies: KubeObject[];
  requestAuthentications: KubeObject[];
  compiled: Map<string, AuthzConfig>;
}

/** Which of `policies` apply to the workload, and at which level: `<index><scope initial>,...`. */
function selectionKey(policies: KubeObject[], workload: Workload, registry: Registry): string {
  let key = "";
  for (let i = 0; i < policies.length; i++) {
    const scope = policyScope(policies[i], workload, registry);
    if (scope) key += `${i}${scope[0]},`;
  }
  return key;
}

export class WorkloadPolicies {
  private readonly byNamespace = new Map<string, NamespacePolicies>();

  constructor(
    private readonly config: MeshConfig,
    private readonly registry: Registry,
  ) {}

  private inNamespace(namespace: string): NamespacePolicies {
    let scoped = this.byNamespace.get(namespace);
    if (!scoped) {
      const inScope = (list: KubeObject[]) => list.filter((p) => p.metadata.namespace === namespace || p.metadata.namespace === ROOT_NAMESPACE);
      scoped = {
        peerAuthentications: inScope(this.config.peerAuthentications),
        authorizationPolicies: inScope(this.config.authorizationPolicies),
        requestAuthentications: inScope(this.config.requestAuthentications),
        compiled: new Map(),
      };
      this.byNamespace.set(namespace, scoped);
    }
    return scoped;
  }

  of(workload: Workload): AuthzConfig {
    const scoped = this.inNamespace(workload.namespace);
    const { registry } = this;
    // Gateways' mTLS does not come from PeerAuthentication (see resolvePeerAuth).
    const key = `${workload.kind === "Gateway" ? "gw" : "sidecar"}|${selectionKey(scoped.peerAuthentications, workload, registry)}|${selectionKey(scoped.authorizationPolicies, workload, registry)}|${selectionKey(scoped.requestAuthentications, workload, registry)}`;
    let compiled = scoped.compiled.get(key);
    if (!compiled) {
      compiled = {
        mtls: resolvePeerAuth(scoped.peerAuthentications, workload, registry),
        policies: compileAuthorization(scoped.authorizationPolicies, workload, registry),
        jwt: compileJwtRules(scoped.requestAuthentications, workload, registry),
      };
      scoped.compiled.set(key, compiled);
    }
    return compiled;
  }
}
