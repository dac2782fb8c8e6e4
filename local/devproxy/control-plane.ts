// The dev proxy's connection to the control plane: HTTPS with keep-alive, the local CA, and the
// workload token as bearer (what Envoy's control-plane cluster and the filters' http_call use).
import { Agent, request } from "node:https";

export interface ControlPlaneOptions {
  /** `https://127.0.0.1:8787` */
  url: string;
  /** PEM of the CA that signed the control plane's serving certificate (local dev CA). */
  ca?: string;
  /** The workload token (`POST /mesh/v1/workload-tokens`). */
  token: string;
  /** The proxy's Envoy node id, sent with every request (x-mesh-node) so proxy status can name the pod. */
  nodeId?: string;
}

export interface CpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class ControlPlane {
  readonly url: URL;
  private readonly agent: Agent;

  constructor(readonly options: ControlPlaneOptions) {
    this.url = new URL(options.url);
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ca: options.ca });
  }

  /** host[:port], what Envoy sends as :authority to its control-plane cluster. */
  get authority(): string {
    return this.url.host;
  }

  request(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<CpResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      ...(this.options.nodeId ? { "x-mesh-node": this.options.nodeId } : {}),
      ...(opts.headers ?? {}),
    };
    if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
    return new Promise((resolve, reject) => {
      const req = request(
        { protocol: "https:", hostname: this.url.hostname, port: this.url.port || 443, path, method: opts.method ?? "GET", headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            clearTimeout(timer);
            const flat: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(", ") : v;
            resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`control plane request ${path} timed out`)), opts.timeoutMs ?? 5000);
      req.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A document polled with If-None-Match, keeping the last good copy (as REST xDS does). */
export class PolledDocument<T> {
  value: T | undefined;
  etag: string | undefined;
  /** The version (ETag number) of `value`, -1 before the first. */
  version = -1;
  lastError: string | undefined;
  lastSuccessAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly cp: ControlPlane,
    private readonly path: string,
    private readonly accept: (body: unknown) => T | undefined,
    private readonly onChange: (value: T) => void,
  ) {}

  start(pollMs: number): void {
    const loop = async () => {
      await this.poll();
      if (!this.stopped) this.timer = setTimeout(loop, pollMs);
    };
    void loop();
  }

  async poll(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const res = await this.cp.request(this.path, { headers: this.etag ? { "if-none-match": this.etag } : {}, timeoutMs: 5000 });
      if (res.status === 304) {
        this.lastError = undefined;
        this.lastSuccessAt = Date.now();
        return;
      }
      if (res.status !== 200) {
        this.lastError = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
        return;
      }
      const version = Number(/^(?:W\/)?"?(\d+)"?$/.exec(res.headers.etag ?? "")?.[1] ?? -1);
      if (version < this.version) {
        this.lastError = `version ${version} is older than ${this.version}; kept`;
        return;
      }
      const value = this.accept(JSON.parse(res.body));
      if (value === undefined) {
        this.lastError = "rejected an invalid document; kept the last good one";
        return;
      }
      this.value = value;
      this.etag = res.headers.etag;
      this.version = version;
      this.lastError = undefined;
      this.lastSuccessAt = Date.now();
      this.onChange(value);
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      this.inFlight = false;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
