// The dev proxy: THE LOCAL STAND-IN FOR ENVOY, so the whole mesh can be exercised on one machine
// without Envoy. Envoy stays the production data plane; this proxy does, per workload, what the
// Envoy configuration the control plane emits (control/xds) makes Envoy do, with the same
// decision code: the REAL build/router.wasm and build/authz.wasm, run by the project's
// proxy-wasm host (control/wasmhost), fed by the control plane exactly as in Envoy.
//
//   sidecar mode                                          gateway mode
//   inbound  <pod>:9080 ─ TLS per PeerAuthentication ─┐   listen 127.0.0.1:8080 (the Gateway's
//     (STRICT: client cert required, plaintext closed;│     listener port, e.g. 80, is what the
//      PERMISSIVE: both; DISABLE: plaintext)          │     filters see as destination.port)
//     authz.wasm → the app (inbound|9080||)           │   authz.wasm → router.wasm → cluster
//   outbound (the app's calls, Host: reviews:9080)    │
//     router.wasm → x-mesh-cluster → endpoint ────────┘── mTLS with the workload's SPIFFE cert
//   admin: /ready, /config_dump (versions the filters applied, snapshot, certificate, mTLS mode)
//
// Config comes from the control plane as Envoy gets it: the filters poll
// /mesh/v1/proxy/<ns>/<workload>/filter-config with If-None-Match through proxy_http_call; the
// proxy polls /mesh/v1/snapshot/<ns>/<workload> (clusters, mTLS mode, listeners: what LDS/CDS
// carry); certificates come from the mesh CA; all with the workload's token. When the control
// plane is unreachable everything keeps the last good config.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import type { ClusterSpec, PeerAuthMode, WorkloadSnapshot } from "../../control/mesh/snapshot.ts";
import { HeaderMap, mergeProperties, peerProperties, type PhaseResult, type PropertyTree, type Stream } from "../../control/wasmhost/index.ts";
import { type CertificateAuthority, issueWorkloadCertificate, MeshCaClient, MeshCaUnavailable, peerSpiffeId, type WorkloadCertificate } from "./certs.ts";
import { ControlPlane, type ControlPlaneOptions, PolledDocument } from "./control-plane.ts";
import { RunningFilter } from "./filters.ts";
import { GatewayTls } from "./gateway-tls.ts";
import { RESPONSE_FLAG, StreamLog, type UpstreamInfo } from "./stream-log.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../../control/stats/prometheus.ts";
import { CLUSTER_ID } from "../../control/xds/bootstrap.ts";
import { inboundClusterMetadata } from "../../control/xds/translate/clusters.ts";
import { type EndpointSource, splitHostPort, UpstreamError, Upstreams } from "./upstream.ts";

export { LocalDevCa, spiffeId, type CertificateAuthority } from "./certs.ts";
export { StaticEndpoints, type Endpoint, type EndpointSource } from "./upstream.ts";

export interface Address {
  host: string;
  /** 0: a free port. */
  port: number;
}

export interface DevProxyOptions {
  mode: "sidecar" | "gateway";
  namespace: string;
  /** The workload (Deployment) name: the key of its compiled config. */
  workload: string;
  pod: string;
  serviceAccount: string;
  /** The pod's labels (node metadata LABELS: app and version label Istio's metrics). */
  labels?: Record<string, string>;
  controlPlane: ControlPlaneOptions;
  /** Where router.wasm and authz.wasm are (build/). */
  wasmDir: string;
  /** Filter and snapshot poll period (Envoy: the filters' pollMs / REST xDS refresh_delay). */
  pollMs?: number;
  endpoints: EndpointSource;
  /** SEAM: the CA to use while the control plane has no mesh CA (see certs.ts). */
  fallbackCa?: CertificateAuthority;
  certValiditySeconds?: number;
  admin?: Address;
  /** Envoy's :15090 listener: /stats/prometheus only (also served on admin). */
  prometheus?: Address;
  /** Sidecar: the app (inbound cluster), the inbound listener (other sidecars connect here) and
   * the outbound listener (the app's calls; the stand-in for iptables' 15001 capture). */
  app?: Address;
  inbound?: Address;
  outbound?: Address;
  /** Gateway: where it listens, and which Gateway listener port that is (default: the first HTTP listener's). */
  listen?: Address;
  gatewayPort?: number;
  log?: (line: string) => void;
}

export interface DevProxyStatus {
  workload: string;
  pod: string;
  mode: "sidecar" | "gateway";
  ready: boolean;
  filters: Record<"router" | "authz", { version: number; lastWarning?: string }>;
  snapshot: { version: number; lastError?: string; lastSuccessAt?: string };
  /** The lowest version among the filters and the snapshot: what this proxy fully runs. */
  version: number;
  mtls?: { mode: PeerAuthMode; port: number };
  certificate?: { spiffeId: string; issuer: string; notAfter: string };
  certificateError?: string;
  /** Gateway: the TLS filter chains its listener terminates (their SNI names). */
  tls?: { serverNames: string[][]; lastError?: string };
  /** Registered with the control plane (endpoint registration, heartbeated). */
  registered?: boolean;
  registrationError?: string;
  listeners: Record<string, string>;
  clusters: Record<string, Record<string, number>>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host"]);
/** Envoy's internal headers, which stay behind; Istio's peer metadata exchange headers travel
 * between sidecars (the stats filter sets them on the way out and removes them on the way in). */
const INTERNAL = /^x-envoy-(?!peer-metadata(-id)?$)|^x-mesh-cluster$/;

export class DevProxy {
  readonly cp: ControlPlane;
  private router?: RunningFilter;
  private authz?: RunningFilter;
  /** Istio's stats filter on the outbound (client sidecar, gateway) and inbound chains. */
  private statsOutbound?: RunningFilter;
  private statsInbound?: RunningFilter;
  private readonly snapshot: PolledDocument<WorkloadSnapshot>;
  private readonly upstreams: Upstreams;
  private cert?: WorkloadCertificate;
  private readonly meshCa: MeshCaClient;
  private certTimer?: NodeJS.Timeout;
  private certError?: string;
  private readonly servers: (Server | NetServer | HttpsServer)[] = [];
  private inboundTls?: HttpsServer;
  private gatewayTls?: GatewayTls;
  readonly listeners: Record<string, string> = {};
  private stopped = false;
  private registered = false;
  private registrationError?: string;
  private registerTimer?: NodeJS.Timeout;
  private readonly log: (line: string) => void;

  private constructor(readonly options: DevProxyOptions) {
    this.log = options.log ?? (() => undefined);
    this.cp = new ControlPlane({ ...options.controlPlane, nodeId: nodeIdOf(options) });
    this.upstreams = new Upstreams(options.endpoints, () => this.cert);
    this.meshCa = new MeshCaClient(this.cp);
    const { namespace, workload } = options;
    this.snapshot = new PolledDocument<WorkloadSnapshot>(
      this.cp,
      `/mesh/v1/snapshot/${encodeURIComponent(namespace)}/${encodeURIComponent(workload)}`,
      (body) => (isSnapshot(body) ? body : undefined),
      () => this.onSnapshot(),
    );
  }

  static async start(options: DevProxyOptions): Promise<DevProxy> {
    const proxy = new DevProxy(options);
    try {
      await proxy.boot();
    } catch (err) {
      await proxy.stop();
      throw err;
    }
    return proxy;
  }

  private async boot(): Promise<void> {
    const o = this.options;
    const pollMs = o.pollMs ?? 1000;
    const configPath = `/mesh/v1/proxy/${encodeURIComponent(o.namespace)}/${encodeURIComponent(o.workload)}/filter-config`;
    const metadata = { NAMESPACE: o.namespace, WORKLOAD_NAME: o.workload, SERVICE_ACCOUNT: o.serviceAccount, CLUSTER_ID, LABELS: o.labels ?? {} };
    const node = { xds: { node: { id: nodeIdOf(o), metadata } } };
    const common = { cp: this.cp, configPath, pollMs, log: this.log };
    this.authz = await RunningFilter.start({ ...common, name: "authz", wasmPath: join(o.wasmDir, "authz.wasm"), properties: node });
    this.router = await RunningFilter.start({ ...common, name: "router", wasmPath: join(o.wasmDir, "router.wasm"), properties: node });
    const stats = (direction: "outbound" | "inbound") =>
      RunningFilter.start({ ...common, name: "stats", rootId: `stats_${direction}`, wasmPath: join(o.wasmDir, "stats.wasm"), properties: node, pluginConfig: JSON.stringify({ direction }) });
    this.statsOutbound = await stats("outbound");
    if (o.mode === "sidecar") this.statsInbound = await stats("inbound");
    this.snapshot.start(pollMs);
    await this.renewCertificate();
    // The inbound listener needs a certificate (Envoy waits for SDS the same way).
    for (let i = 0; !this.cert && i < 100 && !this.stopped; i++) await new Promise((r) => setTimeout(r, 200));
    if (!this.cert) throw new Error(`${o.pod}: no workload certificate: ${this.certError ?? "unknown error"}`);

    if (o.admin) this.listeners.admin = await listen(this.track(createHttpServer((req, res) => this.admin(req, res))), o.admin);
    if (o.prometheus) this.listeners.prometheus = await listen(this.track(createHttpServer((req, res) => this.prometheusListener(req, res))), o.prometheus);
    if (o.mode === "sidecar") {
      if (!o.app || !o.inbound || !o.outbound) throw new Error("sidecar mode needs app, inbound and outbound addresses");
      this.listeners.outbound = await listen(this.track(createHttpServer((req, res) => void this.outbound(req, res))), o.outbound);
      this.listeners.inbound = await listen(this.track(this.inboundServer()), o.inbound);
      await this.register();
    } else {
      if (!o.listen) throw new Error("gateway mode needs a listen address");
      this.gatewayTls = new GatewayTls(this.cp, o, () => this.gatewayPort());
      await this.gatewayTls.refresh();
      this.listeners.gateway = await listen(this.track(this.gatewayTls.server((req, res) => void this.gateway(req, res), (s) => this.track(s))), o.listen);
      await this.register();
    }
  }

  private track<T extends Server | NetServer | HttpsServer>(s: T): T {
    this.servers.push(s);
    return s;
  }

  // ------------------------------------------------------------------------------ certificates

  private async renewCertificate(): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    const validity = o.certValiditySeconds ?? 24 * 3600;
    let retryMs = 2000;
    try {
      let cert: WorkloadCertificate;
      try {
        cert = await issueWorkloadCertificate(this.meshCa, o.namespace, o.serviceAccount, validity);
      } catch (err) {
        if (!(err instanceof MeshCaUnavailable) || !o.fallbackCa) throw err;
        if (this.cert?.issuer !== o.fallbackCa.name) this.log(`${o.pod}: ${err.message}; using the dev proxy's local CA (seam, see local/devproxy/certs.ts)`);
        cert = await issueWorkloadCertificate(o.fallbackCa, o.namespace, o.serviceAccount, validity);
      }
      this.cert = cert;
      this.certError = undefined;
      this.upstreams.certificateChanged();
      this.inboundTls?.setSecureContext({ cert: cert.certChain, key: cert.keyPem, ca: cert.rootPem });
      retryMs = Math.max(5000, (cert.notAfter.getTime() - Date.now()) / 2);
    } catch (err) {
      // Keep the current certificate (if any) and retry soon, as the cert agent does.
      this.certError = err instanceof Error ? err.message : String(err);
      this.log(`${o.pod}: certificate: ${this.certError}`);
    }
    clearTimeout(this.certTimer);
    this.certTimer = setTimeout(() => void this.renewCertificate(), Math.min(retryMs, 2 ** 31 - 1));
    this.certTimer.unref();
  }

  // ------------------------------------------------------------------------- registration

  /** Registers this pod with the control plane and heartbeats it (what EDS serves to Envoys, and
   * what makes the pod exist in `kubectl get pods`). On one machine every pod is 127.0.0.1, so the
   * registered port is the sidecar's inbound port (a gateway's listener); other dev proxies
   * resolve endpoints from the demo's topology (see upstream.ts). */
  private async register(): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    const path = `/mesh/v1/proxy/${encodeURIComponent(o.namespace)}/${encodeURIComponent(o.workload)}/endpoints/${encodeURIComponent(o.pod)}`;
    const [ip, port] = splitHostPort(this.listeners.inbound ?? this.listeners.gateway);
    let nextMs = 5000;
    try {
      const res = await this.cp.request(path, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ ip, ports: { http: port }, mtls: true }) });
      if (res.status === 200 || res.status === 201) {
        this.registered = true;
        nextMs = Math.max(1, Number((JSON.parse(res.body) as { heartbeatSeconds?: number }).heartbeatSeconds ?? 30)) * 1000;
      } else this.registrationError = `HTTP ${res.status}`;
    } catch (err) {
      this.registrationError = err instanceof Error ? err.message : String(err);
    }
    clearTimeout(this.registerTimer);
    this.registerTimer = setTimeout(() => void this.register(), nextMs);
    this.registerTimer.unref();
  }

  private async deregister(): Promise<void> {
    clearTimeout(this.registerTimer);
    if (!this.registered) return;
    const o = this.options;
    const path = `/mesh/v1/proxy/${encodeURIComponent(o.namespace)}/${encodeURIComponent(o.workload)}/endpoints/${encodeURIComponent(o.pod)}`;
    await this.cp.request(path, { method: "DELETE", timeoutMs: 2000 }).catch(() => undefined);
  }

  // ---------------------------------------------------------------------------------- config

  private onSnapshot(): void {
    // Listener changes (mTLS mode) apply to new connections; a gateway's certificates come with LDS.
    void this.gatewayTls?.refresh();
  }

  /** The inbound port's PeerAuthentication mode (per-port override, else the workload's). */
  private inboundMode(): { mode: PeerAuthMode; port: number } | undefined {
    const snap = this.snapshot.value;
    if (!snap) return undefined;
    const port = snap.inbound[0]?.port ?? 9080;
    const mtls = snap.authz.mtls;
    return { mode: mtls.ports.find((p) => p.port === port)?.mode ?? mtls.mode, port };
  }

  /** Both filters have a config, the snapshot and the certificate are there. */
  get ready(): boolean {
    return (this.router?.version ?? -1) >= 0 && (this.authz?.version ?? -1) >= 0 && this.snapshot.version >= 0 && this.cert !== undefined;
  }

  status(): DevProxyStatus {
    const o = this.options;
    const router = this.router!;
    const authz = this.authz!;
    return {
      workload: `${o.namespace}/${o.workload}`,
      pod: o.pod,
      mode: o.mode,
      ready: this.ready,
      filters: {
        router: { version: router.version, ...(router.lastWarning ? { lastWarning: router.lastWarning } : {}) },
        authz: { version: authz.version, ...(authz.lastWarning ? { lastWarning: authz.lastWarning } : {}) },
      },
      snapshot: {
        version: this.snapshot.version,
        ...(this.snapshot.lastError ? { lastError: this.snapshot.lastError } : {}),
        ...(this.snapshot.lastSuccessAt ? { lastSuccessAt: new Date(this.snapshot.lastSuccessAt).toISOString() } : {}),
      },
      version: Math.min(router.version, authz.version, this.snapshot.version),
      ...(o.mode === "sidecar" && this.inboundMode() ? { mtls: this.inboundMode() } : {}),
      ...(this.cert ? { certificate: { spiffeId: this.cert.spiffeId, issuer: this.cert.issuer, notAfter: this.cert.notAfter.toISOString() } } : {}),
      ...(this.certError ? { certificateError: this.certError } : {}),
      ...(this.gatewayTls ? { tls: this.gatewayTls.status() } : {}),
      registered: this.registered,
      ...(this.registrationError ? { registrationError: this.registrationError } : {}),
      listeners: this.listeners,
      clusters: this.upstreams.stats,
    };
  }

  private admin(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/ready" || path === "/healthz/ready") {
      res.writeHead(this.ready ? 200 : 503, { "content-type": "text/plain" });
      return void res.end(this.ready ? "LIVE\n" : "PRE_INITIALIZING\n");
    }
    if (path === "/stats/prometheus") return this.statsPrometheus(res);
    if (path === "/config_dump" || path === "/status") {
      const body = JSON.stringify(this.status(), null, 2) + "\n";
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(body);
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("admin: /ready, /config_dump, /stats/prometheus\n");
  }

  /** The Istio metrics the stats filters recorded, as Envoy's /stats/prometheus prints them. */
  private statsPrometheus(res: ServerResponse): void {
    const metrics = [this.statsOutbound, this.statsInbound].flatMap((f) => (f ? f.host.metrics() : []));
    res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    res.end(renderPrometheus(metrics));
  }

  /** Istio's :15090 listener routes /stats/prometheus to the admin interface and nothing else. */
  private prometheusListener(req: IncomingMessage, res: ServerResponse): void {
    if ((req.url ?? "/").split("?")[0] === "/stats/prometheus") return this.statsPrometheus(res);
    res.writeHead(404, { "content-type": "text/plain" });
    res.end();
  }

  // --------------------------------------------------------------------------------- inbound

  /** One port, TLS or plaintext by the first byte (Envoy's tls_inspector), accepted per mode. */
  private inboundServer(): NetServer {
    const plain = createHttpServer((req, res) => void this.inbound(req, res));
    const cert = this.cert!;
    const tls = createHttpsServer(
      { cert: cert.certChain, key: cert.keyPem, ca: cert.rootPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ["http/1.1"] },
      (req, res) => void this.inbound(req, res),
    );
    this.inboundTls = tls;
    this.servers.push(plain, tls);
    return createNetServer((socket: Socket) => {
      socket.once("data", (first: Buffer) => {
        const mode = this.inboundMode()?.mode;
        const isTls = first[0] === 0x16;
        // No listener config yet (Envoy: no LDS yet), or no filter chain for this transport: close.
        if (mode === undefined || (isTls && mode === "DISABLE") || (!isTls && mode === "STRICT")) {
          socket.destroy();
          return;
        }
        socket.pause();
        socket.unshift(first);
        (isTls ? tls : plain).emit("connection", socket);
        process.nextTick(() => socket.resume());
      });
      socket.on("error", () => socket.destroy());
    });
  }

  private async inbound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const o = this.options;
    const socket = req.socket as TLSSocket;
    const mtls = socket.encrypted === true;
    const principal = mtls ? peerSpiffeId(socket.getPeerCertificate()?.subjectaltname) : undefined;
    const port = this.inboundMode()?.port ?? 9080;
    const headers = requestHeaderMap(req, "http");
    if (mtls && principal) {
      // forward_client_cert_details: APPEND_FORWARD with the URI (as Istio's sidecars do).
      const xfcc = `By=${this.cert?.spiffeId ?? ""};URI=${principal}`;
      const prior = headers.get("x-forwarded-client-cert");
      headers.replace("x-forwarded-client-cert", prior ? `${prior},${xfcc}` : xfcc);
    } else headers.remove("x-forwarded-client-cert");
    const properties = mergeProperties(
      peerProperties({ principal, mtls, address: req.socket.remoteAddress, port: req.socket.remotePort }),
      { source: principal ? { principal } : {}, destination: { port, address: `${o.inbound!.host}:${port}` }, listener_direction: 1n },
      principal ? { connection: { requested_server_name: socket.servername || "", uri_san_local_certificate: this.cert?.spiffeId ?? "" } } : {},
    );
    const inbound = this.snapshot.value?.inbound.find((p) => p.port === port);
    const metadata = inbound?.services.length ? inboundClusterMetadata(inbound) : undefined;
    await this.handle(req, res, headers, properties, [this.statsInbound!, this.authz!], async (final) => {
      const app = o.app!;
      return this.forward(req, final, { cluster: `inbound|${port}||`, metadata, address: `${app.host}:${app.port}` });
    });
  }

  // -------------------------------------------------------------------------------- outbound

  private async outbound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = requestHeaderMap(req, "http");
    if (!headers.has("x-request-id")) headers.add("x-request-id", randomUUID());
    const authority = headers.get(":authority") ?? "";
    const properties: PropertyTree = mergeProperties(peerProperties({ mtls: false, address: req.socket.remoteAddress, port: req.socket.remotePort }), {
      destination: { port: authorityPort(authority, 80) },
      listener_direction: 2n,
    });
    // Istio runs RBAC on inbound only: the outbound chain is the router (and the fault filter).
    await this.handle(req, res, headers, properties, [this.statsOutbound!, this.router!], (final) => this.route(req, final));
  }

  // --------------------------------------------------------------------------------- gateway

  private gatewayPort(): number {
    if (this.options.gatewayPort) return this.options.gatewayPort;
    const http = (this.snapshot.value?.listeners ?? []).find((l) => /^HTTP/i.test(l.protocol) && (l.protocol !== "HTTPS" || l.tls));
    return http?.port ?? 80;
  }

  private async gateway(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = requestHeaderMap(req, "http");
    // use_remote_address: the edge sets x-forwarded-for / request id / a trace, and drops x-envoy-*.
    for (const [k] of headers.pairs()) if (INTERNAL.test(k)) headers.remove(k);
    const client = req.socket.remoteAddress ?? "";
    const xff = headers.get("x-forwarded-for");
    headers.replace("x-forwarded-for", xff ? `${xff}, ${client}` : client);
    headers.replace("x-forwarded-proto", (req.socket as TLSSocket).encrypted ? "https" : "http");
    if (!headers.has("x-request-id")) headers.add("x-request-id", randomUUID());
    if (!headers.has("x-b3-traceid") && !headers.has("traceparent")) {
      headers.add("x-b3-traceid", randomBytes(16).toString("hex"));
      headers.add("x-b3-spanid", randomBytes(8).toString("hex"));
      headers.add("x-b3-sampled", "1");
    }
    const properties: PropertyTree = mergeProperties(peerProperties({ mtls: false, address: client, port: req.socket.remotePort }), {
      destination: { port: this.gatewayPort() },
      listener_direction: 1n,
    });
    await this.handle(req, res, headers, properties, [this.statsOutbound!, this.authz!, this.router!], (final) => this.route(req, final));
  }

  // ------------------------------------------------------------------------- the filter chain

  /** Runs the request through `chain` (decoder order), then `next`, then the response back
   * through the chain (encoder order), as Envoy's HTTP connection manager does. */
  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    headers: HeaderMap,
    properties: PropertyTree,
    chain: RunningFilter[],
    next: (final: HeaderMap) => Promise<Response>,
  ): Promise<void> {
    const hasBody = req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
    const streams: [RunningFilter, Stream][] = [];
    let current = headers;
    let out = new HeaderMap();
    let reply: Response | undefined;
    const log = new StreamLog();
    log.requestBodyBytes = Number(req.headers["content-length"] ?? 0) || 0;
    const onClose = () => streams.forEach(([f, s]) => f.forget(s));
    res.once("close", onClose);
    try {
      for (const filter of chain) {
        const stream = filter.host.newStream({ properties });
        streams.push([filter, stream]);
        const r: PhaseResult = await filter.run(stream, (s) => s.requestHeaders(current.pairs(), !hasBody));
        if (r.action === "reply" && r.localReply) {
          const lr = r.localReply;
          reply = { status: lr.status, headers: new HeaderMap(lr.headers.filter(([k]) => k !== ":status")), body: Buffer.from(lr.body) };
          break; // its own response callbacks already ran on the local reply
        }
        current = new HeaderMap(stream.request.pairs());
      }
      if (!reply) reply = await next(current);
      log.flags = reply.flags ?? 0;
      log.upstream = reply.upstream;
      // Encoder path: the remaining filters see the response headers, last first.
      out = new HeaderMap([[":status", String(reply.status)], ...reply.headers.pairs()]);
      for (const [filter, stream] of [...streams].reverse()) {
        if (stream.phase === "done" || stream.localReply) continue;
        const endOfStream = !reply.stream && (reply.body?.length ?? 0) === 0;
        const r = await filter.run(stream, (s) => s.responseHeaders(out.pairs(), endOfStream));
        out = r.action === "reply" && r.localReply ? new HeaderMap(r.localReply.headers) : new HeaderMap(stream.response.pairs());
      }
      writeResponse(res, out, reply, log);
    } catch (err) {
      if (!res.headersSent) writeResponse(res, new HeaderMap([[":status", "503"]]), { status: 503, headers: new HeaderMap([["content-type", "text/plain"]]), body: Buffer.from(`dev proxy error: ${String(err)}\n`) });
      else res.destroy();
    } finally {
      // Envoy logs a stream when its response is complete, every filter seeing the one shared
      // request header map and the attributes known by then.
      const logAll = () => {
        Object.assign(properties, mergeProperties(properties, log.properties(current, out)));
        for (const [, stream] of streams) {
          if (stream.phase === "done") continue;
          stream.request.setAll(current.pairs());
          stream.done();
        }
      };
      if (res.closed) logAll();
      else res.once("close", logAll);
    }
  }

  /** Envoy's fault filter (header-driven) and router: x-mesh-cluster → endpoint. */
  private async route(req: IncomingMessage, headers: HeaderMap): Promise<Response> {
    const delay = Number(headers.get("x-envoy-fault-delay-request") ?? 0);
    const abort = Number(headers.get("x-envoy-fault-abort-request") ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (abort >= 200 && abort < 600) return textReply(abort, "fault filter abort", RESPONSE_FLAG.FaultInjected | (delay > 0 ? RESPONSE_FLAG.DelayInjected : 0));
    const delayed = delay > 0 ? RESPONSE_FLAG.DelayInjected : 0;
    const clusterName = headers.get("x-mesh-cluster");
    if (!clusterName) return textReply(404, "", RESPONSE_FLAG.NoRouteFound | delayed);
    const spec = this.snapshot.value?.clusters.find((c) => c.name === clusterName);
    if (!spec) return textReply(503, "no healthy upstream", RESPONSE_FLAG.NoClusterFound | delayed);
    const timeoutMs = Number(headers.get("x-envoy-upstream-rq-timeout-ms") ?? 0) || undefined;
    const retries = Math.min(Number(headers.get("x-envoy-max-retries") ?? 0) || 0, 10);
    const retryOn = headers.get("x-envoy-retry-on") ?? "";
    const canRetry = retries > 0 && (req.method === "GET" || req.method === "HEAD");
    for (let attempt = 0; ; attempt++) {
      const ep = this.upstreams.pick(spec);
      if (!ep) return textReply(503, "no healthy upstream", RESPONSE_FLAG.NoHealthyUpstream | delayed);
      try {
        const up = await this.upstreams.send(spec, ep, { method: req.method ?? "GET", path: headers.get(":path") ?? "/", headers: upstreamHeaders(headers), body: canRetry ? undefined : req, timeoutMs });
        if (canRetry && attempt < retries && retriable(up.status, retryOn)) {
          up.body.resume();
          continue;
        }
        const upstream = { cluster: spec.name, localPrincipal: up.localPrincipal, peerPrincipal: up.peerPrincipal };
        return { status: up.status, headers: responseHeaderMap(up.headers), body: undefined, stream: up.body, flags: delayed, upstream };
      } catch (err) {
        const e = err instanceof UpstreamError ? err : new UpstreamError(String(err), "reset");
        if (canRetry && attempt < retries && (e.kind === "connect" || e.kind === "reset") && /connect-failure|reset|5xx|gateway-error|refused-stream/.test(retryOn || "connect-failure")) continue;
        if (e.kind === "timeout") return textReply(504, "upstream request timeout", RESPONSE_FLAG.UpstreamRequestTimeout | delayed);
        return e.kind === "connect"
          ? textReply(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", RESPONSE_FLAG.UpstreamConnectionFailure | delayed)
          : textReply(503, "upstream connect error or disconnect/reset before headers", RESPONSE_FLAG.UpstreamConnectionTermination | delayed);
      }
    }
  }

  /** The inbound cluster: the local app, plaintext. */
  private async forward(req: IncomingMessage, headers: HeaderMap, target: { cluster: string; metadata?: PropertyTree; address: string }): Promise<Response> {
    const spec: ClusterSpec = { name: target.cluster, host: "", port: 0, subset: "", endpoints: { kind: "static", addresses: [] } };
    const ep = { namespace: "", workload: this.options.workload, pod: this.options.pod, serviceAccount: "", labels: {}, address: target.address, sidecar: false };
    try {
      const up = await this.upstreams.send(spec, ep, { method: req.method ?? "GET", path: headers.get(":path") ?? "/", headers: upstreamHeaders(headers), body: req });
      return { status: up.status, headers: responseHeaderMap(up.headers), body: undefined, stream: up.body, upstream: { cluster: target.cluster, metadata: target.metadata } };
    } catch {
      return textReply(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", RESPONSE_FLAG.UpstreamConnectionFailure);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.deregister();
    clearTimeout(this.certTimer);
    this.snapshot.stop();
    for (const f of [this.router, this.authz, this.statsOutbound, this.statsInbound]) f?.stop();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            // Servers fed sockets by a sniffing listener never listen themselves: end their keep-alive connections too.
            if (!s.listening) return resolve((s as Server).closeAllConnections?.());
            s.close(() => resolve());
            (s as Server).closeAllConnections?.();
          }),
      ),
    );
    this.upstreams.close();
    this.cp.close();
    for (const f of [this.router, this.authz, this.statsOutbound, this.statsInbound]) f?.host.close();
  }
}

interface Response {
  status: number;
  headers: HeaderMap;
  body: Buffer | undefined;
  stream?: IncomingMessage;
  /** Envoy's response flags for this outcome (RESPONSE_FLAG bits). */
  flags?: number;
  upstream?: UpstreamInfo;
}

function textReply(status: number, text: string, flags = 0): Response {
  return { status, headers: new HeaderMap(text ? [["content-type", "text/plain"]] : []), body: Buffer.from(text), flags };
}

function retriable(status: number, retryOn: string): boolean {
  if (/5xx/.test(retryOn) && status >= 500) return true;
  if (/gateway-error/.test(retryOn) && (status === 502 || status === 503 || status === 504)) return true;
  if (/retriable-4xx/.test(retryOn) && status === 409) return true;
  return false;
}

function requestHeaderMap(req: IncomingMessage, scheme: string): HeaderMap {
  const m = new HeaderMap([
    [":method", req.method ?? "GET"],
    [":path", req.url ?? "/"],
    [":authority", req.headers.host ?? ""],
    [":scheme", scheme],
  ]);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i].toLowerCase();
    if (k === "host" || HOP_BY_HOP.has(k)) continue;
    m.add(k, req.rawHeaders[i + 1]);
  }
  return m;
}

/** The request as it leaves for the upstream: pseudo headers become the request line and Host;
 * Envoy's internal headers (the router's picks, timeouts) stay behind. */
function upstreamHeaders(h: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { host: h.get(":authority") ?? "" };
  for (const [k, v] of h.pairs()) {
    if (k.startsWith(":") || INTERNAL.test(k) || HOP_BY_HOP.has(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function responseHeaderMap(headers: IncomingMessage["headers"]): HeaderMap {
  const m = new HeaderMap();
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    for (const one of Array.isArray(v) ? v : [v]) m.add(k, one);
  }
  return m;
}

function writeResponse(res: ServerResponse, headers: HeaderMap, reply: Response, log?: StreamLog): void {
  const status = Number(headers.get(":status") ?? reply.status);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of headers.pairs()) {
    if (k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  if (reply.stream) {
    res.writeHead(status, out);
    if (log) reply.stream.on("data", (chunk: Buffer) => (log.responseBodyBytes += chunk.length));
    reply.stream.pipe(res);
    reply.stream.once("error", () => res.destroy());
    return;
  }
  const body = reply.body ?? Buffer.alloc(0);
  if (log) log.responseBodyBytes = body.length;
  out["content-length"] = String(body.length);
  res.writeHead(status, out);
  res.end(body);
}

function authorityPort(authority: string, fallback: number): number {
  const m = /:(\d+)$/.exec(authority);
  return m && !authority.endsWith("]") ? Number(m[1]) : fallback;
}

/** Istio's node id (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`; gateways are `router`), which names the pod in proxy status. */
function nodeIdOf(o: DevProxyOptions): string {
  return `${o.mode === "gateway" ? "router" : "sidecar"}~127.0.0.1~${o.pod}.${o.namespace}~${o.namespace}.svc.cluster.local`;
}

function isSnapshot(v: unknown): v is WorkloadSnapshot {
  const s = v as WorkloadSnapshot;
  return typeof s === "object" && s !== null && typeof s.workload === "object" && Array.isArray(s.clusters) && typeof s.authz?.mtls?.mode === "string" && Array.isArray(s.inbound);
}

function listen(server: Server | NetServer, at: Address): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => {
      server.off("error", reject);
      const a = server.address() as AddressInfo;
      resolve(`${at.host}:${a.port}`);
    });
  });
}

export { splitHostPort };
