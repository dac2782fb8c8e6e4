// The Bookinfo mesh on one machine: apply Bookinfo through the config API, "create the pods" by
// sending each Deployment's pod through the admission webhook, then run each pod as its two
// containers — the Bookinfo stand-in (test/bookinfo) and the dev proxy (local/devproxy, the
// local stand-in for Envoy) — plus the ingress gateway, and describe it all in topology.json.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import jsonpatch from "fast-json-patch";
import { DevProxy, type Endpoint, LocalDevCa, StaticEndpoints } from "./devproxy/index.ts";
import { type BookinfoService, type RunningApp, startBookinfoApp } from "../test/bookinfo/services.ts";
import type { Applier, ControlPlaneAccess } from "./demo-apply.ts";
import { freePort } from "./free-port.ts";
import { httpsRequest } from "./https-request.ts";
import { PROJECT_ROOT } from "./wrangler-dev.ts";

export const SAMPLES = join(PROJECT_ROOT, "samples");
export const bookinfoSample = (p: string) => join(SAMPLES, "bookinfo", p);

export type GatewayFlavour = "gateway-api" | "istio";

/** The ingress workload each flavour compiles to, and the Gateway listener port. */
export const GATEWAYS: Record<GatewayFlavour, { file: string; namespace: string; workload: string; port: number }> = {
  "gateway-api": { file: "gateway-api/bookinfo-gateway.yaml", namespace: "default", workload: "bookinfo-gateway-istio", port: 80 },
  istio: { file: "networking/bookinfo-gateway.yaml", namespace: "istio-system", workload: "istio-ingressgateway", port: 8080 },
};

export interface DemoMeshOptions {
  cp: ControlPlaneAccess;
  applier: Applier;
  /** The ingress listens on 127.0.0.1:<ingressPort>. */
  ingressPort: number;
  gateway?: GatewayFlavour;
  pollMs?: number;
  wasmDir?: string;
  /** Where topology.json goes (default: none). */
  topologyPath?: string;
  log?: (line: string) => void;
}

export interface Pod {
  name: string;
  namespace: string;
  workload: string;
  serviceAccount: string;
  labels: Record<string, string>;
  containers: string[];
  initContainers: string[];
  service: BookinfoService;
  version: string;
}

export interface RunningWorkload {
  pod: Pod;
  app: RunningApp;
  proxy: DevProxy;
  /** The sidecar's inbound address (what other sidecars connect to). */
  sidecar: string;
  admin: string;
}

export interface Topology {
  controlPlane: { url: string; token: string; kubeconfig: string };
  ingress: string;
  workloads: Record<string, { namespace: string; app?: string; sidecar: string; admin: string; pod: string }>;
  /** The Prometheus scraping every proxy's admin listener, when the demo runs one. */
  prometheus?: string;
}

export function writeTopology(path: string, topology: Topology): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(topology, null, 2) + "\n", { mode: 0o600 });
}

export interface DemoMesh {
  workloads: RunningWorkload[];
  ingress: DevProxy;
  ingressAddress: string;
  gateway: (typeof GATEWAYS)[GatewayFlavour];
  topology: Topology;
  proxies(): DevProxy[];
  stop(): Promise<void>;
}

async function cpRequest(cp: ControlPlaneAccess, path: string, method = "GET", body?: unknown) {
  const res = await httpsRequest(`${cp.url}${path}`, {
    ca: cp.ca,
    method,
    headers: { authorization: `Bearer ${cp.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { ...res, json: () => JSON.parse(res.body) };
}

export async function workloadToken(cp: ControlPlaneAccess, namespace: string, serviceAccount: string): Promise<string> {
  const r = await cpRequest(cp, "/mesh/v1/workload-tokens", "POST", { namespace, serviceAccount, ttlSeconds: 24 * 3600 });
  if (r.status !== 201) throw new Error(`workload token for ${namespace}/${serviceAccount}: HTTP ${r.status} ${r.body}`);
  return r.json().token as string;
}

const NAMESPACE_DEFAULT = `apiVersion: v1
kind: Namespace
metadata:
  name: default
  labels:
    istio-injection: enabled
`;

/** Applies Bookinfo (namespace with injection on, services, service accounts, deployments) and the gateway. */
export async function applyBookinfo(applier: Applier, gateway: GatewayFlavour): Promise<void> {
  for (const source of [NAMESPACE_DEFAULT, bookinfoSample("platform/kube/bookinfo.yaml"), bookinfoSample(GATEWAYS[gateway].file)]) {
    const r = await applier.apply(source);
    if (!r.ok) throw new Error(`applying ${source.includes("\n") ? "the default namespace" : source} failed:\n${r.output}`);
  }
}

interface Deployment {
  metadata: { name: string; namespace?: string; uid?: string };
  spec: { template: { metadata?: { labels?: Record<string, string> }; spec: { serviceAccountName?: string; containers: { name: string; image?: string }[] } } };
}

const STAND_INS = /examples-bookinfo-(productpage|details|reviews|ratings)-(v\d+)/;
const alnum = (n: number) => [...randomBytes(n)].map((b) => "bcdfghjklmnpqrstvwxz2456789"[b % 27]).join("");

/** The pods the ReplicaSets would create, each sent through the admission webhook (as the API
 * server does) and patched with its answer. */
export async function createPods(cp: ControlPlaneAccess, namespace = "default"): Promise<Pod[]> {
  const list = await cpRequest(cp, `/apis/apps/v1/namespaces/${namespace}/deployments`);
  if (list.status !== 200) throw new Error(`listing deployments: HTTP ${list.status} ${list.body}`);
  const pods: Pod[] = [];
  for (const d of (list.json().items as Deployment[]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const image = d.spec.template.spec.containers.map((c) => c.image ?? "").find((i) => STAND_INS.test(i));
    const m = image ? STAND_INS.exec(image) : null;
    if (!m) continue; // no stand-in for this image
    const hash = alnum(10);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: `${d.metadata.name}-${hash}-`,
        namespace,
        labels: { ...(d.spec.template.metadata?.labels ?? {}), "pod-template-hash": hash },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${d.metadata.name}-${hash}`, uid: `uid-${hash}`, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(d.spec.template.spec),
    };
    const uid = crypto.randomUUID();
    const review = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid,
        kind: { group: "", version: "v1", kind: "Pod" },
        resource: { group: "", version: "v1", resource: "pods" },
        requestKind: { group: "", version: "v1", kind: "Pod" },
        requestResource: { group: "", version: "v1", resource: "pods" },
        name: "",
        namespace,
        operation: "CREATE",
        userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts"] },
        object: pod,
        oldObject: null,
        dryRun: false,
        options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
      },
    };
    const r = await httpsRequest(`${cp.url}/inject`, { ca: cp.ca, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(review) });
    if (r.status !== 200) throw new Error(`admission webhook: HTTP ${r.status} ${r.body}`);
    const response = (JSON.parse(r.body) as { response?: { uid?: string; allowed?: boolean; patch?: string; status?: { message?: string } } }).response;
    if (response?.uid !== uid || !response.allowed) throw new Error(`admission webhook refused ${d.metadata.name}: ${response?.status?.message ?? r.body}`);
    const patched = response.patch
      ? (jsonpatch.applyPatch(structuredClone(pod), JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")), true, false).newDocument as typeof pod & {
          spec: { initContainers?: { name: string }[] };
        })
      : (pod as typeof pod & { spec: { initContainers?: { name: string }[] } });
    pods.push({
      name: `${patched.metadata.generateName}${alnum(5)}`,
      namespace,
      workload: d.metadata.name,
      serviceAccount: patched.spec.serviceAccountName ?? "default",
      labels: patched.metadata.labels,
      containers: patched.spec.containers.map((c) => c.name),
      initContainers: (patched.spec.initContainers ?? []).map((c) => c.name),
      service: m[1] as BookinfoService,
      version: m[2],
    });
  }
  return pods;
}

/** Reads a workload's compiled snapshot with the admin token (service account of a gateway). */
async function snapshotOf(cp: ControlPlaneAccess, namespace: string, workload: string): Promise<{ workload: { serviceAccount: string } }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await cpRequest(cp, `/mesh/v1/snapshot/${namespace}/${workload}`);
    if (r.status === 200) return r.json();
    if (Date.now() > deadline) throw new Error(`no compiled config for ${namespace}/${workload}: HTTP ${r.status} ${r.body}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

async function waitReady(proxies: DevProxy[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (proxies.some((p) => !p.ready)) {
    if (Date.now() > deadline) {
      const stuck = proxies.filter((p) => !p.ready).map((p) => `${p.options.pod}: ${JSON.stringify(p.status().filters)} snapshot ${JSON.stringify(p.status().snapshot)}`);
      throw new Error(`proxies not ready after ${timeoutMs} ms:\n${stuck.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startDemoMesh(o: DemoMeshOptions): Promise<DemoMesh> {
  const log = o.log ?? (() => undefined);
  const flavour = o.gateway ?? "gateway-api";
  const gateway = GATEWAYS[flavour];
  const pollMs = o.pollMs ?? 500;
  const wasmDir = o.wasmDir ?? join(PROJECT_ROOT, "build");

  await applyBookinfo(o.applier, flavour);
  const pods = await createPods(o.cp);
  const tokens = new Map<string, string>();
  const tokenFor = async (ns: string, sa: string) => {
    const key = `${ns}/${sa}`;
    if (!tokens.has(key)) tokens.set(key, await workloadToken(o.cp, ns, sa));
    return tokens.get(key)!;
  };

  // SEAM (see local/devproxy/certs.ts): used only if the control plane has no mesh CA.
  const fallbackCa = await LocalDevCa.create();
  const endpoints: Endpoint[] = [];
  const source = new StaticEndpoints(() => endpoints);
  const workloads: RunningWorkload[] = [];
  const stopAll = async (ingress?: DevProxy) => {
    await ingress?.stop();
    await Promise.all(workloads.map(async (w) => Promise.all([w.proxy.stop(), w.app.close()])));
  };

  try {
    for (const pod of pods) {
      const appPort = await freePort();
      const proxy = await DevProxy.start({
        mode: "sidecar",
        namespace: pod.namespace,
        workload: pod.workload,
        pod: pod.name,
        serviceAccount: pod.serviceAccount,
        labels: pod.labels,
        controlPlane: { url: o.cp.url, ca: o.cp.ca, token: await tokenFor(pod.namespace, pod.serviceAccount) },
        wasmDir,
        pollMs,
        endpoints: source,
        fallbackCa,
        app: { host: "127.0.0.1", port: appPort },
        inbound: { host: "127.0.0.1", port: 0 },
        outbound: { host: "127.0.0.1", port: 0 },
        admin: { host: "127.0.0.1", port: 0 },
        prometheus: { host: "127.0.0.1", port: 0 },
        log,
      });
      const [outHost, outPort] = proxy.listeners.outbound.split(":");
      const app = await startBookinfoApp({ service: pod.service, version: pod.version, podName: pod.name, outbound: { host: outHost, port: Number(outPort) }, port: appPort }).catch(async (err: unknown) => {
        // Not yet in `workloads`: stopAll would leave its poll timers holding the process open.
        await proxy.stop();
        throw err;
      });
      workloads.push({ pod, app, proxy, sidecar: proxy.listeners.inbound, admin: proxy.listeners.admin });
      endpoints.push({ namespace: pod.namespace, workload: pod.workload, pod: pod.name, serviceAccount: pod.serviceAccount, labels: pod.labels, address: proxy.listeners.inbound, sidecar: true });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  let ingress: DevProxy;
  try {
    const gwSnapshot = await snapshotOf(o.cp, gateway.namespace, gateway.workload);
    const sa = gwSnapshot.workload.serviceAccount;
    ingress = await DevProxy.start({
      mode: "gateway",
      namespace: gateway.namespace,
      workload: gateway.workload,
      pod: `${gateway.workload}-${alnum(10)}-${alnum(5)}`,
      serviceAccount: sa,
      controlPlane: { url: o.cp.url, ca: o.cp.ca, token: await tokenFor(gateway.namespace, sa) },
      wasmDir,
      pollMs,
      endpoints: source,
      fallbackCa,
      listen: { host: "127.0.0.1", port: o.ingressPort },
      gatewayPort: gateway.port,
      admin: { host: "127.0.0.1", port: 0 },
      prometheus: { host: "127.0.0.1", port: 0 },
      log,
    });
  } catch (err) {
    await stopAll();
    throw err;
  }

  const all = () => [...workloads.map((w) => w.proxy), ingress];
  try {
    await waitReady(all(), 60_000);
  } catch (err) {
    await stopAll(ingress);
    throw err;
  }

  const topology: Topology = {
    controlPlane: { url: o.cp.url, token: o.cp.token, kubeconfig: o.cp.kubeconfig },
    ingress: ingress.listeners.gateway,
    workloads: Object.fromEntries([
      ...workloads.map((w) => [w.pod.workload, { namespace: w.pod.namespace, app: w.app.address, sidecar: w.sidecar, admin: w.admin, pod: w.pod.name }] as const),
      [gateway.workload, { namespace: gateway.namespace, sidecar: ingress.listeners.gateway, admin: ingress.listeners.admin, pod: ingress.options.pod }] as const,
    ]),
  };
  if (o.topologyPath) writeTopology(o.topologyPath, topology);

  return {
    workloads,
    ingress,
    ingressAddress: ingress.listeners.gateway,
    gateway,
    topology,
    proxies: all,
    stop: () => stopAll(ingress),
  };
}
