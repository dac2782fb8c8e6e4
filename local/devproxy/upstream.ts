// Clusters → endpoints → connections, as Envoy's CDS/EDS + cluster manager do it for a sidecar:
// a compiled cluster names its endpoints by selector ({namespace, labels}); the endpoint source
// answers which running workloads match (their sidecars' inbound addresses); the load balancer
// picks one (round robin by default, DestinationRule `loadBalancer.simple` honoured for RANDOM
// and LEAST_REQUEST); the request goes there over mesh mTLS with this workload's SPIFFE
// certificate (Istio's auto mTLS: a peer with a sidecar gets mTLS unless the DestinationRule says
// DISABLE), verifying the peer's SPIFFE id.
import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { PeerCertificate } from "node:tls";
import type { ClusterSpec } from "../../control/mesh/snapshot.ts";
import { peerSpiffeId, spiffeId, type WorkloadCertificate } from "./certs.ts";

/** A running workload another proxy can send to. */
export interface Endpoint {
  namespace: string;
  workload: string;
  pod: string;
  serviceAccount: string;
  labels: Record<string, string>;
  /** host:port to connect to: the sidecar's inbound listener (or the app when it has no sidecar). */
  address: string;
  /** The endpoint has a sidecar (it speaks mesh mTLS: Istio's tlsMode=istio). */
  sidecar: boolean;
}

/** Where endpoints come from. SEAM: the demo's own topology today; EDS when the control plane
 * serves registered endpoints (`PUT /mesh/v1/proxy/<ns>/<workload>/endpoints/<pod>`). */
export interface EndpointSource {
  endpoints(selector: { namespace: string; labels: Record<string, string> }): Endpoint[];
}

/** Endpoints from a list the caller keeps up to date (the demo's topology). */
export class StaticEndpoints implements EndpointSource {
  constructor(private readonly all: () => readonly Endpoint[]) {}

  endpoints(selector: { namespace: string; labels: Record<string, string> }): Endpoint[] {
    return this.all()
      .filter((e) => e.namespace === selector.namespace && Object.entries(selector.labels).every(([k, v]) => e.labels[k] === v))
      .sort((a, b) => a.pod.localeCompare(b.pod));
  }
}

type LbPolicy = "ROUND_ROBIN" | "RANDOM" | "LEAST_REQUEST";

function lbPolicy(spec: ClusterSpec): LbPolicy {
  const simple = (spec.trafficPolicy as { loadBalancer?: { simple?: string } } | undefined)?.loadBalancer?.simple;
  return simple === "RANDOM" || simple === "LEAST_REQUEST" || simple === "LEAST_CONN" ? (simple === "RANDOM" ? "RANDOM" : "LEAST_REQUEST") : "ROUND_ROBIN";
}

function tlsMode(spec: ClusterSpec): string | undefined {
  return (spec.trafficPolicy as { tls?: { mode?: string } } | undefined)?.tls?.mode;
}

/** Istio's SNI for mesh mTLS: `outbound_.9080_.v1_.reviews.default.svc.cluster.local`. */
export function meshSni(spec: ClusterSpec): string {
  return `outbound_.${spec.port}_.${spec.subset}_.${spec.host}`;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** Over mesh mTLS: this workload's SPIFFE id and the one the upstream's certificate names. */
  localPrincipal?: string;
  peerPrincipal?: string;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: "connect" | "timeout" | "reset" | "no-endpoints",
  ) {
    super(message);
  }
}

/** Per-cluster counters (what Envoy's /clusters shows): requests per endpoint. */
export type ClusterStats = Record<string, Record<string, number>>;

export class Upstreams {
  private readonly rr = new Map<string, number>();
  private readonly active = new Map<string, number>();
  private readonly agents = new Map<string, HttpAgent>();
  private certGeneration = 0;
  readonly stats: ClusterStats = {};

  constructor(
    private readonly source: EndpointSource,
    private cert: () => WorkloadCertificate | undefined,
  ) {}

  /** New certificate: new connections use it (old pooled ones are dropped). */
  certificateChanged(): void {
    this.certGeneration++;
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  pick(spec: ClusterSpec): Endpoint | undefined {
    if (spec.endpoints.kind !== "workloads") return undefined;
    const eps = this.source.endpoints(spec.endpoints);
    if (eps.length === 0) return undefined;
    switch (lbPolicy(spec)) {
      case "RANDOM":
        return eps[Math.floor(Math.random() * eps.length)];
      case "LEAST_REQUEST": {
        // Envoy's power of two choices.
        const a = eps[Math.floor(Math.random() * eps.length)];
        const b = eps[Math.floor(Math.random() * eps.length)];
        return (this.active.get(a.address) ?? 0) <= (this.active.get(b.address) ?? 0) ? a : b;
      }
      default: {
        const n = this.rr.get(spec.name) ?? 0;
        this.rr.set(spec.name, n + 1);
        return eps[n % eps.length];
      }
    }
  }

  /** Whether requests to `ep` of `spec` use mesh mTLS. */
  usesMtls(spec: ClusterSpec, ep: Endpoint): boolean {
    const mode = tlsMode(spec);
    if (mode === "ISTIO_MUTUAL") return true;
    if (mode === "DISABLE" || mode === "SIMPLE" || mode === "MUTUAL") return false;
    return ep.sidecar;
  }

  private agentFor(spec: ClusterSpec, ep: Endpoint, mtls: boolean): HttpAgent {
    const key = `${mtls ? "mtls" : "plain"}|${ep.address}|${mtls ? meshSni(spec) : ""}|${this.certGeneration}`;
    let agent = this.agents.get(key);
    if (agent) return agent;
    if (!mtls) agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
    else {
      const cert = this.cert();
      if (!cert) throw new UpstreamError("no workload certificate yet", "connect");
      const expected = spiffeId(ep.namespace, ep.serviceAccount);
      agent = new HttpsAgent({
        keepAlive: true,
        maxSockets: 64,
        cert: cert.certChain,
        key: cert.keyPem,
        ca: cert.rootPem,
        servername: meshSni(spec),
        // Istio checks the server's SPIFFE id against the destination's service accounts.
        checkServerIdentity: (_host: string, peer: PeerCertificate) => {
          const id = peerSpiffeId(peer.subjectaltname);
          return id === expected ? undefined : new Error(`peer identity ${id ?? "(none)"} is not ${expected}`);
        },
      });
    }
    this.agents.set(key, agent);
    return agent;
  }

  /** Sends one request to one endpoint; resolves with the response head (the body streams). */
  send(
    spec: ClusterSpec,
    ep: Endpoint,
    req: { method: string; path: string; headers: Record<string, string | string[]>; body?: IncomingMessage | Buffer; timeoutMs?: number },
  ): Promise<UpstreamResponse> {
    const mtls = this.usesMtls(spec, ep);
    const [host, port] = splitHostPort(ep.address);
    (this.stats[spec.name] ??= {})[ep.pod] = (this.stats[spec.name][ep.pod] ?? 0) + 1;
    this.active.set(ep.address, (this.active.get(ep.address) ?? 0) + 1);
    const done = () => this.active.set(ep.address, Math.max(0, (this.active.get(ep.address) ?? 1) - 1));
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let agent: HttpAgent;
      try {
        agent = this.agentFor(spec, ep, mtls);
      } catch (err) {
        done();
        return reject(err);
      }
      const send = mtls ? httpsRequest : httpRequest;
      const out = send({ host, port, method: req.method, path: req.path, headers: req.headers, agent }, (res) => {
        clearTimeout(timer);
        res.once("close", done);
        // The peer's certificate was checked to name exactly this id (agentFor); a resumed TLS
        // session would not show the certificate again.
        const principals = mtls ? { localPrincipal: this.cert()?.spiffeId, peerPrincipal: spiffeId(ep.namespace, ep.serviceAccount) } : {};
        resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res, ...principals });
      });
      const timer =
        req.timeoutMs && req.timeoutMs > 0 ? setTimeout(() => out.destroy(new UpstreamError("upstream request timeout", "timeout")), req.timeoutMs) : undefined;
      out.on("error", (err) => {
        clearTimeout(timer);
        done();
        if (err instanceof UpstreamError) reject(err);
        else reject(new UpstreamError(`${mtls ? "mTLS " : ""}connection to ${ep.pod} (${ep.address}) failed: ${err.message}`, /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(err.message) ? "connect" : "reset"));
      });
      const body = req.body;
      if (body === undefined) out.end();
      else if (Buffer.isBuffer(body)) out.end(body);
      else body.pipe(out);
    });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

export function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
