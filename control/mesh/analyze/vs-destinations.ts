// The destinations a VirtualService names, with the path of each (Istio's
// analyzers/virtualservice/util.go): tcp, tls and http routes, then http mirrors.
import { specOf } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";

export interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number };
}

interface RouteRule {
  route?: { destination?: Destination }[];
  mirror?: Destination;
  mirrors?: { destination?: Destination }[];
}

export interface VirtualServiceRoutes {
  hosts?: string[];
  gateways?: string[];
  exportTo?: string[];
  http?: RouteRule[];
  tcp?: RouteRule[];
  tls?: RouteRule[];
}

export interface AnnotatedDestination {
  destination: Destination;
  /** `spec.http[0].route[1].destination` */
  path: string;
  mirror: boolean;
}

export function routeDestinations(vs: KubeObject): AnnotatedDestination[] {
  const spec = specOf<VirtualServiceRoutes>(vs);
  const out: AnnotatedDestination[] = [];
  for (const section of ["tcp", "tls", "http"] as const)
    (spec[section] ?? []).forEach((rule, i) =>
      (rule.route ?? []).forEach((r, j) => {
        if (r.destination) out.push({ destination: r.destination, path: `spec.${section}[${i}].route[${j}].destination`, mirror: false });
      }),
    );
  (spec.http ?? []).forEach((rule, i) => {
    if (rule.mirror) out.push({ destination: rule.mirror, path: `spec.http[${i}].mirror`, mirror: true });
    (rule.mirrors ?? []).forEach((m, j) => {
      if (m.destination) out.push({ destination: m.destination, path: `spec.http[${i}].mirrors[${j}].destination`, mirror: true });
    });
  });
  return out;
}
