// A real Prometheus (Debian's `prometheus` package) for the walkthrough and the tests: a scrape
// config for every proxy's admin listener (GET /stats/prometheus, Istio's standard metrics), its
// data under a directory of ours, a 127.0.0.1 port, started and stopped with its process group.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { stopGroupOnExit, stopProcessGroup } from "./process-group.ts";
import type { Topology } from "./demo-mesh.ts";

export const PROMETHEUS_INSTALL_HINT = "apt-get install prometheus (Debian/Ubuntu), or set PROMETHEUS_PATH to a prometheus binary";

/** PROMETHEUS_PATH, else /usr/bin/prometheus, else `prometheus` on PATH; undefined when there is none. */
export function findPrometheus(): string | undefined {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  const candidates = process.env.PROMETHEUS_PATH ? [process.env.PROMETHEUS_PATH] : ["/usr/bin/prometheus", ...dirs.map((d) => join(d, "prometheus"))];
  return candidates.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** One proxy to scrape: its admin address (`host:port`) and who it is. */
export interface ScrapeTarget {
  workload: string;
  namespace: string;
  address: string;
}

/** Every proxy of the demo's mesh, sidecars and the ingress gateway, at its admin listener. */
export function scrapeTargets(topology: Topology): ScrapeTarget[] {
  return Object.entries(topology.workloads).map(([workload, w]) => ({ workload, namespace: w.namespace, address: w.admin }));
}

/** prometheus.yml: one job for the mesh's proxies, each target labelled with its workload and namespace. */
export function scrapeConfig(targets: ScrapeTarget[], intervalSeconds: number): string {
  return stringify({
    global: { scrape_interval: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s` },
    scrape_configs: [
      {
        job_name: "envoy-stats",
        metrics_path: "/stats/prometheus",
        static_configs: targets.map((t) => ({ targets: [t.address], labels: { namespace: t.namespace, workload: t.workload } })),
      },
    ],
  });
}

export interface PrometheusOptions {
  binary: string;
  /** Holds prometheus.yml and the TSDB (data/). */
  dir: string;
  port: number;
  targets: ScrapeTarget[];
  /** 2 s in the demo: a graph over the last minute has ~30 samples per series. */
  scrapeIntervalSeconds?: number;
}

export interface RunningPrometheus {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  mkdirSync(join(o.dir, "data"), { recursive: true });
  const config = join(o.dir, "prometheus.yml");
  writeFileSync(config, scrapeConfig(o.targets, o.scrapeIntervalSeconds ?? 2));
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawn(o.binary, [`--config.file=${config}`, `--storage.tsdb.path=${join(o.dir, "data")}`, `--web.listen-address=127.0.0.1:${o.port}`, "--storage.tsdb.retention.time=1d", "--log.level=warn"], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  stopGroupOnExit(child);
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const stop = () => stopProcessGroup(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, output: () => log, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready on ${url} within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
