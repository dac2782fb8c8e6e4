// The registry of every kind the API serves: names, versions, columns and schemas.
// Discovery, OpenAPI, routing and validation all read from here, so adding a kind is one entry.
import { configMapSchema, deploymentSchema, namespaceSchema, secretSchema, secretStoredForm, serviceAccountSchema, serviceSchema } from "../schema/core.ts";
import { gatewayClassSchema, httpRouteSchema, k8sGatewaySchema, referenceGrantSchema } from "../schema/gateway-api.ts";
import {
  destinationRuleSchema,
  gatewaySchema,
  serviceEntrySchema,
  sidecarSchema,
  virtualServiceSchema,
  workloadEntrySchema,
} from "../schema/networking.ts";
import { authorizationPolicySchema, peerAuthenticationSchema, requestAuthenticationSchema } from "../schema/security.ts";
import { z } from "zod";
import { computedColumn, fieldAt, pathColumn } from "./columns.ts";
import type { KindSpec, KubeObject } from "./types.ts";
import { POD_SYNC_CONDITION, SYNC_REASONS } from "../../proxy/sync-status.ts";

const ISTIO_NETWORKING = ["v1alpha3", "v1beta1", "v1"];
const ISTIO_SECURITY = ["v1beta1", "v1"];
const istioNetworking = ["istio-io", "networking-istio-io"];
const istioSecurity = ["istio-io", "security-istio-io"];

function servicePorts(obj: KubeObject): string | undefined {
  const ports = fieldAt(obj, ["spec", "ports"]) as { port: number; protocol?: string; nodePort?: number }[] | undefined;
  if (!ports?.length) return "<none>";
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",");
}

function conditionStatus(obj: KubeObject, type: string): string | undefined {
  const conditions = fieldAt(obj, ["status", "conditions"]) as { type: string; status: string }[] | undefined;
  return conditions?.find((c) => c.type === type)?.status;
}

function deploymentReplicas(obj: KubeObject): number {
  return (fieldAt(obj, ["spec", "replicas"]) as number | undefined) ?? 1;
}

interface ContainerStatus {
  ready: boolean;
  restartCount?: number;
  state?: { running?: object };
}

function containerStatuses(obj: KubeObject): ContainerStatus[] {
  return (fieldAt(obj, ["status", "containerStatuses"]) as ContainerStatus[] | undefined) ?? [];
}

/** Kubernetes' printPod: ready means ready and running, out of the spec's containers. */
function podReady(obj: KubeObject): string {
  const total = ((fieldAt(obj, ["spec", "containers"]) as unknown[] | undefined) ?? []).length;
  return `${containerStatuses(obj).filter((s) => s.ready && s.state?.running).length}/${total}`;
}

const SYNC_STATES = Object.fromEntries(Object.entries(SYNC_REASONS).map(([state, reason]) => [reason, state]));

/** The pod's ProxySynced condition as istioctl proxy-status words it (SYNCED, STALE, NOT SENT, ERROR). */
function proxySyncState(obj: KubeObject): string {
  const conditions = (fieldAt(obj, ["status", "conditions"]) as { type: string; reason?: string }[] | undefined) ?? [];
  const reason = conditions.find((c) => c.type === POD_SYNC_CONDITION)?.reason;
  return (reason && SYNC_STATES[reason]) ?? "<none>";
}

/** Derived kinds are never validated (never written): their schema accepts nothing. */
const NOT_WRITABLE = z.never();

export const KINDS: readonly KindSpec[] = [
  {
    group: "",
    kind: "Namespace",
    plural: "namespaces",
    singular: "namespace",
    shortNames: ["ns"],
    categories: [],
    namespaced: false,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [pathColumn("Status", "status.phase", "The phase of the namespace")],
    schema: namespaceSchema,
    generationFields: [],
  },
  {
    group: "",
    kind: "Service",
    plural: "services",
    singular: "service",
    shortNames: ["svc"],
    categories: ["all"],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [
      computedColumn("Type", "Type of the service", (o) => (fieldAt(o, ["spec", "type"]) as string) ?? "ClusterIP"),
      computedColumn("Cluster-IP", "Cluster IP of the service", (o) => (fieldAt(o, ["spec", "clusterIP"]) as string) ?? "<none>"),
      computedColumn("External-IP", "External IPs", (o) => ((fieldAt(o, ["spec", "externalIPs"]) as string[]) ?? []).join(",") || "<none>"),
      computedColumn("Port(s)", "Ports of the service", servicePorts),
      computedColumn(
        "Selector",
        "Pod selector",
        (o) =>
          Object.entries((fieldAt(o, ["spec", "selector"]) as Record<string, string>) ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(",") || "<none>",
        1,
      ),
    ],
    schema: serviceSchema,
    generationFields: [],
  },
  {
    group: "",
    kind: "Pod",
    plural: "pods",
    singular: "pod",
    shortNames: ["po"],
    categories: ["all"],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    // Kubernetes' pod printer columns (pkg/printers/internalversion/printers.go).
    columns: [
      computedColumn("Ready", "The aggregate readiness state of this pod for accepting traffic.", podReady),
      pathColumn("Status", "status.phase", "The aggregate status of the containers in this pod."),
      computedColumn(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        (o) => String(containerStatuses(o).reduce((n, s) => n + (s.restartCount ?? 0), 0)),
      ),
      computedColumn("IP", "IP address allocated to the pod.", (o) => (fieldAt(o, ["status", "podIP"]) as string) ?? "<none>", 1),
      computedColumn("Node", "Name of the node the pod is assigned to.", (o) => (fieldAt(o, ["spec", "nodeName"]) as string) ?? "<none>", 1),
      computedColumn(
        "Nominated Node",
        "Name of the node where the pod is nominated to run.",
        (o) => (fieldAt(o, ["status", "nominatedNodeName"]) as string) ?? "<none>",
        1,
      ),
      computedColumn("Readiness Gates", "Pod readiness gates.", (o) => ((fieldAt(o, ["spec", "readinessGates"]) as unknown[]) ?? []).length || "<none>", 1),
      computedColumn("Proxy", "Whether the pod's proxy runs the published config, as istioctl proxy-status says.", proxySyncState, 1),
    ],
    schema: NOT_WRITABLE,
    generationFields: [],
    readOnly: "pods are created by the mesh when a proxy registers its pod (PUT /mesh/v1/proxy/<namespace>/<workload>/endpoints/<pod>) and leave when it stops heartbeating",
    fieldSelectors: ["spec.serviceAccountName", "status.phase", "status.podIP"],
  },
  {
    group: "",
    kind: "Event",
    plural: "events",
    singular: "event",
    shortNames: ["ev"],
    categories: [],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [
      pathColumn("Type", "type", "The type of this event."),
      pathColumn("Reason", "reason", "The reason for this event."),
      pathColumn("Object", "involvedObject.name", "The object this event is about."),
      pathColumn("Message", "message", "A human-readable description of this event."),
    ],
    schema: NOT_WRITABLE,
    generationFields: [],
    readOnly: "this mesh records no events",
    fieldSelectors: ["involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid", "type", "reason"],
  },
  {
    group: "",
    kind: "ServiceAccount",
    plural: "serviceaccounts",
    singular: "serviceaccount",
    shortNames: ["sa"],
    categories: [],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [computedColumn("Secrets", "Number of secrets", (o) => ((fieldAt(o, ["secrets"]) as unknown[]) ?? []).length)],
    schema: serviceAccountSchema,
    generationFields: [],
  },
  {
    group: "",
    kind: "ConfigMap",
    plural: "configmaps",
    singular: "configmap",
    shortNames: ["cm"],
    categories: [],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [
      computedColumn(
        "Data",
        "Number of data entries",
        (o) => Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length,
      ),
    ],
    schema: configMapSchema,
    generationFields: [],
  },
  {
    group: "",
    kind: "Secret",
    plural: "secrets",
    singular: "secret",
    shortNames: [],
    categories: [],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [
      computedColumn("Type", "The type of the secret", (o) => o.type as string),
      computedColumn("Data", "Number of data entries", (o) => Object.keys((o.data as object) ?? {}).length),
    ],
    schema: secretSchema,
    generationFields: [],
    storedForm: secretStoredForm,
    sensitive: true,
  },
  {
    group: "apps",
    kind: "Deployment",
    plural: "deployments",
    singular: "deployment",
    shortNames: ["deploy"],
    categories: ["all"],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    // The mesh has no kubelet: it stores Deployments for their pod templates, so nothing is ever ready.
    columns: [
      computedColumn("Ready", "Ready replicas", (o) => `${(fieldAt(o, ["status", "readyReplicas"]) as number) ?? 0}/${deploymentReplicas(o)}`),
      computedColumn("Up-to-date", "Updated replicas", (o) => (fieldAt(o, ["status", "updatedReplicas"]) as number) ?? 0),
      computedColumn("Available", "Available replicas", (o) => (fieldAt(o, ["status", "availableReplicas"]) as number) ?? 0),
    ],
    schema: deploymentSchema,
    generationFields: ["spec"],
  },
  {
    group: "admissionregistration.k8s.io",
    kind: "MutatingWebhookConfiguration",
    plural: "mutatingwebhookconfigurations",
    singular: "mutatingwebhookconfiguration",
    shortNames: [],
    categories: ["api-extensions"],
    namespaced: false,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [computedColumn("Webhooks", "The number of webhooks.", (o) => ((fieldAt(o, ["webhooks"]) as unknown[]) ?? []).length)],
    schema: NOT_WRITABLE,
    generationFields: [],
    readOnly: "the sidecar injector's webhook configuration follows from this control plane (GET /mesh/v1/webhook-config prints it for a cluster)",
  },
  {
    group: "networking.istio.io",
    kind: "VirtualService",
    plural: "virtualservices",
    singular: "virtualservice",
    shortNames: ["vs"],
    categories: istioNetworking,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_NETWORKING,
    columns: [
      pathColumn("Gateways", "spec.gateways", "The names of gateways and sidecars that should apply these routes"),
      pathColumn("Hosts", "spec.hosts", "The destination hosts to which traffic is being sent"),
    ],
    schema: virtualServiceSchema,
    generationFields: ["spec"],
  },
  {
    group: "networking.istio.io",
    kind: "DestinationRule",
    plural: "destinationrules",
    singular: "destinationrule",
    shortNames: ["dr"],
    categories: istioNetworking,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_NETWORKING,
    columns: [pathColumn("Host", "spec.host", "The name of a service from the service registry")],
    schema: destinationRuleSchema,
    generationFields: ["spec"],
  },
  {
    group: "networking.istio.io",
    kind: "Gateway",
    plural: "gateways",
    singular: "gateway",
    shortNames: ["gw"],
    categories: istioNetworking,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_NETWORKING,
    columns: [],
    schema: gatewaySchema,
    generationFields: ["spec"],
  },
  {
    group: "networking.istio.io",
    kind: "ServiceEntry",
    plural: "serviceentries",
    singular: "serviceentry",
    shortNames: ["se"],
    categories: istioNetworking,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_NETWORKING,
    columns: [
      pathColumn("Hosts", "spec.hosts", "The hosts associated with the ServiceEntry"),
      pathColumn("Location", "spec.location", "Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)"),
      pathColumn("Resolution", "spec.resolution", "Service resolution mode for the hosts (NONE, STATIC, or DNS)"),
    ],
    schema: serviceEntrySchema,
    generationFields: ["spec"],
  },
  {
    group: "networking.istio.io",
    kind: "WorkloadEntry",
    plural: "workloadentries",
    singular: "workloadentry",
    shortNames: ["we"],
    categories: istioNetworking,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_NETWORKING,
    columns: [pathColumn("Address", "spec.address", "Address associated with the network endpoint")],
    schema: workloadEntrySchema,
    generationFields: ["spec"],
  },
  {
    group: "networking.istio.io",
    kind: "Sidecar",
    plural: "sidecars",
    singular: "sidecar",
    shortNames: [],
    categories: istioNetworking,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_NETWORKING,
    columns: [],
    schema: sidecarSchema,
    generationFields: ["spec"],
  },
  {
    group: "security.istio.io",
    kind: "PeerAuthentication",
    plural: "peerauthentications",
    singular: "peerauthentication",
    shortNames: ["pa"],
    categories: istioSecurity,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_SECURITY,
    columns: [pathColumn("Mode", "spec.mtls.mode", "Defines the mTLS mode used for peer authentication.")],
    schema: peerAuthenticationSchema,
    generationFields: ["spec"],
  },
  {
    group: "security.istio.io",
    kind: "AuthorizationPolicy",
    plural: "authorizationpolicies",
    singular: "authorizationpolicy",
    shortNames: ["ap"],
    categories: istioSecurity,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_SECURITY,
    columns: [pathColumn("Action", "spec.action", "The operation to take.")],
    schema: authorizationPolicySchema,
    generationFields: ["spec"],
  },
  {
    group: "security.istio.io",
    kind: "RequestAuthentication",
    plural: "requestauthentications",
    singular: "requestauthentication",
    shortNames: ["ra"],
    categories: istioSecurity,
    namespaced: true,
    storageVersion: "v1",
    versions: ISTIO_SECURITY,
    columns: [],
    schema: requestAuthenticationSchema,
    generationFields: ["spec"],
  },
  {
    group: "gateway.networking.k8s.io",
    kind: "GatewayClass",
    plural: "gatewayclasses",
    singular: "gatewayclass",
    shortNames: ["gc"],
    categories: ["gateway-api"],
    namespaced: false,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [
      pathColumn("Controller", "spec.controllerName", "The controller that implements this class"),
      computedColumn("Accepted", "Whether the class is accepted", (o) => conditionStatus(o, "Accepted") ?? "Unknown"),
      pathColumn("Description", "spec.description", "Description of the class", 1),
    ],
    schema: gatewayClassSchema,
    generationFields: ["spec"],
  },
  {
    group: "gateway.networking.k8s.io",
    kind: "Gateway",
    plural: "gateways",
    singular: "gateway",
    shortNames: ["gtw"],
    categories: ["gateway-api"],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [
      pathColumn("Class", "spec.gatewayClassName", "The GatewayClass of this Gateway"),
      computedColumn("Address", "The first address of the Gateway", (o) => {
        const addresses = fieldAt(o, ["status", "addresses"]) as { value: string }[] | undefined;
        return addresses?.[0]?.value;
      }),
      computedColumn("Programmed", "Whether the Gateway is programmed", (o) => conditionStatus(o, "Programmed") ?? "Unknown"),
    ],
    schema: k8sGatewaySchema,
    generationFields: ["spec"],
  },
  {
    group: "gateway.networking.k8s.io",
    kind: "HTTPRoute",
    plural: "httproutes",
    singular: "httproute",
    shortNames: [],
    categories: ["gateway-api"],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1"],
    columns: [pathColumn("Hostnames", "spec.hostnames", "The hostnames this route matches")],
    schema: httpRouteSchema,
    generationFields: ["spec"],
  },
  {
    group: "gateway.networking.k8s.io",
    kind: "ReferenceGrant",
    plural: "referencegrants",
    singular: "referencegrant",
    shortNames: ["refgrant"],
    categories: ["gateway-api"],
    namespaced: true,
    storageVersion: "v1",
    versions: ["v1", "v1beta1"],
    columns: [],
    schema: referenceGrantSchema,
    generationFields: ["spec"],
  },
];

/** Kinds by `<group>/<plural>` (core group: `/<plural>`). */
const byResource = new Map(KINDS.map((k) => [`${k.group}/${k.plural}`, k]));
/** Kinds by `<group>/<Kind>`. */
const byKind = new Map(KINDS.map((k) => [`${k.group}/${k.kind}`, k]));

export function kindForResource(group: string, version: string, plural: string): KindSpec | undefined {
  const spec = byResource.get(`${group}/${plural}`);
  return spec && spec.versions.includes(version) ? spec : undefined;
}

/** The kind an object's `apiVersion` + `kind` name, if served in that version. */
export function kindForObject(apiVersion: string, kind: string): KindSpec | undefined {
  const slash = apiVersion.indexOf("/");
  const group = slash >= 0 ? apiVersion.slice(0, slash) : "";
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  const spec = byKind.get(`${group}/${kind}`);
  return spec && spec.versions.includes(version) ? spec : undefined;
}

export function apiVersionOf(spec: KindSpec, version = spec.storageVersion): string {
  return spec.group === "" ? version : `${spec.group}/${version}`;
}

/** The groups served, each with its versions, newest (the storage version) first. */
export function servedGroups(): { group: string; versions: string[] }[] {
  const groups = new Map<string, Set<string>>();
  for (const k of KINDS) {
    const set = groups.get(k.group) ?? new Set<string>();
    for (const v of [k.storageVersion, ...[...k.versions].reverse()]) set.add(v);
    groups.set(k.group, set);
  }
  return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
}

export type { KindSpec, KubeObject } from "./types.ts";
