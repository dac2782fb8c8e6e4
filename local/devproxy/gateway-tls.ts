// The gateway's listener as Envoy runs it from LDS: when the Gateway listener behind this port is
// HTTPS, TLS is terminated with the certificates LDS carries inline (each filter chain's
// DownstreamTlsContext, picked by SNI through its server_names); a connection no chain takes is
// closed, and a port with TLS chains serves no plaintext. The certificates come from the same
// `POST /v3/discovery:listeners` Envoy polls, with the workload's token: the only place the
// control plane hands out the key.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import type { ControlPlane } from "./control-plane.ts";

export interface TlsChain {
  /** SNI names the chain answers (exact or `*.suffix`); empty: any. */
  serverNames: string[];
  context: SecureContext;
}

interface LdsChain {
  filter_chain_match?: { server_names?: string[] };
  transport_socket?: { typed_config?: { common_tls_context?: { tls_certificates?: { certificate_chain?: { inline_string?: string }; private_key?: { inline_string?: string } }[] } } };
}

/** The TLS filter chains of the listener on `port` in an LDS DiscoveryResponse. */
export function tlsChainsFromLds(body: unknown, port: number): TlsChain[] {
  const resources = ((body as { resources?: { name?: string; filter_chains?: LdsChain[] }[] })?.resources ?? []).filter((l) => l.name === `0.0.0.0_${port}`);
  const out: TlsChain[] = [];
  for (const chain of resources[0]?.filter_chains ?? []) {
    const certs = chain.transport_socket?.typed_config?.common_tls_context?.tls_certificates ?? [];
    if (!certs.length) continue;
    const context = createSecureContext({
      cert: certs.map((c) => c.certificate_chain?.inline_string ?? ""),
      key: certs.map((c) => c.private_key?.inline_string ?? ""),
      ALPNProtocols: ["http/1.1"],
    } as Parameters<typeof createSecureContext>[0]);
    out.push({ serverNames: chain.filter_chain_match?.server_names ?? [], context });
  }
  return out;
}

/** Envoy's filter chain match on server_names: exact first, then the longest wildcard, then a chain naming none. */
export function chainFor(chains: TlsChain[], servername: string): TlsChain | undefined {
  const name = servername.toLowerCase();
  const exact = chains.find((c) => c.serverNames.includes(name));
  if (exact) return exact;
  const wildcards = chains.flatMap((c) => c.serverNames.filter((s) => s.startsWith("*.") && name.endsWith(s.slice(1))).map((s) => ({ c, len: s.length })));
  if (wildcards.length) return wildcards.sort((a, b) => b.len - a.len)[0].c;
  return chains.find((c) => c.serverNames.length === 0);
}

export interface GatewayNode {
  namespace: string;
  workload: string;
  pod: string;
  serviceAccount: string;
}

export class GatewayTls {
  chains: TlsChain[] = [];
  lastError: string | undefined;

  constructor(
    private readonly cp: ControlPlane,
    private readonly node: GatewayNode,
    private readonly port: () => number,
  ) {}

  /** Polls LDS once (on each snapshot change: the listeners' certificates change with it). */
  async refresh(): Promise<void> {
    const n = this.node;
    const body = JSON.stringify({
      node: { id: `router~127.0.0.1~${n.pod}.${n.namespace}~${n.namespace}.svc.cluster.local`, metadata: { NAMESPACE: n.namespace, WORKLOAD_NAME: n.workload, SERVICE_ACCOUNT: n.serviceAccount } },
      type_url: "type.googleapis.com/envoy.config.listener.v3.Listener",
    });
    try {
      const res = await this.cp.request("/v3/discovery:listeners", { method: "POST", headers: { "content-type": "application/json" }, body });
      if (res.status !== 200) {
        this.lastError = `LDS: HTTP ${res.status}`;
        return;
      }
      this.chains = tlsChainsFromLds(JSON.parse(res.body), this.port());
      this.lastError = undefined;
    } catch (err) {
      // Keep the last good certificates, as Envoy keeps its listeners.
      this.lastError = `LDS: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** For /config_dump: the SNI names served (never the certificates) and the last LDS error. */
  status(): { serverNames: string[][]; lastError?: string } {
    return { serverNames: this.chains.map((c) => c.serverNames), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** One port: TLS with the chains LDS gave (none: plaintext HTTP), as Envoy's listener would. */
  server(handler: (req: IncomingMessage, res: ServerResponse) => void, track: (s: NetServer) => void): NetServer {
    const plain = createHttpServer(handler);
    const tls = createHttpsServer(
      {
        SNICallback: (servername, done) => {
          const chain = chainFor(this.chains, servername);
          done(chain ? null : new Error(`no filter chain for server name ${servername}`), chain?.context);
        },
      },
      handler,
    );
    track(plain);
    track(tls);
    return createNetServer((socket: Socket) => {
      socket.once("data", (first: Buffer) => {
        const isTls = first[0] === 0x16;
        if (isTls !== this.chains.length > 0) return void socket.destroy();
        socket.pause();
        socket.unshift(first);
        (isTls ? tls : plain).emit("connection", socket);
        process.nextTick(() => socket.resume());
      });
      socket.on("error", () => socket.destroy());
    });
  }
}
