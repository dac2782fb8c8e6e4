// Explain: what the mesh does with one request, decided by the REAL filters. The source's
// router.wasm runs on the source workload's served config; if it picks a cluster, the
// destination's authz.wasm runs on the destination workload's config. There is one matching
// implementation (the wasm); this file only feeds it and reads back what it did.
import type { FilterConfig } from "../mesh/snapshot.ts";
import { mergeProperties, peerProperties, ProxyWasmHost, type LogEntry, type Stream, type TraceEvent } from "../wasmhost/index.ts";

export interface ExplainInput {
  source: { namespace: string; workload: string };
  request: { authority: string; path: string; method?: string; headers?: Record<string, string> };
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

export interface Explanation {
  engine: "wasm";
  source: string;
  port: number;
  cluster: string | null;
  localReply: { status: number; body: string } | null;
  destination: string | null;
  authz: { allowed: boolean; mtlsMode: string | null; policy: string | null; rule: string | null; localReply: { status: number; body: string } | null } | null;
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
    [":scheme", "http"],
    ...Object.entries(input.request.headers ?? {}).map(([k, v]): [string, string] => [k.toLowerCase(), v]),
  ];

  const router = await hostFor(modules.router, source.filterConfig);
  const out = router.newStream({ properties: { destination: { port } } });
  const routed = out.requestHeaders(headers);
  const cluster = routed.localReply ? null : (out.request.get("x-mesh-cluster") ?? null);
  const trace = [`source ${sourceKey} (config version ${source.filterConfig.version}), destination port ${port}`, ...traceOf(out, router.logs, "router")];
  out.done();
  const explanation: Explanation = {
    engine: "wasm",
    source: sourceKey,
    port,
    cluster,
    localReply: routed.localReply ? { status: routed.localReply.status, body: routed.localReply.body } : null,
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
    localReply: decided.localReply ? { status: decided.localReply.status, body: decided.localReply.body } : null,
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
