import type { ConfigStore } from "./store/config-store.ts";

/** The Worker's bindings, as declared in wrangler.toml. */
export interface Env {
  CONFIG_STORE: DurableObjectNamespace<ConfigStore>;
  MESH_KV: KVNamespace;
  /** Secret: the admin bearer token. Unset → the API refuses to serve rather than run open. */
  MESH_ADMIN_TOKEN?: string;
}
