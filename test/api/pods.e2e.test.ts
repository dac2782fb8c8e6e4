// Pods as the mesh sees them, through the real Worker and the real kubectl: a proxy's registration
// makes a pod (with the spec admission produced when the pod went through the webhook), a missed
// heartbeat makes it NotReady, an expired endpoint removes it, and clients cannot write pods.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeApplier } from "../../local/demo-apply.ts";
import { createPods, type Pod } from "../../local/demo-mesh.ts";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

/** Short heartbeats: NotReady after ~3 s without one, gone after 6 s. */
const HEARTBEAT_SECONDS = 2;

let w: TestWorker;
let admitted: Pod[];
let heartbeats: ReturnType<typeof setInterval> | undefined;
const tokens = new Map<string, string>();
/** The pods whose proxies heartbeat (every half a heartbeat period, as a proxy would at least). */
const beating = new Map<string, () => Promise<void>>();

async function register(namespace: string, workload: string, serviceAccount: string, pod: string, ip: string) {
  const key = `${namespace}/${serviceAccount}`;
  if (!tokens.has(key)) tokens.set(key, await w.workloadToken(namespace, serviceAccount));
  const r = await w.request(`/mesh/v1/proxy/${namespace}/${workload}/endpoints/${pod}`, {
    method: "PUT",
    token: tokens.get(key)!,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ip, ports: { http: 9080 }, mtls: true }),
  });
  assert.ok(r.status === 200 || r.status === 201, `registering ${pod}: ${r.status} ${r.body}`);
}

/** A `kubectl get` table as rows of cells. */
const table = (s: string) =>
  s
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));

const compiledRevision = async () => (await w.request("/mesh/v1/revisions?limit=1")).json().compiledRevision as number;

let reviews: Pod;
const details = "details-v1-5f8c9d7b6d-q2x9z"; // registered without going through admission
const gatewayPod = "bookinfo-gateway-istio-6b8d4c9f7-k4m2p";

before(async () => {
  w = await startTestWorker({ MESH_ENDPOINT_TTL_SECONDS: String(HEARTBEAT_SECONDS * 3), MESH_POINTER_TTL_SECONDS: "0" });
  await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`, `${SAMPLES}bookinfo/gateway-api/bookinfo-gateway.yaml`);
  // The demo's way of creating pods: each Deployment's pod sent through the webhook at /inject.
  admitted = await createPods({ url: w.url, token: w.token, ca: w.ca, kubeconfig: w.kubeconfig });
  reviews = admitted.find((p) => p.workload === "reviews-v1")!;
});
after(async () => {
  clearInterval(heartbeats);
  await w?.stop();
});

describe("pods from proxy registrations", () => {
  test("no pods before a proxy registers", async () => {
    const r = await w.kubectl(["get", "pods"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), "No resources found in default namespace.");
  });

  test("registered pods are Running, 2/2 (a gateway 1/1), and make no config revision", async () => {
    const before = await compiledRevision();
    beating.set(reviews.name, () => register("default", "reviews-v1", "bookinfo-reviews", reviews.name, "10.1.0.7"));
    beating.set(details, () => register("default", "details-v1", "bookinfo-details", details, "10.1.0.8"));
    beating.set(gatewayPod, () => register("default", "bookinfo-gateway-istio", "bookinfo-gateway-istio", gatewayPod, "10.1.0.9"));
    for (const beat of beating.values()) await beat();
    heartbeats = setInterval(() => beating.forEach((beat) => void beat()), (HEARTBEAT_SECONDS * 1000) / 2);
    assert.equal(await compiledRevision(), before);
    const r = await w.kubectl(["get", "pods"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = table(r.stdout);
    assert.deepEqual(rows[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    const byName = new Map(rows.slice(1).map((row) => [row[0], row]));
    assert.deepEqual(byName.get(reviews.name)!.slice(1, 4), ["2/2", "Running", "0"]);
    assert.deepEqual(byName.get(details)!.slice(1, 4), ["2/2", "Running", "0"]);
    assert.deepEqual(byName.get(gatewayPod)!.slice(1, 4), ["1/1", "Running", "0"]);
    assert.match(byName.get(details)![4], /^\d+s$/);
  });

  test("-o wide adds the pod IP and the node columns; -l selects; -A adds the namespace", async () => {
    const wide = await w.kubectl(["get", "pods", "-o", "wide", "-l", "app=reviews"]);
    assert.equal(wide.code, 0, wide.stderr);
    const rows = table(wide.stdout);
    assert.deepEqual(rows[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES", "PROXY"]);
    assert.equal(rows.length, 2);
    // PROXY: istioctl proxy-status's word for it; this pod registered but its proxy never fetched config.
    assert.deepEqual([rows[1][0], ...rows[1].slice(5)], [reviews.name, "10.1.0.7", "<none>", "<none>", "<none>", "NOT SENT"]);
    const all = await w.kubectl(["get", "pods", "-A"]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(table(all.stdout)[0], ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert.equal(table(all.stdout).length, 4);
    const bySelector = await w.kubectl(["get", "pods", "--field-selector", "status.podIP=10.1.0.8", "-o", "name"]);
    assert.equal(bySelector.stdout.trim(), `pod/${details}`, bySelector.stderr);
  });

  test("without kubectl, the demo prints the same table from the API's Table response", async () => {
    const http = makeApplier({ url: w.url, token: w.token, ca: w.ca, kubeconfig: w.kubeconfig }, { preferKubectl: false, home: `${w.dir}/home` });
    assert.equal(http.via, "http");
    const [printed, kubectl] = await Promise.all([http.get("pods", "default"), w.kubectl(["get", "pods"])]);
    const withoutAge = (s: string) => s.trim().split("\n").map((l) => l.replace(/\S+$/, ""));
    assert.deepEqual(withoutAge(printed.output), withoutAge(kubectl.stdout));
  });

  test("a pod that went through admission keeps the spec the webhook produced", async () => {
    const r = await w.kubectl(["get", "pod", reviews.name, "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const pod = JSON.parse(r.stdout);
    assert.deepEqual(
      pod.spec.containers.map((c: { name: string }) => c.name),
      reviews.containers,
    );
    const proxy = pod.spec.containers.find((c: { name: string }) => c.name === "istio-proxy");
    assert.match(proxy.image, /envoy/);
    assert.ok(proxy.ports.some((p: { containerPort: number }) => p.containerPort === 15090), JSON.stringify(proxy.ports));
    assert.equal(pod.metadata.labels.app, "reviews");
    assert.equal(pod.status.podIP, "10.1.0.7");
    // A pod registered without admission: the Deployment's app container plus istio-proxy.
    const plain = JSON.parse((await w.kubectl(["get", "pod", details, "-o", "json"])).stdout);
    assert.deepEqual(
      plain.spec.containers.map((c: { name: string }) => c.name),
      ["details", "istio-proxy"],
    );
    const yaml = await w.kubectl(["get", "pod", details, "-o", "yaml"]);
    assert.match(yaml.stdout, /kind: Pod/);
  });

  test("kubectl describe pod shows the containers and no events", async () => {
    const r = await w.kubectl(["describe", "pod", reviews.name]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Name:\\s+${reviews.name}$`, "m"));
    assert.match(r.stdout, /^\s+istio-proxy:$/m);
    assert.match(r.stdout, /^IP:\s+10\.1\.0\.7$/m);
    assert.match(r.stdout, /^Events:\s+<none>$/m);
  });

  test("clients cannot create, patch or delete pods", async () => {
    const del = await w.kubectl(["delete", "pod", details]);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /\(MethodNotAllowed\): pods cannot be deleted through the API: pods are created by the mesh when a proxy registers its pod/);
    const create = await w.kubectl(["run", "nginx", "--image=nginx"]);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, /\(MethodNotAllowed\): pods cannot be created through the API/);
    const label = await w.kubectl(["label", "pod", details, "x=y"]);
    assert.notEqual(label.code, 0);
    assert.match(label.stderr, /\(MethodNotAllowed\): pods cannot be patched through the API/);
    assert.equal((await w.kubectl(["get", "pod", details])).code, 0);
  });

  test("a pod whose proxy stops heartbeating goes NotReady, then leaves", async () => {
    // reviews and the gateway keep heartbeating; details stops.
    beating.delete(details);
    await new Promise((r) => setTimeout(r, HEARTBEAT_SECONDS * 1500 + 500));
    const rows = new Map(table((await w.kubectl(["get", "pods"])).stdout).map((row) => [row[0], row]));
    assert.deepEqual(rows.get(details)!.slice(1, 3), ["1/2", "Running"]);
    assert.deepEqual(rows.get(reviews.name)!.slice(1, 3), ["2/2", "Running"]);
    assert.deepEqual(rows.get(gatewayPod)!.slice(1, 3), ["1/1", "Running"]);
    const pod = JSON.parse((await w.kubectl(["get", "pod", details, "-o", "json"])).stdout);
    assert.equal(pod.status.conditions.find((c: { type: string }) => c.type === "Ready").status, "False");
    await new Promise((r) => setTimeout(r, HEARTBEAT_SECONDS * 1500 + 500));
    const gone = await w.kubectl(["get", "pod", details]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /\(NotFound\): pods "details-v1-5f8c9d7b6d-q2x9z" not found/);
  });
});
