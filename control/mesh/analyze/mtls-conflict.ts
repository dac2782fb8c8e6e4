// MTLSPolicyConflict (IST0113, from Istio's retired auth.MTLSAnalyzer): a DestinationRule that
// sends plaintext (`tls.mode: DISABLE`) to workloads whose PeerAuthentication is STRICT, or Istio
// mTLS (`ISTIO_MUTUAL`) to workloads whose PeerAuthentication is DISABLE. Checked per service
// port and per subset, for the services the rule is the applicable one for (clients in the
// rule's own namespace), with the workloads' modes from compile/peer-auth.ts. Reported on the
// DestinationRule, naming the PeerAuthentication that set the mode.
import { specOf } from "../config.ts";
import { findDestinationRule, type Subset, type TrafficPolicy } from "../compile/destination-rules.ts";
import { resolvePeerAuth } from "../compile/peer-auth.ts";
import { hostMatches, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import type { ServicePort, Workload } from "../registry/types.ts";
import { labelsSelect, namespaceOf, serviceWorkloads, subjectOf, type AnalysisInput, type Finding, destinationRulesFor, servicesForHost } from "./finding.ts";
import { mtlsPolicyConflict } from "./messages.ts";

type TlsPolicy = TrafficPolicy & { tls?: { mode?: string } };

interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TlsPolicy;
  subsets?: (Subset & { trafficPolicy?: TlsPolicy })[];
}

/** The TLS mode of one cluster and the field it came from: subset over rule, port-level over plain. */
function tlsMode(spec: DestinationRuleSpec, port: number, subsetIndex?: number): { mode: string; field: string } | undefined {
  const levels: [TlsPolicy | undefined, string][] = [[spec.trafficPolicy, "spec.trafficPolicy"]];
  if (subsetIndex !== undefined) levels.unshift([spec.subsets![subsetIndex].trafficPolicy, `spec.subsets[${subsetIndex}].trafficPolicy`]);
  for (const [policy, path] of levels) {
    const i = policy?.portLevelSettings?.findIndex((p) => p.port?.number === port) ?? -1;
    const portMode = i >= 0 ? (policy!.portLevelSettings![i] as TlsPolicy).tls?.mode : undefined;
    if (portMode) return { mode: portMode, field: `${path}.portLevelSettings[${i}].tls.mode` };
    if (policy?.tls?.mode) return { mode: policy.tls.mode, field: `${path}.tls.mode` };
  }
  return undefined;
}

interface PeerAuthSpec {
  mtls?: { mode?: string };
  portLevelMtls?: Record<string, { mode?: string }>;
}

/** The workload's inbound mode on a port, and the PeerAuthentication that decided it. */
function peerMode(policies: KubeObject[], workload: Workload, port: number, input: AnalysisInput): { mode: string; policy?: string } {
  const resolved = resolvePeerAuth(policies, workload, input.registry);
  const mode = resolved.ports.find((p) => p.port === port)?.mode ?? resolved.mode;
  const set = (m: string | undefined) => m !== undefined && m !== "UNSET";
  // Origins run mesh → namespace → workload; the most specific one that sets a mode decides.
  for (const origin of [...resolved.origin].reverse()) {
    const p = policies.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === origin);
    const spec = p && specOf<PeerAuthSpec>(p);
    if (spec && (set(spec.portLevelMtls?.[String(port)]?.mode) || set(spec.mtls?.mode))) return { mode, policy: origin };
  }
  return { mode };
}

function targetPort(p: ServicePort, w: Workload): number | undefined {
  return typeof p.targetPort === "number" ? p.targetPort : w.namedPorts[p.targetPort];
}

export function analyzeMtlsConflicts(input: AnalysisInput): Finding[] {
  const { config, registry } = input;
  const out: Finding[] = [];
  for (const dr of config.destinationRules) {
    const spec = specOf<DestinationRuleSpec>(dr);
    const ns = namespaceOf(dr);
    const origin = `${ns}/${dr.metadata.name}`;
    const host = resolveHost(spec.host, ns);
    for (const service of servicesForHost(registry, host)) {
      if (findDestinationRule(destinationRulesFor(config, service.hostname), service.hostname, ns, service.namespace)?.origin !== origin) continue;
      const workloads = serviceWorkloads(registry, service).filter((w) => w.kind !== "Gateway");
      const clusters: (number | undefined)[] = [undefined, ...(spec.subsets ?? []).map((_, i) => i)];
      for (const port of service.ports)
        for (const subset of clusters) {
          const tls = tlsMode(spec, port.port, subset);
          if (tls?.mode !== "DISABLE" && tls?.mode !== "ISTIO_MUTUAL") continue;
          const wanted = tls.mode === "DISABLE" ? "STRICT" : "DISABLE";
          const labels = subset === undefined ? undefined : spec.subsets![subset].labels;
          for (const w of workloads.filter((w) => labelsSelect(labels, w.labels))) {
            const target = targetPort(port, w);
            if (target === undefined) continue;
            const peer = peerMode(config.peerAuthentications, w, target, input);
            if (peer.mode !== wanted || !peer.policy) continue;
            out.push(mtlsPolicyConflict(subjectOf(dr), `${service.hostname}:${port.port}`, origin, tls.mode === "ISTIO_MUTUAL", peer.policy, peer.mode, tls.field));
          }
        }
    }
  }
  return out;
}
