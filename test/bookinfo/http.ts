// The small HTTP toolkit the Bookinfo stand-ins share: a JSON/HTML reply, header propagation as
// the originals do it, and an outbound call through the pod's sidecar (the stand-in for iptables
// capture: the app sends `GET /path` with `Host: details:9080` to its sidecar's outbound port).
import { randomBytes } from "node:crypto";
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";

/** The headers productpage, reviews and details forward on their calls (Istio's Bookinfo list). */
export const PROPAGATED_HEADERS = [
  "x-request-id",
  "x-ot-span-context",
  "x-datadog-trace-id",
  "x-datadog-parent-id",
  "x-datadog-sampling-priority",
  "traceparent",
  "tracestate",
  "x-cloud-trace-context",
  "grpc-trace-bin",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
  "sw8",
  "end-user",
  "user-agent",
  "cookie",
  "authorization",
  "jwt",
] as const;

/** The propagated subset of `incoming`, with a child B3 span (the originals' tracer does this). */
export function forwardHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATED_HEADERS) {
    const v = incoming[name];
    if (typeof v === "string") out[name] = v;
    else if (Array.isArray(v)) out[name] = v.join(", ");
  }
  if (out["x-b3-traceid"]) {
    if (out["x-b3-spanid"]) out["x-b3-parentspanid"] = out["x-b3-spanid"];
    out["x-b3-spanid"] = randomBytes(8).toString("hex");
  }
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, type: string, text: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) req.destroy(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export interface CallResult {
  status: number;
  body: string;
}

/** Where a stand-in's outbound calls go: its sidecar's outbound listener. */
export interface Outbound {
  host: string;
  port: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** GET http://<service>:9080<path> through the sidecar, with a client timeout like the original's. */
export function callService(outbound: Outbound, authority: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: outbound.host, port: outbound.port, path, method: "GET", agent, headers: { ...headers, host: authority } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms calling ${authority}${path}`)), timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}
