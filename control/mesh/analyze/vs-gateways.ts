// Istio's virtualservice.GatewayAnalyzer (the reference part): every gateway a VirtualService
// binds to, other than `mesh`, must exist as an Istio Gateway or a Gateway API Gateway
// (IST0101 "gateway"). Short names are relative to the VirtualService's namespace.
import { specOf } from "../config.ts";
import { qualifyGateway } from "../compile/virtual-services.ts";
import { namespaceOf, subjectOf, type AnalysisInput, type Finding } from "./finding.ts";
import { referencedResourceNotFound } from "./messages.ts";
import type { VirtualServiceRoutes } from "./vs-destinations.ts";

export function analyzeVirtualServiceGateways({ config }: AnalysisInput): Finding[] {
  const known = new Set([...config.gateways, ...config.k8sGateways].map((g) => `${namespaceOf(g)}/${g.metadata.name}`));
  const out: Finding[] = [];
  for (const vs of config.virtualServices)
    (specOf<VirtualServiceRoutes>(vs).gateways ?? []).forEach((gw, i) => {
      if (gw === "mesh" || known.has(qualifyGateway(gw, namespaceOf(vs)))) return;
      out.push(referencedResourceNotFound(subjectOf(vs), "gateway", gw, `spec.gateways[${i}]`));
    });
  return out;
}
