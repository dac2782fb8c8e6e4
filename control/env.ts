import type { ConfigStore } from "./store/config-store.ts";

/** The Worker's bindings, as declared in wrangler.toml. */
export interface Env {
  CONFIG_STORE: DurableObjectNamespace<ConfigStore>;
  MESH_KV: KVNamespace;
  /** Secret: the admin bearer token. Unset → the API refuses to serve rather than run open. */
  MESH_ADMIN_TOKEN?: string;
  /** How many revisions the history keeps (default 1000). */
  MESH_REVISION_RETENTION?: string;
  /** How long each location caches the current-revision pointer (default 5 s; 0 disables). */
  MESH_POINTER_TTL_SECONDS?: string;
}
