// `npm run demo`: the Bookinfo walkthrough end to end on this machine.
//   1. the control plane under wrangler dev on https://127.0.0.1:8787 (local state in a temp dir);
//   2. Bookinfo applied through the config API; each Deployment's pod sent through the admission
//      webhook; the pods exist once their proxies register (the real `kubectl get pods` shows them);
//   3. every pod run as its Bookinfo stand-in + the dev proxy (the local stand-in for Envoy, with
//      the real router.wasm/authz.wasm), and the ingress gateway on 127.0.0.1:8080;
//   4. Debian's Prometheus scraping every proxy (when installed; the dashboard's graph reads it);
//   5. .demo/topology.json describes it; Ctrl-C stops everything.
// `npm run demo -- --tour` runs the walkthrough (test/tour) and exits non-zero if a step is off.
// Options: --istio-gateway (Istio Gateway + VirtualService instead of the Gateway API),
// --http-api (apply through the HTTP API even when kubectl is on PATH), --requests N,
// --https (TLS at the ingress too: bookinfo.example.com on 127.0.0.1:8443, --https-port to move it).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTour } from "../test/tour/tour.ts";
import { kubectlHome, makeApplier } from "./demo-apply.ts";
import { startDemoControlPlane } from "./demo-control-plane.ts";
import { enableHttps, HTTPS_HOST, type DemoHttps } from "./demo-https.ts";
import { freePort } from "./free-port.ts";
import { startDemoMesh, writeTopology } from "./demo-mesh.ts";
import { findPrometheus, PROMETHEUS_INSTALL_HINT, scrapeTargets, startPrometheus } from "./prometheus.ts";
import { PROJECT_ROOT } from "./wrangler-dev.ts";

const args = process.argv.slice(2);
const tour = args.includes("--tour");
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const CP_PORT = Number(flag("--port") ?? 8787);
const INGRESS_PORT = Number(flag("--ingress-port") ?? 8080);
const HTTPS_PORT = Number(flag("--https-port") ?? 8443);
const demoDir = join(PROJECT_ROOT, ".demo");
const topologyPath = join(demoDir, "topology.json");
const stateDir = mkdtempSync(join(tmpdir(), "edge-mesh-demo-"));
mkdirSync(demoDir, { recursive: true });

const say = (line: string) => console.log(line);
let cleanup: (() => Promise<void>) | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say("\nStopping the mesh and the control plane…");
  await cleanup?.().catch((err: unknown) => console.error(err));
  rmSync(stateDir, { recursive: true, force: true });
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown(0));

try {
  // The Worker learns Prometheus's URL when it starts, so the port is chosen before either runs.
  const prometheusBinary = findPrometheus();
  if (!prometheusBinary && process.env.CI === "true") throw new Error(`no prometheus binary (CI=true: the walkthrough needs it): ${PROMETHEUS_INSTALL_HINT}`);
  const prometheusPort = prometheusBinary ? await freePort() : undefined;
  const prometheusVars = prometheusPort ? { MESH_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}` } : undefined;
  say(`Starting the control plane (wrangler dev) on https://127.0.0.1:${CP_PORT}, local state in ${stateDir} …`);
  const cp = await startDemoControlPlane({ dir: stateDir, tlsDir: join(PROJECT_ROOT, ".mesh"), port: CP_PORT, pointerTtlSeconds: 1, vars: prometheusVars });
  cleanup = () => cp.stop();
  const applier = makeApplier(cp, { home: kubectlHome(stateDir), preferKubectl: !args.includes("--http-api") });
  const how = applier.via === "kubectl" ? "with kubectl" : `through the HTTP API${args.includes("--http-api") ? "" : " (kubectl is not on PATH)"}`;
  say(`Applying Bookinfo ${how}, creating the pods through the admission webhook, starting the services and their dev proxies …`);
  const mesh = await startDemoMesh({
    cp,
    applier,
    ingressPort: INGRESS_PORT,
    gateway: args.includes("--istio-gateway") ? "istio" : "gateway-api",
    pollMs: 500,
    topologyPath,
    log: args.includes("--verbose") ? (l) => say(`  [proxy] ${l}`) : undefined,
  });
  let https: DemoHttps | undefined;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  cleanup = async () => {
    await prometheus?.stop();
    await https?.proxy.stop();
    await mesh.stop();
    await cp.stop();
  };
  if (args.includes("--https")) {
    say(`Adding an HTTPS listener for ${HTTPS_HOST} (certificate from a local CA, stored with kubectl create secret tls) …`);
    https = await enableHttps({ applier, mesh, dir: demoDir, port: HTTPS_PORT });
  }
  if (prometheusBinary && prometheusPort) {
    const dir = join(demoDir, "prometheus");
    rmSync(dir, { recursive: true, force: true });
    const targets = scrapeTargets(mesh.topology);
    prometheus = await startPrometheus({ binary: prometheusBinary, dir, port: prometheusPort, targets, scrapeIntervalSeconds: 2 });
    mesh.topology.prometheus = prometheus.url;
    writeTopology(topologyPath, mesh.topology);
    say(`Prometheus on ${prometheus.url}, scraping the ${targets.length} proxies' /stats/prometheus every 2 s (data in .demo/prometheus)`);
    say(`Service graph: ${cp.url}/ui/#/graph   (sign in with the token in .demo/topology.json)`);
  } else say(`Prometheus is not installed, so the demo runs without it and the dashboard's graph stays empty: ${PROMETHEUS_INSTALL_HINT}`);
  // The pods as the API has them (from the proxies' registrations): kubectl's own output, or, without
  // kubectl, the same table from the API's Table response.
  const pods = await applier.get("pods", "default");
  const from = applier.via === "kubectl" ? "" : "   (kubectl is not on PATH: the API's Table for GET /api/v1/namespaces/default/pods)";
  say(`\n$ kubectl get pods${from}\n${pods.output}\n`);
  say(`Ingress gateway (${mesh.gateway.namespace}/${mesh.gateway.workload}, Gateway listener port ${mesh.gateway.port}) on ${mesh.ingressAddress}`);
  if (https) {
    const [, port] = https.address.split(":");
    say(`HTTPS ingress (Gateway listener 443, ${HTTPS_HOST}) on ${https.address}:
  curl --cacert ${https.caPath} --resolve ${HTTPS_HOST}:${port}:127.0.0.1 https://${HTTPS_HOST}:${port}/productpage`);
  }
  say(`Topology: .demo/topology.json   kubeconfig: ${cp.kubeconfig}`);
  if (tour) {
    const requests = Number(flag("--requests") ?? 400);
    const results = await runTour({ cp, applier, mesh, requests, log: say });
    const failed = results.filter((r) => !r.ok);
    say(`\n${results.length - failed.length}/${results.length} steps as expected${failed.length ? `; off: ${failed.map((f) => f.title.split(".")[0]).join(", ")}` : ""}`);
    await shutdown(failed.length ? 1 : 0);
  } else {
    say(`
Open http://${mesh.ingressAddress}/productpage  (reload: reviews v1 no stars, v2 black, v3 red)

Try, in another terminal:
  export KUBECONFIG=${cp.kubeconfig}
  kubectl apply -f samples/bookinfo/networking/destination-rule-all.yaml
  kubectl apply -f samples/bookinfo/networking/virtual-service-reviews-50-v3.yaml
  for i in $(seq 20); do curl -s http://${mesh.ingressAddress}/productpage | grep -o 'reviews-v[0-9]'; done | sort | uniq -c
  curl -s http://${mesh.topology.workloads["productpage-v1"]?.admin}/config_dump    # what productpage's proxy runs

Ctrl-C stops everything.`);
  }
} catch (err) {
  console.error(`\ndemo failed: ${err instanceof Error ? err.stack : String(err)}`);
  await shutdown(1);
}
