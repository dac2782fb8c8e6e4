// PeerAuthentication → the inbound mTLS mode of a workload, with Istio's precedence:
// workload selector > namespace > mesh (root namespace); UNSET inherits; default PERMISSIVE.
// portLevelMtls comes from the workload-level policy and overrides per target port.
import { specOf } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";
import type { Registry, Workload } from "../registry/types.ts";
import type { MtlsPolicy, PeerAuthMode } from "../snapshot.ts";
import { policyScope, type Scope } from "./selection.ts";

type Mode = PeerAuthMode | "UNSET";

interface PeerAuthSpec {
  mtls?: { mode?: Mode };
  portLevelMtls?: Record<string, { mode?: Mode }>;
}

/** Broadest first: each narrower level overrides what the broader one set. */
const BROADEST_FIRST: Scope[] = ["mesh", "namespace", "workload"];

export function resolvePeerAuth(policies: KubeObject[], workload: Workload, registry: Registry): MtlsPolicy {
  if (workload.kind === "Gateway") return { mode: "DISABLE", ports: [], origin: ["gateway: listeners follow the Gateway's TLS settings, not PeerAuthentication"] };
  // The oldest policy wins at each level (policies arrive sorted by age).
  const atLevel = new Map<Scope, KubeObject>();
  for (const p of policies) {
    const scope = policyScope(p, workload, registry);
    if (scope && !atLevel.has(scope)) atLevel.set(scope, p);
  }
  let mode: PeerAuthMode = "PERMISSIVE";
  const origin: string[] = [];
  for (const scope of BROADEST_FIRST) {
    const p = atLevel.get(scope);
    const m = p && specOf<PeerAuthSpec>(p).mtls?.mode;
    if (p) origin.push(`${p.metadata.namespace}/${p.metadata.name}`);
    if (m && m !== "UNSET") mode = m;
  }
  const workloadPolicy = atLevel.get("workload");
  const ports = Object.entries((workloadPolicy && specOf<PeerAuthSpec>(workloadPolicy).portLevelMtls) ?? {})
    .map(([port, { mode: m }]) => ({ port: Number(port), mode: !m || m === "UNSET" ? mode : m }))
    .sort((a, b) => a.port - b.port);
  return { mode, ports, origin };
}
