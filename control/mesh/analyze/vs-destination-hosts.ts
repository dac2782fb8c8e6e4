// Istio's virtualservice.DestinationHostAnalyzer: every destination host must name a service
// the VirtualService's namespace can see (IST0101 "host" / "mirror host"); a destination port
// must be one the service exposes (IST0101 "host:port"); a service with several ports needs one
// (IST0112).
import { resolveHost } from "../hosts.ts";
import { findService, namespaceOf, subjectOf, type AnalysisInput, type Finding } from "./finding.ts";
import { referencedResourceNotFound, virtualServiceDestinationPortSelectorRequired } from "./messages.ts";
import { routeDestinations } from "./vs-destinations.ts";

export function analyzeDestinationHosts({ config, registry }: AnalysisInput): Finding[] {
  const out: Finding[] = [];
  for (const vs of config.virtualServices) {
    const subject = subjectOf(vs);
    const namespace = namespaceOf(vs);
    for (const { destination: d, path, mirror } of routeDestinations(vs)) {
      const service = findService(registry, resolveHost(d.host, namespace), namespace);
      if (!service) {
        out.push(referencedResourceNotFound(subject, mirror ? "mirror host" : "host", d.host, `${path}.host`));
        continue;
      }
      const port = d.port?.number;
      if (port === undefined) {
        if (service.ports.length > 1)
          out.push(virtualServiceDestinationPortSelectorRequired(subject, d.host, service.ports.map((p) => p.port), `${path}.host`));
      } else if (!service.ports.some((p) => p.port === port)) {
        out.push(referencedResourceNotFound(subject, "host:port", `${d.host}:${port}`, `${path}.port.number`));
      }
    }
  }
  return out;
}
