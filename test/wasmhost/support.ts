// Shared helpers for the wasm host tests and benchmarks: build the filters when their sources
// changed since the last build (build.mjs decides), and compile them.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const FILTERS = ["router", "authz", "stats", "noop", "abi-floor"] as const;
export type FilterName = (typeof FILTERS)[number];

export function wasmPath(name: FilterName): string {
  return join(repoRoot, "build", `${name}.wasm`);
}

let built = false;

/** Runs build.mjs (`npm run build`), which rebuilds only what changed since its last build (~0.2 s when nothing did). */
export function ensureFiltersBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] });
  built = true;
}

// Workers' WebAssembly typings have no Module constructor (Workers cannot compile at run time);
// Node has one.
const WasmModule = (WebAssembly as unknown as { Module: new (bytes: Uint8Array) => WebAssembly.Module }).Module;

const compiled = new Map<FilterName, WebAssembly.Module>();

export function filterModule(name: FilterName): WebAssembly.Module {
  ensureFiltersBuilt();
  let m = compiled.get(name);
  if (!m) {
    m = new WasmModule(readFileSync(wasmPath(name)));
    compiled.set(name, m);
  }
  return m;
}

export function compileBytes(bytes: Uint8Array): WebAssembly.Module {
  return new WasmModule(bytes);
}

export const CONTROL_CLUSTER = "mesh-control";

/** A plugin configuration for the config channel. */
export function pluginConfig(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cluster: CONTROL_CLUSTER,
    authority: "mesh.example",
    path: "/mesh/v1/proxy/default/reviews/filter-config",
    token: "t0ken",
    pollMs: 1000,
    failOpen: false,
    ...overrides,
  });
}

export const GET = { ":method": "GET", ":path": "/reviews/1", ":authority": "reviews.default.svc", ":scheme": "http", "x-request-id": "r-1" };
