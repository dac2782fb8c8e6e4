// Starts the Worker under `wrangler dev` over HTTPS and waits until it answers /healthz.
// Used by `npm start`, the end-to-end tests and the demo.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { httpsRequest } from "./https-request.ts";
import type { LocalTls } from "./local-tls.ts";
import { stopGroupOnExit, stopProcessGroup } from "./process-group.ts";

export const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface WranglerDevOptions {
  port: number;
  tls: LocalTls;
  /** Where local KV/Durable Object state lives (wrangler's default: .wrangler/state). */
  persistTo?: string;
  /** Passed as a `--var`; otherwise the Worker reads MESH_ADMIN_TOKEN from .dev.vars. */
  adminToken?: string;
  /** More `--var`s (e.g. MESH_POINTER_TTL_SECONDS for tests). */
  vars?: Record<string, string>;
  /** Inherit stdio (npm start) instead of capturing it (tests). */
  inheritOutput?: boolean;
  /** Another Worker's wrangler.toml (the scale benchmark's floor); default: the project's. */
  config?: string;
  /** wrangler's DevTools proxy (`ws://127.0.0.1:<port>/ws`); default: none. */
  inspectorPort?: number;
}

export interface RunningWorker {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function startWranglerDev(opts: WranglerDevOptions): Promise<RunningWorker> {
  const args = [
    "wrangler",
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(opts.port),
    "--local-protocol",
    "https",
    "--https-key-path",
    opts.tls.keyPath,
    "--https-cert-path",
    opts.tls.certPath,
    "--show-interactive-dev-session=false",
    "--inspector-port",
    String(opts.inspectorPort ?? 0),
  ];
  if (opts.config) args.push("--config", opts.config);
  if (opts.persistTo) args.push("--persist-to", opts.persistTo);
  if (opts.adminToken) args.push("--var", `MESH_ADMIN_TOKEN:${opts.adminToken}`);
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push("--var", `${k}:${v}`);
  const child = spawn("npx", args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NODE_EXTRA_CA_CERTS: opts.tls.caCertPath },
    stdio: opts.inheritOutput ? "inherit" : ["ignore", "pipe", "pipe"],
    detached: true,
  });
  stopGroupOnExit(child);
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const url = `https://127.0.0.1:${opts.port}`;
  const stop = () => stopProcessGroup(child);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await httpsRequest(`${url}/healthz`, { ca: opts.tls.caPem, timeoutMs: 2000 });
      if (res.status === 200) return { url, process: child, output: () => log, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(`wrangler dev did not become healthy on ${url} within 60 s:\n${log}`);
}
