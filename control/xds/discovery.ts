// Envoy's REST xDS (`api_type: REST`): POST /v3/discovery:<kind> with a DiscoveryRequest JSON,
// answered with a DiscoveryResponse JSON, or 304 when the version Envoy holds is current (Envoy's
// RestApiFetcher treats 304 as "no update" and polls again after refresh_delay).
//
// Identity as Istio's: node.id `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`, node.metadata
// NAMESPACE / WORKLOAD_NAME / SERVICE_ACCOUNT / LABELS. Envoy's REST client cannot add headers,
// so the workload token travels in node.metadata.EDGE_MESH_TOKEN (an Authorization header is
// accepted too); a node claiming a namespace or service account its token does not carry gets 403.
import { TOKEN_METADATA } from "./bootstrap.ts";
import { fnv1a } from "./memo.ts";
import { DISCOVERY_KINDS, type DiscoveryKind } from "./translate/types.ts";

export interface DiscoveryRequest {
  versionInfo: string;
  resourceNames: string[];
  typeUrl?: string;
  responseNonce?: string;
  errorDetail?: { code?: number; message: string };
  node: NodeIdentity;
}

export interface NodeIdentity {
  id: string;
  namespace: string;
  workload: string;
  serviceAccount?: string;
  labels?: Record<string, string>;
  token?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
/** proto3 JSON: a field may arrive as snake_case or lowerCamelCase. */
const field = (o: Obj, snake: string) => o[snake] ?? o[snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];

export function discoveryKind(path: string): DiscoveryKind | undefined {
  const m = /^\/v3\/discovery:([a-z]+)$/.exec(path);
  return m && m[1] in DISCOVERY_KINDS ? (m[1] as DiscoveryKind) : undefined;
}

/** The request, or a message saying why it is not one. */
export function parseDiscoveryRequest(body: unknown, kind: DiscoveryKind): DiscoveryRequest | string {
  if (!isObj(body)) return "the body must be a DiscoveryRequest JSON object";
  const version = field(body, "version_info") ?? "";
  if (typeof version !== "string") return "version_info must be a string";
  const names = field(body, "resource_names") ?? [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) return "resource_names must be a list of strings";
  const typeUrl = field(body, "type_url");
  if (typeUrl !== undefined && typeUrl !== "" && typeUrl !== DISCOVERY_KINDS[kind]) return `type_url ${String(typeUrl)} does not belong to /v3/discovery:${kind}`;
  const node = field(body, "node");
  if (!isObj(node)) return "node is required";
  const metadata = isObj(node.metadata) ? node.metadata : {};
  const id = typeof node.id === "string" ? node.id : "";
  const parts = id.split("~");
  // Istio's node id names the namespace twice; metadata wins, the id must agree.
  const idNamespace = parts.length === 4 ? parts[2].split(".").slice(1).join(".") : undefined;
  const namespace = typeof metadata.NAMESPACE === "string" ? metadata.NAMESPACE : idNamespace;
  const workload = metadata.WORKLOAD_NAME;
  if (!namespace || typeof workload !== "string" || !workload) return "node.metadata must carry NAMESPACE and WORKLOAD_NAME";
  if (idNamespace !== undefined && idNamespace !== namespace) return `node.id names namespace ${idNamespace}, node.metadata.NAMESPACE ${namespace}`;
  const error = field(body, "error_detail");
  return {
    versionInfo: version,
    resourceNames: names as string[],
    ...(typeof typeUrl === "string" ? { typeUrl } : {}),
    ...(typeof field(body, "response_nonce") === "string" ? { responseNonce: field(body, "response_nonce") as string } : {}),
    ...(isObj(error) ? { errorDetail: { code: typeof error.code === "number" ? error.code : undefined, message: String(error.message ?? "") } } : {}),
    node: {
      id,
      namespace,
      workload,
      ...(typeof metadata.SERVICE_ACCOUNT === "string" ? { serviceAccount: metadata.SERVICE_ACCOUNT } : {}),
      ...(isObj(metadata.LABELS) ? { labels: metadata.LABELS as Record<string, string> } : {}),
      ...(typeof metadata[TOKEN_METADATA] === "string" ? { token: metadata[TOKEN_METADATA] as string } : {}),
    },
  };
}

/** LDS/RDS/CDS versions: `<workload revision>.<digest of what else shaped the documents>`. */
export function configVersion(revision: number, suffix: string): string {
  return `${revision}.${suffix}`;
}

export function heldRevision(versionInfo: string, suffix: string): number | undefined {
  const m = /^(\d+)\.([0-9a-f]+)$/.exec(versionInfo);
  return m && m[2] === suffix ? Number(m[1]) : undefined;
}

export function versionSuffix(parts: string[]): string {
  return fnv1a(parts.join("|"));
}

/** A DiscoveryResponse: each resource an Any of the kind's type. */
export function discoveryResponse(kind: DiscoveryKind, version: string, resources: Obj[]): string {
  const type = DISCOVERY_KINDS[kind];
  return JSON.stringify({ version_info: version, resources: resources.map((r) => ({ "@type": type, ...r })), type_url: type, nonce: version });
}
