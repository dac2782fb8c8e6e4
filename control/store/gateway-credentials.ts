// The serving certificates a gateway proxy's LDS needs: only the Secrets its own compiled
// listeners name (so even a caller mistake in the Worker cannot read another Secret through
// it), each checked again as the compiler checked it. Read by the Worker after the proxy read
// path has let the caller read this workload's config.
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import { checkTlsSecret } from "../mesh/tls-secret.ts";
import type { Credential } from "../xds/translate/gateway-tls.ts";

export function gatewayCredentials(snapshotJson: string | undefined, secret: (namespace: string, name: string) => KubeObject | undefined): Record<string, Credential> {
  if (!snapshotJson) return {};
  const proxy = JSON.parse(snapshotJson) as WorkloadSnapshot;
  const out: Record<string, Credential> = {};
  for (const l of proxy.listeners ?? [])
    for (const { secret: ref } of l.tls?.certificates ?? []) {
      const [namespace, name] = ref.split("/");
      const found = secret(namespace, name);
      const verdict = found && checkTlsSecret(found);
      if (verdict && verdict.ok) out[ref] = { certificateChain: verdict.certificateChain, privateKey: verdict.privateKey };
    }
  return out;
}
