// Explain: what the mesh does with one request, decided by the REAL filters. The source's
// router.wasm runs on the source workload's served config; if it picks a cluster, the
// destination's authz.wasm runs on the destination workload's config. There is one matching
// implementation (the wasm); this file only feeds it and reads back what it did.
import type { FilterConfig } from "../mesh/snapshot.ts";
import { mergeProperties, peerProperties, ProxyWasmHost, type LocalReply, type LogEntry, type MapName, type Stream, type TraceEvent } from "../wasmhost/index.ts";

export interface ExplainInput {
  source: { namespace: string; workload: string };
  /** `scheme`: "https" for a request that arrived over TLS (a gateway's HTTPS listener); default "http". */
  request: { authority: string; path: string; method?: string; scheme?: "http" | "https"; headers?: Record<string, string> };
  /** The destination port; default: the authority's port, else the source's only routed port, else 80. */
  port?: number;
  /** Is the hop to the destination mTLS (default true: sidecar to sidecar)? */
  mtls?: boolean;
  /** The caller's SPIFFE identity (default: the source workload's). */
  peer?: string;
}

export interface ServedWorkloadConfig {
  key: string;
  serviceAccount: string;
  filterConfig: FilterConfig;
  /** Target ports the workload receives on. */
  inboundPorts: number[];
}

/** Where explain finds workloads: by key, and the workloads behind a cluster. */
export interface ExplainSources {
  workload(key: string): Promise<ServedWorkloadConfig | null>;
  /** The workloads a cluster of the source's config sends to (its endpoints), sorted. */
  clusterWorkloads(source: string, cluster: string): Promise<string[]>;
}

/** A reply the filter answered itself: status, every header it carries (e.g. Location), body. */
export interface ExplainedReply {
  status: number;
  headers: [string, string][];
  body: string;
}

/** One header edit a filter made, in the order it made them. */
export interface HeaderEdit {
  op: "add" | "replace" | "remove";
  name: string;
  value?: string;
}

/** A request the router let through: as it leaves for the cluster, and what the router does to its response. */
export interface ForwardedRequest {
  path: string;
  authority: string;
  /** Every request header after the router's edits (pseudo-headers other than :path/:authority included). */
  headers: [string, string][];
  requestHeaderEdits: HeaderEdit[];
  /** Edits the router makes to the upstream's response headers (asked with a bare `:status 200` response). */
  responseHeaderEdits: HeaderEdit[];
}

export interface Explanation {
  engine: "wasm";
  source: string;
  port: number;
  cluster: string | null;
  localReply: ExplainedReply | null;
  forwarded: ForwardedRequest | null;
  destination: string | null;
  authz: { allowed: boolean; mtlsMode: string | null; policy: string | null; rule: string | null; localReply: ExplainedReply | null } | null;
  trace: string[];
}

const PLUGIN = JSON.stringify({ cluster: "explain", authority: "explain", path: "/filter-config", token: "", pollMs: 3_600_000, failOpen: false });

/** A filter host whose config channel answers once with `config`. */
async function hostFor(module: WebAssembly.Module, config: FilterConfig): Promise<ProxyWasmHost> {
  const host = await ProxyWasmHost.load(module, {
    pluginConfig: PLUGIN,
    clusters: ["explain"],
    logLevel: "debug",
    strict: false,
    onHttpCall: () => ({ status: 200, headers: { etag: `"${config.version}"`, "content-type": "application/json" }, body: JSON.stringify(config) }),
  });
  await host.settle();
  if (host.failure) throw new Error(`the filter failed to start: ${host.failure.message}`);
  return host;
}

function describe(e: TraceEvent, filter: string): string | undefined {
  switch (e.kind) {
    case "log":
      return `${filter}: ${e.message}`;
    case "header":
      if (e.op === "set-all") return undefined;
      return `${filter}: ${e.op} ${e.map} header ${e.name}${e.value !== undefined ? `: ${e.value}` : ""}`;
    case "local-reply":
      return `${filter}: local reply ${e.status}${e.body ? ` "${e.body}"` : ""} (${e.details})`;
    case "trap":
      return `${filter}: trapped during ${e.during}: ${e.message}`;
    case "violation":
      return `${filter}: ABI violation in ${e.call}: ${e.message}`;
    default:
      return undefined;
  }
}

function traceOf(stream: Stream, logs: readonly LogEntry[], filter: string): string[] {
  const lines = stream.trace.map((e) => describe(e, filter)).filter((l): l is string => l !== undefined);
  // Logs written outside the stream's callbacks (config channel) are not part of this request.
  return lines.length ? lines : logs.map((l) => `${filter}: ${l.message}`);
}

function replyOf(reply: LocalReply | undefined): ExplainedReply | null {
  return reply ? { status: reply.status, headers: reply.headers.map(([k, v]): [string, string] => [k, v]), body: reply.body } : null;
}

/** The edits a stream's filter made to one header map since trace event `from`. */
function headerEdits(stream: Stream, map: MapName, from = 0): HeaderEdit[] {
  const out: HeaderEdit[] = [];
  for (const e of stream.trace.slice(from))
    if (e.kind === "header" && e.map === map && e.op !== "set-all" && e.name !== undefined) out.push({ op: e.op, name: e.name, ...(e.value !== undefined ? { value: e.value } : {}) });
  return out;
}

/** The request as the router let it through, and the router's edits to its response. */
function forwardedOf(stream: Stream): ForwardedRequest {
  const request = stream.request;
  const requestHeaderEdits = headerEdits(stream, "request-headers");
  const mark = stream.trace.length;
  stream.responseHeaders([[":status", "200"]]);
  return {
    path: request.get(":path") ?? "",
    authority: request.get(":authority") ?? "",
    headers: request.pairs().map(([k, v]): [string, string] => [k, v]),
    requestHeaderEdits,
    responseHeaderEdits: headerEdits(stream, "response-headers", mark),
  };
}

function portOf(input: ExplainInput, config: FilterConfig): number {
  if (input.port !== undefined) return input.port;
  const fromAuthority = /:(\d+)$/.exec(input.request.authority)?.[1];
  if (fromAuthority) return Number(fromAuthority);
  return config.router.ports.length === 1 ? config.router.ports[0].port : 80;
}

function spiffe(namespace: string, serviceAccount: string): string {
  return `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/** The policy a decision line names (`... by <ns>/<name> rule <n>`), if the filter logged one. */
function decisionOf(trace: string[]): { policy: string | null; rule: string | null } {
  for (const line of [...trace].reverse()) {
    const m = / (?:by|policy) ([a-z0-9-]+\/[a-z0-9.-]+)(?: rule (\d+))?/.exec(line);
    if (m) return { policy: m[1], rule: m[2] ?? null };
  }
  return { policy: null, rule: null };
}

export async function explain(modules: { router: WebAssembly.Module; authz: WebAssembly.Module }, sources: ExplainSources, input: ExplainInput): Promise<Explanation> {
  const sourceKey = `${input.source.namespace}/${input.source.workload}`;
  const source = await sources.workload(sourceKey);
  if (!source) throw new ExplainError(404, `workload ${sourceKey} is not in the mesh`);
  const port = portOf(input, source.filterConfig);
  const headers: [string, string][] = [
    [":method", input.request.method ?? "GET"],
    [":path", input.request.path],
    [":authority", input.request.authority],
    [":scheme", input.request.scheme ?? "http"],
    ...Object.entries(input.request.headers ?? {}).map(([k, v]): [string, string] => [k.toLowerCase(), v]),
  ];

  const router = await hostFor(modules.router, source.filterConfig);
  const out = router.newStream({ properties: { destination: { port } } });
  const routed = out.requestHeaders(headers);
  const cluster = routed.localReply ? null : (out.request.get("x-mesh-cluster") ?? null);
  const forwarded = cluster ? forwardedOf(out) : null;
  const trace = [`source ${sourceKey} (config version ${source.filterConfig.version}), destination port ${port}`, ...traceOf(out, router.logs, "router")];
  out.done();
  const explanation: Explanation = {
    engine: "wasm",
    source: sourceKey,
    port,
    cluster,
    localReply: replyOf(routed.localReply),
    forwarded,
    destination: null,
    authz: null,
    trace,
  };
  if (!cluster) return explanation;

  const [destinationKey] = await sources.clusterWorkloads(sourceKey, cluster);
  if (!destinationKey) {
    trace.push(`cluster ${cluster} has no workloads in the mesh: Envoy would answer 503 (no healthy upstream)`);
    return explanation;
  }
  const destination = (await sources.workload(destinationKey))!;
  explanation.destination = destinationKey;
  const clusterPort = Number(cluster.split("|")[1]);
  const inboundPort = destination.inboundPorts.includes(clusterPort) ? clusterPort : (destination.inboundPorts[0] ?? clusterPort);
  const mtls = input.mtls ?? true;
  const peer = input.peer ?? spiffe(input.source.namespace, source.serviceAccount);
  const authz = await hostFor(modules.authz, destination.filterConfig);
  const inbound = authz.newStream({
    properties: mergeProperties({ destination: { port: inboundPort } }, peerProperties({ principal: mtls ? peer : undefined, mtls })),
  });
  const decided = inbound.requestHeaders(headers);
  const authzTrace = traceOf(inbound, authz.logs, "authz");
  inbound.done();
  const mtlsMode = destination.filterConfig.authz.mtls.ports.find((p) => p.port === inboundPort)?.mode ?? destination.filterConfig.authz.mtls.mode;
  trace.push(`destination ${destinationKey} port ${inboundPort}: mTLS mode ${mtlsMode}, request ${mtls ? `over mTLS from ${peer}` : "in plaintext"}`, ...authzTrace);
  explanation.authz = {
    allowed: !decided.localReply,
    mtlsMode,
    ...decisionOf(authzTrace),
    localReply: replyOf(decided.localReply),
  };
  return explanation;
}

export class ExplainError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}
