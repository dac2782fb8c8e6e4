// Istio's sidecar.SelectorAnalyzer and gateway.IngressGatewayPortAnalyzer, the parts that check a
// workload selector: a Sidecar's workloadSelector must match a workload of its namespace, an
// Istio Gateway's selector a workload anywhere (IST0101 "selector", as Istio reports both).
// For a Gateway whose workloads some Service selects, each server port must be a port or target
// port of such a Service (IST0162). Istio's default ingress gateway is modelled without its
// Service, so a Gateway on it is not port-checked unless the user applies that Service.
import { specOf } from "../config.ts";
import type { Registry } from "../registry/types.ts";
import { labelsSelect, selectorString, subjectOf, workloadsSelectedBy, type AnalysisInput, type Finding } from "./finding.ts";
import { gatewayPortNotDefinedOnService, referencedResourceNotFound } from "./messages.ts";

function sidecarSelectors({ config, registry }: AnalysisInput): Finding[] {
  return config.sidecars.flatMap((sc) => {
    const labels = specOf<{ workloadSelector?: { labels?: Record<string, string> } }>(sc).workloadSelector?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    const ns = sc.metadata.namespace;
    if (workloadsSelectedBy(registry, labels, ns ?? "").length) return [];
    return [referencedResourceNotFound(subjectOf(sc), "selector", selectorString(labels), "spec.workloadSelector.labels")];
  });
}

/** Ports reachable through the Services that select the given workloads, or undefined if none does. */
function servicePorts(registry: Registry, selected: Registry["workloads"]): Set<number> | undefined {
  const services = registry.services.filter(
    (s) => s.kind === "Service" && s.selector && selected.some((w) => w.namespace === s.namespace && labelsSelect(s.selector, w.labels)),
  );
  if (services.length === 0) return undefined;
  return new Set(services.flatMap((s) => s.ports.flatMap((p) => (typeof p.targetPort === "number" ? [p.port, p.targetPort] : [p.port]))));
}

function gatewaySelectors({ config, registry }: AnalysisInput): Finding[] {
  const out: Finding[] = [];
  for (const gw of config.gateways) {
    const spec = specOf<{ selector?: Record<string, string>; servers?: { port?: { number: number } }[] }>(gw);
    const selected = workloadsSelectedBy(registry, spec.selector);
    if (selected.length === 0) {
      out.push(referencedResourceNotFound(subjectOf(gw), "selector", selectorString(spec.selector), "spec.selector"));
      continue;
    }
    const ports = servicePorts(registry, selected);
    if (!ports) continue;
    (spec.servers ?? []).forEach((server, i) => {
      if (server.port && !ports.has(server.port.number))
        out.push(gatewayPortNotDefinedOnService(subjectOf(gw), server.port.number, selectorString(spec.selector), `spec.servers[${i}].port.number`));
    });
  }
  return out;
}

export function analyzeWorkloadSelectors(input: AnalysisInput): Finding[] {
  return [...sidecarSelectors(input), ...gatewaySelectors(input)];
}
