// The inbound policy side of each workload: mTLS mode (PeerAuthentication), AuthorizationPolicy
// and RequestAuthentication tables. They depend only on which policies apply to the workload and
// at which level, so workloads with the same selection share one compiled value: most workloads of
// a namespace see just its namespace- and mesh-wide policies, and compiling (and keeping) a copy
// per workload was a large share of a big mesh's compile time.
import { ROOT_NAMESPACE, specOf, type MeshConfig } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";
import { getOrInsert, push } from "../maps.ts";
import type { Registry, Workload } from "../registry/types.ts";
import type { AuthzConfig } from "../snapshot.ts";
import { compileAuthorization, compileJwtRules } from "./authz.ts";
import { resolvePeerAuth } from "./peer-auth.ts";
import { policyScope } from "./selection.ts";

/**
 * The policies of one kind that can apply in a namespace (its own and the root namespace's,
 * oldest first), indexed so that a workload tests only those that can select it: the ones with a
 * label selector are filed under one of its labels, the rest (namespace-wide, targetRefs) are
 * tested for every workload. Without the index every workload tests every policy of its
 * namespace, which grows with the square of the mesh.
 */
class ScopedPolicies {
  private readonly unindexed: number[] = [];
  private readonly byLabel = new Map<string, Map<string, number[]>>();

  constructor(readonly list: KubeObject[]) {
    list.forEach((policy, i) => {
      const spec = specOf<SelectorSpec>(policy);
      const first = !spec.targetRef && !spec.targetRefs?.length && spec.selector?.matchLabels && Object.entries(spec.selector.matchLabels)[0];
      if (!first) {
        this.unindexed.push(i);
        return;
      }
      push(getOrInsert(this.byLabel, first[0], () => new Map<string, number[]>()), first[1], i);
    });
  }

  /** The policies that apply to the workload, in list order, and a key naming that selection (a
   *  policy's level, when it applies, follows from the policy alone, so the indices say it all). */
  select(workload: Workload, registry: Registry): { key: string; applicable: KubeObject[] } {
    let candidates = this.unindexed;
    for (const k in workload.labels) {
      const filed = this.byLabel.get(k)?.get(workload.labels[k]);
      if (filed) candidates = candidates.concat(filed);
    }
    // Each policy is filed once, so there are no duplicates; only the order needs restoring.
    if (candidates !== this.unindexed) candidates.sort((a, b) => a - b);
    let key = "";
    const applicable: KubeObject[] = [];
    for (const i of candidates) {
      if (!policyScope(this.list[i], workload, registry)) continue;
      key += `${i},`;
      applicable.push(this.list[i]);
    }
    return { key, applicable };
  }
}

interface SelectorSpec {
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: unknown;
  targetRefs?: unknown[];
}

/** The policies that can apply in one namespace, and what they compiled to per selection. */
interface NamespacePolicies {
  peerAuthentications: ScopedPolicies;
  authorizationPolicies: ScopedPolicies;
  requestAuthentications: ScopedPolicies;
  compiled: Map<string, AuthzConfig>;
}

export class WorkloadPolicies {
  private readonly byNamespace = new Map<string, NamespacePolicies>();

  constructor(
    private readonly config: MeshConfig,
    private readonly registry: Registry,
  ) {}

  private inNamespace(namespace: string): NamespacePolicies {
    return getOrInsert(this.byNamespace, namespace, () => {
      const inScope = (list: KubeObject[]) => new ScopedPolicies(list.filter((p) => p.metadata.namespace === namespace || p.metadata.namespace === ROOT_NAMESPACE));
      return {
        peerAuthentications: inScope(this.config.peerAuthentications),
        authorizationPolicies: inScope(this.config.authorizationPolicies),
        requestAuthentications: inScope(this.config.requestAuthentications),
        compiled: new Map(),
      };
    });
  }

  of(workload: Workload): AuthzConfig {
    const scoped = this.inNamespace(workload.namespace);
    const { registry } = this;
    const peer = scoped.peerAuthentications.select(workload, registry);
    const authz = scoped.authorizationPolicies.select(workload, registry);
    const jwt = scoped.requestAuthentications.select(workload, registry);
    // Gateways' mTLS does not come from PeerAuthentication (see resolvePeerAuth).
    const key = `${workload.kind === "Gateway" ? "gw" : "sidecar"}|${peer.key}|${authz.key}|${jwt.key}`;
    return getOrInsert(scoped.compiled, key, () => ({
      mtls: resolvePeerAuth(peer.applicable, workload, registry),
      policies: compileAuthorization(authz.applicable, workload, registry),
      jwt: compileJwtRules(jwt.applicable, workload, registry),
    }));
  }
}
