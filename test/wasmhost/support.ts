// Shared helpers for the wasm host tests and benchmarks: build the filters when the .wasm files
// are missing or older than their sources, and compile them.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const FILTERS = ["router", "authz", "noop", "abi-floor"] as const;
export type FilterName = (typeof FILTERS)[number];

export function wasmPath(name: FilterName): string {
  return join(repoRoot, "build", `${name}.wasm`);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let built = false;

/** Runs `npm run build:filters` unless every .wasm is newer than filters/ and asconfig.json. */
export function ensureFiltersBuilt(): void {
  if (built) return;
  const sources = Math.max(newestSource(join(repoRoot, "filters")), statSync(join(repoRoot, "asconfig.json")).mtimeMs);
  const stale = FILTERS.some((f) => !existsSync(wasmPath(f)) || statSync(wasmPath(f)).mtimeMs < sources);
  if (stale) execFileSync("npm", ["run", "build:filters"], { cwd: repoRoot, stdio: "inherit" });
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
