// The filter modules the Worker serves to Envoy (bundled as bytes from build/, which `npm start`,
// `npm test` and `npm run dev` build first), with their sha256 digests, computed once per isolate.
import authz from "../../build/authz.wasm.bin";
import router from "../../build/router.wasm.bin";
import stats from "../../build/stats.wasm.bin";

export const MODULES = { router, authz, stats } as const;
export type ModuleName = keyof typeof MODULES;

export interface ServedModule {
  name: ModuleName;
  bytes: ArrayBuffer;
  sha256: string;
}

let digests: Promise<Record<ModuleName, ServedModule>> | undefined;

async function hex(bytes: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function servedModules(): Promise<Record<ModuleName, ServedModule>> {
  digests ??= (async () => {
    const out = {} as Record<ModuleName, ServedModule>;
    for (const name of Object.keys(MODULES) as ModuleName[]) out[name] = { name, bytes: MODULES[name], sha256: await hex(MODULES[name]) };
    return out;
  })();
  return digests;
}
