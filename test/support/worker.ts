// Starts the real Worker under `wrangler dev` (HTTPS, throw-away state) for a test file, and
// drives it with the real kubectl and with raw HTTPS requests.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeKubeconfig } from "../../local/kubeconfig.ts";
import { httpsRequest, type HttpResponse } from "../../local/https-request.ts";
import { freePort } from "../../local/free-port.ts";
import { ensureLocalTls } from "../../local/local-tls.ts";
import { startWranglerDev } from "../../local/wrangler-dev.ts";

export const SAMPLES = new URL("../../samples/", import.meta.url).pathname;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestWorker {
  url: string;
  token: string;
  ca: string;
  kubeconfig: string;
  dir: string;
  /** wrangler's DevTools proxy to the Worker's isolate (`ws://127.0.0.1:<port>/ws`). */
  inspectorPort: number;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  request(path: string, opts?: { method?: string; headers?: Record<string, string>; body?: string | Buffer; token?: string | null }): Promise<HttpResponse & { json: () => any }>;
  /** `kubectl apply -f` each file in turn; throws with kubectl's stderr if one fails. */
  apply(...files: string[]): Promise<void>;
  /** A workload token for a namespace + service account, issued with the admin token. */
  workloadToken(namespace: string, serviceAccount: string, ttlSeconds?: number): Promise<string>;
  /** Stops wrangler dev and starts it again on the same port and local state (after `whileStopped`, if given). */
  restart(whileStopped?: () => void | Promise<void>): Promise<void>;
  stop(): Promise<void>;
  /** What wrangler dev (and the Worker's console) printed so far. */
  output(): string;
}

export async function startTestWorker(vars: Record<string, string> = {}, config?: string): Promise<TestWorker> {
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-test-"));
  const token = randomBytes(24).toString("base64url");
  const tls = await ensureLocalTls(join(dir, "tls"));
  const options = { port: await freePort(), tls, persistTo: join(dir, "state"), adminToken: token, vars, config, inspectorPort: await freePort() };
  let worker = await startWranglerDev(options);
  const kubeconfig = join(dir, "kubeconfig");
  writeKubeconfig(kubeconfig, worker.url, tls.caPem, token);
  const tw: TestWorker = {
    url: worker.url,
    token,
    ca: tls.caPem,
    kubeconfig,
    dir,
    inspectorPort: options.inspectorPort,
    kubectl(args, opts = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          "kubectl",
          ["--kubeconfig", kubeconfig, ...args],
          // A private HOME keeps kubectl's discovery cache from leaking between runs.
          { env: { ...process.env, HOME: join(dir, "home"), KUBECONFIG: "" }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (opts.input !== undefined) child.stdin!.end(opts.input);
      });
    },
    async request(path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const bearer = opts.token === undefined ? token : opts.token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      const res = await httpsRequest(`${worker.url}${path}`, { ca: tls.caPem, method: opts.method, headers, body: opts.body });
      return { ...res, json: () => JSON.parse(res.body) };
    },
    async apply(...files) {
      for (const f of files) {
        const r = await tw.kubectl(["apply", "-f", f]);
        if (r.code !== 0) throw new Error(`kubectl apply -f ${f} failed: ${r.stderr}`);
      }
    },
    async workloadToken(namespace, serviceAccount, ttlSeconds = 3600) {
      const r = await tw.request("/mesh/v1/workload-tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ namespace, serviceAccount, ttlSeconds }),
      });
      if (r.status !== 201) throw new Error(`issuing a workload token failed: ${r.status} ${r.body}`);
      return r.json().token as string;
    },
    async restart(whileStopped) {
      await worker.stop();
      await whileStopped?.();
      worker = await startWranglerDev(options);
    },
    output() {
      return worker.output();
    },
    async stop() {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return tw;
}
