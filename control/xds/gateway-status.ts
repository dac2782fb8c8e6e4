// Gateway API status, as Istio's gateway controller writes it, computed when an object is read:
// Gateways get Accepted / Programmed (and per listener Accepted, NoConflicts, Programmed,
// ResolvedRefs, attachedRoutes) plus the proxy Service's address; HTTPRoutes get, per parent,
// Accepted and ResolvedRefs. `kubectl get gtw` then shows CLASS ADDRESS PROGRAMMED. HTTPS
// listeners and cross-namespace references are judged by the compiler's own functions, so a
// listener says Programmed exactly when its proxy opens it.
import { secretLookup } from "../mesh/compile/certificate-refs.ts";
import { listenerCertificates } from "../mesh/compile/gateway.ts";
import { GATEWAY_GROUP, referencePermitted } from "../mesh/compile/reference-grants.ts";
import { listenerRouteHostnames } from "../mesh/hosts.ts";
import { gatewayWorkloadName } from "../mesh/registry/index.ts";
import type { KubeObject } from "../mesh/kinds/types.ts";

/** The GatewayClasses this control plane implements (`istio` as the walkthroughs use it). */
export const GATEWAY_CLASSES = new Set(["istio", "edge-mesh"]);
export const CONTROLLER_NAME = "istio.io/gateway-controller";
const ROUTE_PROTOCOLS = new Set(["HTTP", "HTTPS"]);

interface Listener {
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
  tls?: { certificateRefs?: { group?: string; kind?: string; name: string; namespace?: string }[] };
  allowedRoutes?: { namespaces?: { from?: string } };
}
interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}
interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

type Cond = { type: string; status: "True" | "False" | "Unknown"; reason: string; message: string; observedGeneration?: number; lastTransitionTime: string };

function cond(obj: KubeObject, type: string, ok: boolean | "unknown", reason: string, message: string): Cond {
  return {
    type,
    status: ok === "unknown" ? "Unknown" : ok ? "True" : "False",
    reason,
    message,
    ...(typeof obj.metadata.generation === "number" ? { observedGeneration: obj.metadata.generation } : {}),
    lastTransitionTime: String(obj.metadata.creationTimestamp ?? new Date(0).toISOString()),
  };
}

const spec = <T>(o: KubeObject) => (o as { spec?: T }).spec ?? ({} as T);
const isKind = (o: KubeObject, kind: string) => o.kind === kind && o.apiVersion.startsWith("gateway.networking.k8s.io/");

function refersTo(ref: ParentRef, route: KubeObject, gateway: KubeObject): boolean {
  return (ref.kind ?? "Gateway") === "Gateway" && ref.name === gateway.metadata.name && (ref.namespace ?? route.metadata.namespace) === gateway.metadata.namespace;
}

/** The listener admits the route (parentRef, allowed namespaces), hostnames aside. */
function allowedBy(ref: ParentRef, route: KubeObject, gateway: KubeObject, l: Listener): boolean {
  if (!refersTo(ref, route, gateway)) return false;
  if (ref.sectionName !== undefined && ref.sectionName !== l.name) return false;
  if (ref.port !== undefined && ref.port !== l.port) return false;
  const from = l.allowedRoutes?.namespaces?.from ?? "Same";
  return from === "All" || from === "Selector" || route.metadata.namespace === gateway.metadata.namespace;
}

/** The route attaches to the listener: admitted, and their hostnames intersect (as compile/gateway.ts serves it). */
function attaches(ref: ParentRef, route: KubeObject, gateway: KubeObject, l: Listener): boolean {
  return allowedBy(ref, route, gateway, l) && listenerRouteHostnames(l.hostname, spec<{ hostnames?: string[] }>(route).hostnames ?? []).length > 0;
}

function gatewayStatus(gw: KubeObject, objects: KubeObject[]): Record<string, unknown> {
  const { gatewayClassName, listeners = [] } = spec<{ gatewayClassName?: string; listeners?: Listener[] }>(gw);
  if (!GATEWAY_CLASSES.has(gatewayClassName ?? ""))
    return { conditions: [cond(gw, "Accepted", "unknown", "Pending", "Waiting for controller"), cond(gw, "Programmed", "unknown", "Pending", "Waiting for controller")] };
  const routes = objects.filter((o) => isKind(o, "HTTPRoute"));
  const service = `${gatewayWorkloadName(gw.metadata.name)}.${gw.metadata.namespace}.svc.cluster.local`;
  const secrets = secretLookup(objects.filter((o) => o.kind === "Secret" && o.apiVersion === "v1"), objects.filter((o) => isKind(o, "ReferenceGrant")));
  return {
    addresses: [{ type: "Hostname", value: service }],
    conditions: [
      cond(gw, "Accepted", true, "Accepted", "Resource accepted"),
      cond(gw, "Programmed", true, "Programmed", `Resource programmed, assigned to service(s) ${service}:${listeners.map((l) => l.port).join(",")}`),
    ],
    listeners: listeners.map((l) => {
      const ok = ROUTE_PROTOCOLS.has(l.protocol);
      const certificates = listenerCertificates(l, gw.metadata.namespace ?? "default", secrets);
      const programmed = ok && certificates?.ok !== false;
      const attachedRoutes = routes.filter((r) => (spec<{ parentRefs?: ParentRef[] }>(r).parentRefs ?? []).some((ref) => attaches(ref, r, gw, l))).length;
      return {
        name: l.name,
        attachedRoutes,
        supportedKinds: ok ? [{ group: GATEWAY_GROUP, kind: "HTTPRoute" }] : [],
        conditions: [
          cond(gw, "Accepted", ok, ok ? "Accepted" : "UnsupportedProtocol", ok ? "No errors found" : `protocol ${l.protocol} is not served yet (HTTP and HTTPS only)`),
          cond(gw, "NoConflicts", false, "NoConflicts", "No conflicts found"),
          cond(gw, "Programmed", programmed, programmed ? "Programmed" : "Invalid", programmed ? "No errors found" : certificates?.ok === false ? `not programmed: ${certificates.message}` : "not programmed"),
          certificates?.ok === false
            ? cond(gw, "ResolvedRefs", false, certificates.reason, certificates.message)
            : cond(gw, "ResolvedRefs", true, "ResolvedRefs", "No errors found"),
        ],
      };
    }),
  };
}

function httpRouteStatus(route: KubeObject, objects: KubeObject[]): Record<string, unknown> {
  const { parentRefs = [], rules = [] } = spec<{ parentRefs?: ParentRef[]; rules?: { backendRefs?: BackendRef[] }[] }>(route);
  const services = new Set(objects.filter((o) => o.kind === "Service" && o.apiVersion === "v1").map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
  const refs = rules.flatMap((r) => r.backendRefs ?? []);
  const isService = (b: BackendRef) => (b.kind ?? "Service") === "Service" && (b.group ?? "") === "";
  const invalidKinds = refs.filter((b) => !isService(b)).map((b) => `${b.group ?? ""}/${b.kind}`);
  const missing = refs.filter((b) => isService(b) && !services.has(`${b.namespace ?? route.metadata.namespace}/${b.name}`)).map((b) => `${b.namespace ?? route.metadata.namespace}/${b.name}`);
  const grants = objects.filter((o) => isKind(o, "ReferenceGrant"));
  const from = { group: GATEWAY_GROUP, kind: "HTTPRoute", namespace: route.metadata.namespace ?? "default" };
  const notPermitted = refs
    .filter((b) => !referencePermitted(grants, from, { group: b.group ?? "", kind: b.kind ?? "Service", namespace: b.namespace ?? from.namespace, name: b.name }))
    .map((b) => `${b.namespace}/${b.name}`);
  const gateways = objects.filter((o) => isKind(o, "Gateway"));
  return {
    parents: parentRefs.map((ref) => {
      const gw = gateways.find((g) => refersTo(ref, route, g));
      const ours = gw && GATEWAY_CLASSES.has(spec<{ gatewayClassName?: string }>(gw).gatewayClassName ?? "");
      const listeners = gw ? (spec<{ listeners?: Listener[] }>(gw).listeners ?? []) : [];
      const allowed = gw && listeners.some((l) => allowedBy(ref, route, gw, l));
      const attached = gw && listeners.some((l) => attaches(ref, route, gw, l));
      return {
        parentRef: { group: "gateway.networking.k8s.io", kind: ref.kind ?? "Gateway", name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}), ...(ref.sectionName ? { sectionName: ref.sectionName } : {}), ...(ref.port ? { port: ref.port } : {}) },
        controllerName: CONTROLLER_NAME,
        conditions: [
          !gw
            ? cond(route, "Accepted", false, "NoMatchingParent", `parent gateway ${ref.namespace ?? route.metadata.namespace}/${ref.name} not found`)
            : !ours
              ? cond(route, "Accepted", false, "NoMatchingParent", `gateway ${gw.metadata.name} is not of a class this controller implements`)
              : attached
                ? cond(route, "Accepted", true, "Accepted", "Route was valid")
                : allowed
                  ? cond(route, "Accepted", false, "NoMatchingListenerHostname", "no hostname of the route intersects a hostname of the parent's listeners")
                  : cond(route, "Accepted", false, "NotAllowedByListeners", "no listener of the parent accepts this route"),
          notPermitted.length
            ? cond(route, "ResolvedRefs", false, "RefNotPermitted", `backendRef(s) to another namespace not permitted by any ReferenceGrant: ${notPermitted.join(", ")}`)
            : invalidKinds.length
            ? cond(route, "ResolvedRefs", false, "InvalidKind", `backend kind(s) not supported: ${invalidKinds.join(", ")}`)
            : missing.length
              ? cond(route, "ResolvedRefs", false, "BackendNotFound", `backend(s) not found: ${missing.join(", ")}`)
              : cond(route, "ResolvedRefs", true, "ResolvedRefs", "All references resolved"),
        ],
      };
    }),
  };
}

/** The object with its Gateway API status (other objects unchanged). */
export function withGatewayApiStatus(obj: KubeObject, objects: Iterable<KubeObject>): KubeObject {
  if (isKind(obj, "Gateway")) return { ...obj, status: { ...((obj.status as object) ?? {}), ...gatewayStatus(obj, [...objects]) } };
  if (isKind(obj, "HTTPRoute")) return { ...obj, status: { ...((obj.status as object) ?? {}), ...httpRouteStatus(obj, [...objects]) } };
  return obj;
}
