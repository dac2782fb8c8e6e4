// Rollback and namespace deletion (issue 18, item 6): objects never exist without their
// namespace. A rollback that restores a namespace whose contents are still to be deleted (the
// cascade waits 5 s) keeps them; a rollback to a revision where the namespace was already
// deleted but its contents not yet does not bring the contents back. Against wrangler dev.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

/** control/store/config-store.ts NAMESPACE_CASCADE_DELAY_MS, and a margin for the alarm. */
const CASCADE_WAIT_MS = 5_000 + 2_500;
const JSON_TYPE = { "content-type": "application/json" };
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
});
after(async () => {
  await w?.stop();
});

async function namespaceWithConfigMap(ns: string): Promise<void> {
  assert.equal((await w.kubectl(["create", "namespace", ns])).code, 0);
  assert.equal((await w.kubectl(["create", "configmap", "settings", "-n", ns, "--from-literal=k=v"])).code, 0);
}

async function revision(): Promise<number> {
  return (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision;
}

async function rollback(to: number): Promise<void> {
  const r = await w.request("/mesh/v1/rollback", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ to }) });
  assert.equal(r.status, 200, r.body);
}

const status = async (path: string) => (await w.request(path)).status;

describe("rollback and namespace deletion", () => {
  test("a rollback that restores a namespace before its cascade ran keeps the namespace's objects", async () => {
    await namespaceWithConfigMap("restored");
    const before = await revision();
    assert.equal((await w.kubectl(["delete", "namespace", "restored", "--wait=false"])).code, 0);
    await rollback(before);
    await sleep(CASCADE_WAIT_MS);
    assert.equal(await status("/api/v1/namespaces/restored"), 200);
    assert.equal(await status("/api/v1/namespaces/restored/configmaps/settings"), 200, "the superseded cascade must not delete the restored objects");
    const patched = await w.kubectl(["patch", "configmap", "settings", "-n", "restored", "--type=merge", "-p", '{"data":{"k":"v2"}}']);
    assert.equal(patched.code, 0, patched.stderr);
  });

  test("a rollback to after a namespace's deletion but before its cascade leaves no object without its namespace", async () => {
    await namespaceWithConfigMap("gone");
    assert.equal((await w.kubectl(["delete", "namespace", "gone", "--wait=false"])).code, 0);
    const deleted = await revision();
    await sleep(CASCADE_WAIT_MS);
    assert.equal(await status("/api/v1/namespaces/gone/configmaps/settings"), 404, "the cascade ran");
    await rollback(deleted);
    assert.equal(await status("/api/v1/namespaces/gone"), 404);
    assert.equal(await status("/api/v1/namespaces/gone/configmaps/settings"), 404, "an object in a namespace that does not exist");
    const all = (await w.request("/api/v1/configmaps")).json().items as { metadata: { namespace: string } }[];
    assert.deepEqual(all.filter((o) => o.metadata.namespace === "gone"), []);
  });

  test("rolling back to before the deletion brings namespace and contents back, and they stay", async () => {
    await namespaceWithConfigMap("back");
    const before = await revision();
    assert.equal((await w.kubectl(["delete", "namespace", "back", "--wait=false"])).code, 0);
    await sleep(CASCADE_WAIT_MS);
    await rollback(before);
    await sleep(CASCADE_WAIT_MS);
    assert.equal(await status("/api/v1/namespaces/back"), 200);
    assert.equal(await status("/api/v1/namespaces/back/configmaps/settings"), 200);
  });
});
