// Istio's virtualservice.ConflictingMeshGatewayHostsAnalyzer (IST0109): two VirtualServices bound
// to the mesh that define the same host for the same audience. Hosts are keyed by exportTo scope
// (`*`, or each namespace exported to) and FQDN, as `<scope>/<fqdn>`; a namespace-scoped key also
// conflicts with every exported-to-all host that overlaps it. Each VirtualService is reported
// once, naming all the VirtualServices of its first conflict (keys taken in sorted order).
import { specOf } from "../config.ts";
import { boundGateways } from "../compile/virtual-services.ts";
import { hostsIntersect, resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { namespaceOf, subjectOf, type AnalysisInput, type Finding } from "./finding.ts";
import { conflictingMeshGatewayVirtualServiceHosts } from "./messages.ts";
import type { VirtualServiceRoutes } from "./vs-destinations.ts";

const ALL = "*";

function scopes(vs: KubeObject): string[] {
  const exportTo = specOf<VirtualServiceRoutes>(vs).exportTo ?? [];
  if (exportTo.length === 0 || exportTo.includes(ALL)) return [ALL];
  return [...new Set(exportTo.map((e) => (e === "." ? namespaceOf(vs) : e)))];
}

export function analyzeConflictingMeshHosts({ config }: AnalysisInput): Finding[] {
  const byKey = new Map<string, KubeObject[]>();
  for (const vs of config.virtualServices) {
    if (!boundGateways(vs).includes("mesh")) continue;
    for (const scope of scopes(vs))
      for (const h of specOf<VirtualServiceRoutes>(vs).hosts ?? []) {
        const key = `${scope}/${resolveHost(h, namespaceOf(vs))}`;
        const list = byKey.get(key) ?? [];
        if (!list.includes(vs)) list.push(vs);
        byKey.set(key, list);
      }
  }
  const exportedToAll = [...byKey.entries()].filter(([key]) => key.startsWith(`${ALL}/`));
  const reported = new Set<KubeObject>();
  const out: Finding[] = [];
  for (const [key, own] of [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const host = key.slice(key.indexOf("/") + 1);
    const list = [...own];
    if (!key.startsWith(`${ALL}/`))
      for (const [other, vss] of exportedToAll)
        if (hostsIntersect(host, other.slice(ALL.length + 1))) for (const vs of vss) if (!list.includes(vs)) list.push(vs);
    if (list.length < 2) continue;
    const names = list.map((vs) => `${namespaceOf(vs)}/${vs.metadata.name}`).sort().join(",");
    for (const vs of list) {
      if (reported.has(vs)) continue;
      reported.add(vs);
      out.push(conflictingMeshGatewayVirtualServiceHosts(subjectOf(vs), names, key, "spec.hosts"));
    }
  }
  return out;
}
