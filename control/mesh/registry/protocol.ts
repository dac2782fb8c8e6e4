// Istio's protocol selection: `appProtocol` first, then the port name's prefix (`http-web`,
// `grpc`, `tcp-db`); anything else is auto-detected, which carries HTTP as HTTP.
const KNOWN = ["http2", "https", "http", "grpc-web", "grpc", "tls", "tcp", "udp", "mongo", "redis", "mysql"];

export function portProtocol(name: string | undefined, appProtocol: string | undefined, declared?: string): string {
  const candidate = (appProtocol ?? declared ?? name ?? "").toLowerCase();
  for (const p of KNOWN) if (candidate === p || candidate.startsWith(`${p}-`)) return p.toUpperCase();
  if (appProtocol?.startsWith("kubernetes.io/h2c")) return "HTTP2";
  if (appProtocol?.startsWith("kubernetes.io/ws")) return "HTTP";
  return declared?.toUpperCase() === "UDP" ? "UDP" : "HTTP";
}

/** Protocols the HTTP router handles. */
export function isHttp(protocol: string): boolean {
  return protocol === "HTTP" || protocol === "HTTP2" || protocol === "GRPC" || protocol === "GRPC-WEB";
}
