// `npm run demo -- --https`: TLS at the ingress. A local CA and a certificate for
// bookinfo.example.com (under .demo/https), stored with `kubectl create secret tls`, an HTTPS
// listener added to the Bookinfo Gateway (the HTTPRoute attaches to both listeners), and a second
// gateway pod whose dev proxy terminates TLS on it with the certificate its LDS carries.
import { join } from "node:path";
import type { Applier } from "./demo-apply.ts";
import type { DemoMesh } from "./demo-mesh.ts";
import { DevProxy } from "./devproxy/index.ts";
import { ensureLocalTls } from "./local-tls.ts";

export const HTTPS_HOST = "bookinfo.example.com";
const SECRET = "bookinfo-cert";

/** The Bookinfo Gateway (samples/bookinfo/gateway-api/bookinfo-gateway.yaml) with an HTTPS listener. */
const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
  namespace: default
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
  - name: https
    port: 443
    protocol: HTTPS
    hostname: ${HTTPS_HOST}
    tls:
      mode: Terminate
      certificateRefs:
      - name: ${SECRET}
    allowedRoutes:
      namespaces:
        from: Same
`;

export interface DemoHttps {
  /** PEM file of the CA that signed the gateway's certificate (for curl --cacert). */
  caPath: string;
  address: string;
  proxy: DevProxy;
}

export async function enableHttps(o: { applier: Applier; mesh: DemoMesh; dir: string; port: number }): Promise<DemoHttps> {
  if (o.mesh.gateway.port !== 80) throw new Error("--https needs the Gateway API ingress (not --istio-gateway)");
  const tls = await ensureLocalTls(join(o.dir, "https"), { commonName: HTTPS_HOST, names: [{ type: "dns", value: HTTPS_HOST }] });
  for (const step of [() => o.applier.createTlsSecret(SECRET, "default", tls.certPath, tls.keyPath), () => o.applier.apply(GATEWAY)]) {
    const r = await step();
    // A Secret left by an earlier run is fine: its certificate is the one under .demo/https.
    if (!r.ok && !/already exists/.test(r.output)) throw new Error(`enabling HTTPS failed:\n${r.output}`);
  }
  const ingress = o.mesh.ingress.options;
  const proxy = await DevProxy.start({
    ...ingress,
    pod: `${ingress.pod.replace(/-[a-z0-9]+$/, "")}-https`,
    listen: { host: "127.0.0.1", port: o.port },
    gatewayPort: 443,
    admin: { host: "127.0.0.1", port: 0 },
  });
  return { caPath: tls.caCertPath, address: proxy.listeners.gateway, proxy };
}
