// The settings that are not config (control plane address, token, wasm digests) for translating
// in tests.
import type { XdsSettings } from "../../control/xds/translate/index.ts";

export const SETTINGS: XdsSettings = {
  controlPlane: { host: "mesh.example.com", url: "https://mesh.example.com" },
  token: "eyJhbGciOiJIUzI1NiJ9.e30.sig",
  wasm: {
    router: { url: "https://mesh.example.com/filters/router-aa.wasm", sha256: "a".repeat(64) },
    authz: { url: "https://mesh.example.com/filters/authz-bb.wasm", sha256: "b".repeat(64) },
    stats: { url: "https://mesh.example.com/filters/stats-cc.wasm", sha256: "c".repeat(64) },
  },
  targetPorts: {},
  filterPollMs: 5000,
  refreshDelay: "5s",
};
