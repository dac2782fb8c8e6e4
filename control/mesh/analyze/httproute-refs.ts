// Gateway API HTTPRoute references (Istio reports these in route status, not in an analyzer; we
// report them as IST0101): a parentRef must name an existing Gateway or Service (GAMMA), a
// backendRef an existing Service. Namespaces default to the route's. Refs to other kinds
// (ServiceEntry parents, custom backends) are not checked.
import { specOf } from "../config.ts";
import type { HTTPRouteSpec } from "../compile/http-routes.ts";
import type { KubeObject } from "../kinds/types.ts";
import { namespaceOf, subjectOf, type AnalysisInput, type Finding } from "./finding.ts";
import { referencedResourceNotFound } from "./messages.ts";

const GATEWAY_GROUP = "gateway.networking.k8s.io";

function names(objects: KubeObject[]): Set<string> {
  return new Set(objects.map((o) => `${namespaceOf(o)}/${o.metadata.name}`));
}

export function analyzeHttpRouteRefs({ config }: AnalysisInput): Finding[] {
  const gateways = names(config.k8sGateways);
  const services = names(config.services);
  const out: Finding[] = [];
  for (const route of config.httpRoutes) {
    const subject = subjectOf(route);
    const spec = specOf<HTTPRouteSpec>(route);
    (spec.parentRefs ?? []).forEach((ref, i) => {
      const target = `${ref.namespace ?? namespaceOf(route)}/${ref.name}`;
      const kind = ref.kind ?? "Gateway";
      const group = ref.group ?? GATEWAY_GROUP;
      if (kind === "Gateway" && group === GATEWAY_GROUP && !gateways.has(target))
        out.push(referencedResourceNotFound(subject, "parentRef Gateway", target, `spec.parentRefs[${i}]`));
      else if (kind === "Service" && group === "" && !services.has(target))
        out.push(referencedResourceNotFound(subject, "parentRef Service", target, `spec.parentRefs[${i}]`));
    });
    (spec.rules ?? []).forEach((rule, i) =>
      (rule.backendRefs ?? []).forEach((ref, j) => {
        if ((ref.kind ?? "Service") !== "Service" || (ref.group ?? "") !== "") return;
        const target = `${ref.namespace ?? namespaceOf(route)}/${ref.name}`;
        if (!services.has(target)) out.push(referencedResourceNotFound(subject, "backendRef Service", target, `spec.rules[${i}].backendRefs[${j}]`));
      }),
    );
  }
  return out;
}
