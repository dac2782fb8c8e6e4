// Lists page like the Kubernetes API's (limit/continue, a token bound to the list's revision, 410
// once it is too old), and what one object and one namespace may take: a list, a revision view
// and a diff over more than a Durable Object may answer in one call (32 MiB) still answer; an
// object past etcd's 1.5 MiB gets 413; a namespace past its object quota gets 403 exceeded quota.
// Against the Worker under wrangler dev, with the real kubectl.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pruneSlack } from "../../control/store/history.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

const RETENTION = 60;
const QUOTA = 36;
let w: TestWorker;

before(async () => {
  w = await startTestWorker({ MESH_REVISION_RETENTION: String(RETENTION), MESH_MAX_OBJECTS_PER_NAMESPACE: String(QUOTA) });
});
after(async () => {
  await w?.stop();
});

const JSON_TYPE = { "content-type": "application/json" };

function configMap(name: string, data: Record<string, string> = { k: "v" }) {
  return JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });
}

async function createNamespace(name: string) {
  const r = await w.kubectl(["create", "namespace", name]);
  assert.equal(r.code, 0, r.stderr);
}

async function createConfigMap(namespace: string, name: string, data?: Record<string, string>) {
  const r = await w.request(`/api/v1/namespaces/${namespace}/configmaps`, { method: "POST", headers: JSON_TYPE, body: configMap(name, data) });
  assert.equal(r.status, 201, r.body.slice(0, 300));
}

async function revision(): Promise<number> {
  return (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision;
}

describe("limit and continue", () => {
  const names = ["cm-a", "cm-b", "cm-c", "cm-d", "cm-e"];
  before(async () => {
    await createNamespace("paged");
    for (const n of names) await createConfigMap("paged", n);
  });

  test("raw limit/continue: pages of 2, then the rest, one snapshot even as objects change", async () => {
    const first = (await w.request("/api/v1/namespaces/paged/configmaps?limit=2")).json();
    assert.deepEqual(first.items.map((o: { metadata: { name: string } }) => o.metadata.name), ["cm-a", "cm-b"]);
    assert.ok(first.metadata.continue, "a continue token while more objects remain");
    // Written after the first page: neither the new object nor the edit shows in this list.
    await createConfigMap("paged", "cm-bb");
    const patched = await w.request("/api/v1/namespaces/paged/configmaps/cm-c", {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ data: { k: "changed" } }),
    });
    assert.equal(patched.status, 200, patched.body);
    const second = (await w.request(`/api/v1/namespaces/paged/configmaps?limit=2&continue=${encodeURIComponent(first.metadata.continue)}`)).json();
    assert.deepEqual(second.items.map((o: { metadata: { name: string } }) => o.metadata.name), ["cm-c", "cm-d"]);
    assert.equal(second.items[0].data.k, "v", "the continued page shows the object as it was when the list began");
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    const third = (await w.request(`/api/v1/namespaces/paged/configmaps?limit=2&continue=${encodeURIComponent(second.metadata.continue)}`)).json();
    assert.deepEqual(third.items.map((o: { metadata: { name: string } }) => o.metadata.name), ["cm-e"]);
    assert.equal(third.metadata.continue, undefined, "no token on the last page");
    const fresh = (await w.request("/api/v1/namespaces/paged/configmaps")).json();
    assert.deepEqual(fresh.items.map((o: { metadata: { name: string } }) => o.metadata.name), ["cm-a", "cm-b", "cm-bb", "cm-c", "cm-d", "cm-e"]);
  });

  test("kubectl get --chunk-size=2 follows the tokens (and so does a Table with a label selector)", async () => {
    const r = await w.kubectl(["get", "configmaps", "-n", "paged", "--chunk-size=2", "-o", "name", "-v=6"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["configmap/cm-a", "configmap/cm-b", "configmap/cm-bb", "configmap/cm-c", "configmap/cm-d", "configmap/cm-e"]);
    const requests = r.stderr.split("\n").filter((l) => /GET https:\S+\/configmaps\?\S*limit=2/.test(l));
    assert.equal(requests.length, 3, r.stderr);
    assert.equal(requests.filter((l) => l.includes("continue=")).length, 2, r.stderr);
    const table = await w.kubectl(["get", "configmaps", "-A", "--chunk-size=1", "--field-selector", "metadata.namespace=paged"]);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trim().split("\n").length, 1 + 6, table.stdout);
  });

  test("a token older than the revision log keeps: 410 Expired; a token this server did not make, or a bad limit: 400", async () => {
    const first = (await w.request("/api/v1/namespaces/paged/configmaps?limit=1")).json();
    // Past the retention and the tenth more the log may hold before it is pruned.
    for (let i = 0; i < RETENTION + pruneSlack(RETENTION) + 1; i++) {
      const r = await w.request("/api/v1/namespaces/paged/configmaps/cm-a", {
        method: "PATCH",
        headers: { "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ data: { k: String(i) } }),
      });
      assert.equal(r.status, 200, r.body);
    }
    const expired = await w.request(`/api/v1/namespaces/paged/configmaps?limit=1&continue=${encodeURIComponent(first.metadata.continue)}`);
    assert.equal(expired.status, 410, expired.body);
    assert.equal(expired.json().reason, "Expired");
    const kubectl = await w.kubectl(["get", "--raw", `/api/v1/namespaces/paged/configmaps?limit=1&continue=${encodeURIComponent(first.metadata.continue)}`]);
    assert.notEqual(kubectl.code, 0);
    assert.match(kubectl.stderr, /too old to display a consistent list result/);
    for (const query of ["continue=garbage", `continue=${Buffer.from('{"v":"meta.k8s.io/v1","rv":"x"}').toString("base64url")}`, "limit=abc", "limit=1e3"]) {
      const r = await w.request(`/api/v1/namespaces/paged/configmaps?${query}`);
      assert.equal(r.status, 400, `${query}: ${r.body}`);
      assert.equal(r.json().kind, "Status");
    }
  });
});

describe("more than one Durable Object call can carry (32 MiB)", () => {
  const count = 34;
  let before = 0;
  let afterRevision = 0;
  const big = "x".repeat(1_000_000);

  test(`${count} ConfigMaps of 1 MB: list, kubectl get -A, the revision's config and the diff all answer`, { timeout: 600_000 }, async () => {
    await createNamespace("big");
    before = await revision();
    for (let i = 0; i < count; i++) await createConfigMap("big", `big-${String(i).padStart(2, "0")}`, { blob: big });
    afterRevision = await revision();
    const list = await w.request("/api/v1/configmaps");
    assert.equal(list.status, 200, list.body.slice(0, 300));
    assert.equal(list.json().items.filter((o: { metadata: { namespace: string } }) => o.metadata.namespace === "big").length, count);
    const kubectl = await w.kubectl(["get", "cm", "-A"]);
    assert.equal(kubectl.code, 0, kubectl.stderr);
    assert.equal(kubectl.stdout.split("\n").filter((l) => l.startsWith("big ")).length, count);
    const config = await w.request(`/mesh/v1/revisions/${afterRevision}`);
    assert.equal(config.status, 200, config.body.slice(0, 300));
    assert.equal(config.json().items.filter((o: { metadata: { namespace?: string } }) => o.metadata.namespace === "big").length, count);
    const diff = await w.request(`/mesh/v1/revisions/${before}/diff/${afterRevision}`);
    assert.equal(diff.status, 200, diff.body.slice(0, 300));
    assert.equal(diff.json().changes.filter((c: { verb: string; namespace: string }) => c.verb === "create" && c.namespace === "big").length, count);
  });

  test("an object that would pass 1.5 MiB: 413 naming it (a patch that grows it, also through kubectl)", async () => {
    // 600 KB of annotations on a 1 MB ConfigMap (its data stays within a ConfigMap's 1 MiB): the whole passes 1.5 MiB.
    const grow = JSON.stringify({ metadata: { annotations: { a: "y".repeat(200_000), b: "y".repeat(200_000), c: "y".repeat(200_000) } } });
    const r = await w.request("/api/v1/namespaces/big/configmaps/big-00", { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: grow });
    assert.equal(r.status, 413, r.body.slice(0, 300));
    const s = r.json();
    assert.equal(s.reason, "RequestEntityTooLarge");
    assert.match(s.message, /configmaps "big-00" would be stored as \d+ bytes; an object may be at most 1572864 bytes/);
    assert.deepEqual(s.details, { name: "big-00", group: "", kind: "configmaps" });
    const patchFile = join(w.dir, "grow.json");
    writeFileSync(patchFile, grow);
    const k = await w.kubectl(["patch", "configmap", "big-01", "-n", "big", "--type=merge", "--patch-file", patchFile]);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /Request entity too large: configmaps "big-01"/);
    assert.equal((await w.request("/api/v1/namespaces/big/configmaps/big-00")).json().metadata.annotations, undefined, "nothing was written");
  });
});

describe("a namespace's object quota", () => {
  test(`the ${QUOTA + 1}th ConfigMap of a namespace: 403 exceeded quota; other namespaces and other kinds still write`, { timeout: 120_000 }, async () => {
    await createNamespace("quota");
    for (let i = 0; i < QUOTA; i++) await createConfigMap("quota", `q-${i}`);
    const refused = await w.request("/api/v1/namespaces/quota/configmaps", { method: "POST", headers: JSON_TYPE, body: configMap("one-too-many") });
    assert.equal(refused.status, 403, refused.body);
    const s = refused.json();
    assert.equal(s.reason, "Forbidden");
    assert.equal(
      s.message,
      `configmaps "one-too-many" is forbidden: exceeded quota: mesh-object-count, requested: count/configmaps=1, used: count/configmaps=${QUOTA}, limited: count/configmaps=${QUOTA} (MESH_MAX_OBJECTS_PER_NAMESPACE in namespace quota)`,
    );
    const k = await w.kubectl(["create", "configmap", "again", "-n", "quota"]);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /configmaps "again" is forbidden: exceeded quota: mesh-object-count/);
    // An update of an existing object is no new object; other namespaces are not affected.
    const update = await w.kubectl(["patch", "configmap", "q-0", "-n", "quota", "--type=merge", "-p", '{"data":{"k":"v2"}}']);
    assert.equal(update.code, 0, update.stderr);
    await createConfigMap("paged", "still-room");
    const sa = await w.kubectl(["create", "serviceaccount", "sa", "-n", "quota"]);
    assert.equal(sa.code, 0, sa.stderr);
  });
});
