// The kubeconfig that points stock kubectl at the control plane: server, CA and admin token.
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";

export function kubeconfigYaml(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "edge-mesh", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "edge-mesh-admin", user: { token } }],
    contexts: [{ name: "edge-mesh", context: { cluster: "edge-mesh", user: "edge-mesh-admin", namespace: "default" } }],
    "current-context": "edge-mesh",
  });
}

export function writeKubeconfig(path: string, server: string, caPem: string, token: string): void {
  writeFileSync(path, kubeconfigYaml(server, caPem, token), { mode: 0o600 });
}
