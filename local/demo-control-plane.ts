// The control plane for the demo and its test: `wrangler dev` over HTTPS with throw-away local
// state, a short pointer TTL so changes reach the proxies within a second, and the handles the
// walkthrough needs (stop it to show the mesh keeps serving, start it again on the same state).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ControlPlaneAccess } from "./demo-apply.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { ensureLocalTls } from "./local-tls.ts";
import { type RunningWorker, startWranglerDev } from "./wrangler-dev.ts";

export interface DemoControlPlane extends ControlPlaneAccess {
  /** Stops wrangler dev (the Worker goes away; local state stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port and state. */
  start(): Promise<void>;
  readonly running: boolean;
  output(): string;
}

export async function startDemoControlPlane(opts: {
  dir: string;
  tlsDir: string;
  port: number;
  pointerTtlSeconds?: number;
  inheritOutput?: boolean;
  /** More Worker variables (the demo's MESH_PROMETHEUS_URL). */
  vars?: Record<string, string>;
}): Promise<DemoControlPlane> {
  const token = randomBytes(24).toString("base64url");
  const tls = await ensureLocalTls(opts.tlsDir);
  const options = {
    port: opts.port,
    tls,
    persistTo: join(opts.dir, "state"),
    adminToken: token,
    vars: { MESH_POINTER_TTL_SECONDS: String(opts.pointerTtlSeconds ?? 1), ...opts.vars },
    inheritOutput: opts.inheritOutput,
  };
  let worker: RunningWorker | undefined = await startWranglerDev(options);
  const kubeconfig = join(opts.dir, "kubeconfig");
  writeKubeconfig(kubeconfig, worker.url, tls.caPem, token);
  let previousOutput = "";
  return {
    url: worker.url,
    token,
    ca: tls.caPem,
    kubeconfig,
    get running() {
      return worker !== undefined;
    },
    async stop() {
      if (!worker) return;
      previousOutput += worker.output();
      await worker.stop();
      worker = undefined;
    },
    async start() {
      if (worker) return;
      worker = await startWranglerDev(options);
    },
    output: () => previousOutput + (worker?.output() ?? ""),
  };
}
