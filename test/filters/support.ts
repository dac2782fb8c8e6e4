// Shared helpers for the filter decision tests, fuzz and bench: FilterConfig bodies built from the
// golden compile inputs (as control/served/assemble.ts filterConfigJson serves them), a
// scripted control plane, and a host running one filter with a given config.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import type { FilterConfig, Snapshot } from "../../control/mesh/snapshot.ts";
import {
  type HostOptions,
  type HttpCallResult,
  jwtPayloadProperties,
  mergeProperties,
  type PhaseResult,
  peerProperties,
  type PropertyTree,
  ProxyWasmHost,
  type Stream,
} from "../../control/wasmhost/index.ts";
import type { DecisionRequest } from "./decision-cases.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";
import { CONTROL_CLUSTER, type FilterName, filterModule, pluginConfig } from "../wasmhost/support.ts";

export const GOLDEN_CASES = fileURLToPath(new URL("../golden/compile/", import.meta.url));

const snapshots = new Map<string, Snapshot>();

/** The compiled snapshot of a golden compile case (memoized). */
export function goldenSnapshot(name: string, revision = 1): Snapshot {
  const key = `${name}@${revision}`;
  let s = snapshots.get(key);
  if (!s) {
    const config = configFromYaml(readFileSync(`${GOLDEN_CASES}${name}/input.yaml`, "utf8"));
    s = compile(config, buildRegistry(config), revision);
    snapshots.set(key, s);
  }
  return s;
}

/** The FilterConfig a workload's filters fetch (control/served/assemble.ts filterConfigJson). */
export function filterConfig(caseName: string, workload: string, version = 1): FilterConfig {
  const w = goldenSnapshot(caseName).workloads[workload];
  if (!w) throw new Error(`${caseName}: no workload ${workload}`);
  return { version, workload, router: w.router, authz: w.authz };
}

/** A minimal valid FilterConfig: every authority on port 80 routes to `cluster`, authz open. */
export function minimalConfig(version: number, cluster = "outbound|80||default.example"): FilterConfig {
  return {
    version,
    workload: "default/test",
    router: {
      ports: [
        {
          port: 80,
          virtualHosts: [
            {
              name: "*:80",
              domains: ["*"],
              routes: [{ origin: { kind: "default", namespace: "default", name: "all", rule: 0 }, matches: [], destinations: [{ cluster, weight: 1 }] }],
            },
          ],
        },
      ],
    },
    authz: { mtls: { mode: "PERMISSIVE", ports: [], origin: [] }, policies: { custom: [], deny: [], allow: [], audit: [] }, jwt: [] },
  };
}

export function configAnswer(body: unknown, etag: string): HttpCallResult {
  return { status: 200, headers: { etag, "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) };
}

/** Loads `filter` and feeds it `config` through the config channel (then answers 304). */
export async function hostWithConfig(filter: FilterName, config: unknown, options: HostOptions = {}): Promise<ProxyWasmHost> {
  let first = true;
  const host = await ProxyWasmHost.load(filterModule(filter), {
    pluginConfig: pluginConfig({ pollMs: 5000 }),
    clusters: [CONTROL_CLUSTER],
    onHttpCall: () => {
      if (!first) return { status: 304 };
      first = false;
      return configAnswer(config, `"${(config as { version?: number }).version ?? "x"}"`);
    },
    now: 1_700_000_000_000,
    ...options,
  });
  await host.settle();
  if (host.failure) throw new Error(`${filter}: ${host.failure.message}`);
  return host;
}

/** A deterministic byte source for WASI random_get (xorshift32), so weighted draws reproduce. */
export function seededRandom(seed: number): (bytes: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      bytes[i] = x & 0xff;
    }
  };
}

/** Headers and stream properties for a decision-table request. */
export function streamInput(req: DecisionRequest): { headers: [string, string][]; properties: PropertyTree } {
  const headers: [string, string][] = [
    [":method", req.method ?? "GET"],
    [":path", req.path],
    [":authority", req.authority],
    [":scheme", "http"],
    ["x-request-id", "decision"],
    ...Object.entries(req.headers ?? {}),
  ];
  const properties = mergeProperties(
    req.port !== undefined ? { destination: { port: req.port, address: `10.0.0.1:${req.port}` } } : {},
    req.peer || req.mtls !== undefined ? peerProperties({ principal: req.peer?.principal, mtls: req.mtls, address: req.peer?.address }) : {},
    req.jwt ? jwtPayloadProperties(req.jwt) : {},
  );
  return { headers, properties };
}

export interface Outcome {
  action: PhaseResult["action"];
  cluster?: string;
  status?: number;
  body?: string;
  stream: Stream;
}

/** Sends one request's headers through a filter (the stream is left open: call done()). */
export function send(host: ProxyWasmHost, req: DecisionRequest): Outcome {
  const { headers, properties } = streamInput(req);
  const stream = host.newStream({ properties });
  const r = stream.requestHeaders(headers);
  return { action: r.action, cluster: stream.request.get("x-mesh-cluster"), status: r.localReply?.status, body: r.localReply?.body, stream };
}
