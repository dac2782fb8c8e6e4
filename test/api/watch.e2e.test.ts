// Watch, as Kubernetes serves it, against the real Worker: `kubectl get -w` sees another client's
// change, a watch replays from a resourceVersion, a version the log no longer keeps is 410 Gone,
// and an informer of the official JavaScript client sees add, update and delete.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

const JSON_TYPE = { "content-type": "application/json" };
const VS = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";

const vs = (name: string, host = name) => ({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name }, spec: { hosts: [host], http: [{ route: [{ destination: { host } }] }] } });

describe("watch", () => {
  let w: TestWorker;
  before(async () => {
    w = await startTestWorker({ MESH_REVISION_RETENTION: "20" });
  });
  after(() => w.stop());

  const create = async (name: string) => assert.equal((await w.request(VS, { method: "POST", headers: JSON_TYPE, body: JSON.stringify(vs(name)) })).status, 201);

  test("kubectl get -w streams a change made by another client within a second", async () => {
    const kubectl = spawn("kubectl", ["--kubeconfig", w.kubeconfig, "get", "vs", "-w"], { env: { ...process.env, HOME: join(w.dir, "home"), KUBECONFIG: "" } });
    let out = "";
    kubectl.stdout.on("data", (d) => (out += d));
    kubectl.stderr.on("data", (d) => (out += d));
    try {
      // The initial list has been printed (an empty namespace says so on stderr).
      for (let i = 0; i < 100 && out === ""; i++) await new Promise((r) => setTimeout(r, 100));
      const written = performance.now();
      await create("watched");
      let seen = Infinity;
      while (performance.now() - written < 5000) {
        if (/^watched\s+\["watched"\]/m.test(out)) {
          seen = performance.now() - written;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(seen <= 1000, `kubectl get -w printed the new VirtualService after ${seen.toFixed(0)} ms:\n${out}`);
    } finally {
      kubectl.kill();
    }
  });

  test("a watch replays from a resourceVersion: ADDED, MODIFIED, DELETED in order, then ends at timeoutSeconds", async () => {
    const rv = (await w.request(VS)).json().metadata.resourceVersion;
    await create("replay-a");
    assert.equal((await w.request(`${VS}/replay-a`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: '{"metadata":{"labels":{"x":"y"}}}' })).status, 200);
    assert.equal((await w.request(`${VS}/replay-a`, { method: "DELETE" })).status, 200);
    const r = await w.request(`${VS}?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
    assert.equal(r.status, 200, r.body);
    const events = r.body.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [
        ["ADDED", "replay-a"],
        ["MODIFIED", "replay-a"],
        ["DELETED", "replay-a"],
      ],
    );
    assert.equal(events[1].object.metadata.labels.x, "y");
    assert.ok(Number(events[2].object.metadata.resourceVersion) > Number(events[1].object.metadata.resourceVersion));
    // Selectors apply to events too: entering the selection is an ADDED, and the delete follows.
    const selected = await w.request(`${VS}?watch=1&resourceVersion=${rv}&timeoutSeconds=1&labelSelector=x%3Dy`);
    assert.deepEqual(selected.body.trim().split("\n").map((l) => JSON.parse(l).type), ["ADDED", "DELETED"]);
    assert.ok(events.every((e) => !("before" in e)));
  });

  test("a resourceVersion older than the log keeps is 410 Gone (Expired)", async () => {
    for (let i = 0; i < 25; i++) await create(`churn-${i}`);
    const r = await w.request(`${VS}?watch=1&resourceVersion=1`);
    assert.equal(r.status, 410, r.body);
    assert.equal(r.json().reason, "Expired");
  });

  test("an informer of @kubernetes/client-node sees add, update and delete of a VirtualService", async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(w.kubeconfig);
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const path = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
    const listFn = () => api.listNamespacedCustomObject({ group: "networking.istio.io", version: "v1", namespace: "default", plural: "virtualservices" }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>;
    const informer = k8s.makeInformer(kc, path, listFn);
    const seen: string[] = [];
    informer.on(k8s.ADD, (o) => o.metadata?.name === "informed" && seen.push("add"));
    informer.on(k8s.UPDATE, (o) => o.metadata?.name === "informed" && seen.push("update"));
    informer.on(k8s.DELETE, (o) => o.metadata?.name === "informed" && seen.push("delete"));
    const errors: unknown[] = [];
    informer.on(k8s.ERROR, (e) => errors.push(e));
    await informer.start();
    try {
      const until = async (n: number) => {
        for (let i = 0; i < 100 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      };
      await create("informed");
      await until(1);
      assert.equal((await w.request(`${VS}/informed`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: '{"spec":{"hosts":["informed","other"]}}' })).status, 200);
      await until(2);
      assert.equal((await w.request(`${VS}/informed`, { method: "DELETE" })).status, 200);
      await until(3);
      assert.deepEqual(seen, ["add", "update", "delete"], `informer errors: ${errors.map(String).join("; ")}`);
    } finally {
      await informer.stop();
    }
  });
});
