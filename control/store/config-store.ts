// The ConfigStore Durable Object: the single writer of the mesh configuration.
// Every write is one synchronous SQLite transaction (check resourceVersion, validate, persist,
// bump the mesh revision), so concurrent writers are serialised and none loses an update.
// After commit, the revision is published to KV under an immutable key for the read path.
import { DurableObject } from "cloudflare:workers";
import { applyPatch, type Operation } from "fast-json-patch";
import { alreadyExists, badRequest, conflict, invalid, namespaceNotFound, notFound, status } from "../api/status.ts";
import type { Env } from "../env.ts";
import { KINDS } from "../mesh/kinds/index.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { validateObject } from "../mesh/validate.ts";
import { mergePatch } from "./merge-patch.ts";
import { nameErrors, normalize, stampCreated, stampUpdated, type Stamp } from "./objects.ts";
import { publishRevisions } from "./publish.ts";
import type { ListResult, ResourceRef, WriteRequest, WriteResult } from "./requests.ts";

const NAMESPACES = "/namespaces";
/** Namespaces every cluster has; `default` and `kube-system` cannot be deleted, as in Kubernetes. */
const BUILTIN_NAMESPACES = ["default", "kube-system", "istio-system"];
const UNDELETABLE_NAMESPACES = new Set(["default", "kube-system"]);
/** A deleted namespace's contents go a moment later, so the rest of a `kubectl delete -f` still finds them. */
const NAMESPACE_CASCADE_DELAY_MS = 5_000;

type Row = { body: string };

export class ConfigStore extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private publishing: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        revision INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name));
      CREATE TABLE IF NOT EXISTS revisions (
        revision INTEGER PRIMARY KEY, at TEXT NOT NULL, op TEXT NOT NULL,
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, body TEXT);
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS pending_cascades (namespace TEXT NOT NULL, revision INTEGER NOT NULL);
    `);
    ctx.blockConcurrencyWhile(async () => {
      const now = new Date();
      for (const name of BUILTIN_NAMESPACES) {
        if (this.read(NAMESPACES, "", name)) continue;
        const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name } };
        const stamp = this.nextStamp(now);
        this.commit(kindFor("", "namespaces"), "", name, "create", stampCreated(kindFor("", "namespaces"), ns, stamp), stamp);
      }
    });
  }

  // ---- reads ----

  get(ref: ResourceRef, name: string): KubeObject | null {
    return this.read(`${ref.group}/${ref.plural}`, ref.namespace, name) ?? null;
  }

  /** Objects of one resource, in one namespace or (namespace "") all of them. */
  list(ref: ResourceRef): ListResult {
    const resource = `${ref.group}/${ref.plural}`;
    const rows = ref.namespace
      ? this.sql.exec<Row>("SELECT body FROM objects WHERE resource = ? AND namespace = ? ORDER BY namespace, name", resource, ref.namespace)
      : this.sql.exec<Row>("SELECT body FROM objects WHERE resource = ? ORDER BY namespace, name", resource);
    return { items: rows.toArray().map((r) => JSON.parse(r.body) as KubeObject), revision: this.revision() };
  }

  revision(): number {
    return this.sql.exec<{ r: number | null }>("SELECT MAX(revision) AS r FROM revisions").one().r ?? 0;
  }

  // ---- writes ----

  async write(req: WriteRequest): Promise<WriteResult> {
    const spec = kindFor(req.group, req.plural);
    let result: WriteResult;
    try {
      result = this.ctx.storage.transactionSync(() => this.apply(spec, req));
    } catch (e) {
      if (e instanceof DryRunRollback) result = e.result;
      else throw e;
    }
    if (result.ok && !req.dryRun) await this.publish();
    return result;
  }

  /** Runs one write inside the transaction. A dry run does all the work, then rolls back. */
  private apply(spec: KindSpec, req: WriteRequest): WriteResult {
    const result = this.applyUnchecked(spec, req);
    if (req.dryRun && result.ok) throw new DryRunRollback(result);
    return result;
  }

  private applyUnchecked(spec: KindSpec, req: WriteRequest): WriteResult {
    const resource = `${req.group}/${req.plural}`;
    const ns = spec.namespaced ? req.namespace : "";
    const now = new Date();
    if (spec.namespaced && req.op !== "delete" && !this.read(NAMESPACES, "", ns)) return fail(namespaceNotFound(ns));

    switch (req.op) {
      case "create":
        return this.create(spec, ns, req.body, now);
      case "replace": {
        const current = this.read(resource, ns, req.name);
        if (!current) return fail(notFound(spec, req.name));
        const sent = req.body.metadata?.resourceVersion;
        if (sent !== undefined && sent !== current.metadata.resourceVersion) return fail(conflict(spec, req.name));
        if (req.body.metadata?.name !== undefined && req.body.metadata.name !== req.name)
          return fail(badRequest(`the name of the object (${req.body.metadata.name}) does not match the name on the URL (${req.name})`));
        return this.update(spec, ns, current, req.body, now);
      }
      case "patch": {
        const current = this.read(resource, ns, req.name);
        if (!current) {
          // Server-side apply creates what does not exist yet.
          if (req.patchType === "apply") return this.create(spec, ns, withName(req.patch as KubeObject, req.name), now);
          return fail(notFound(spec, req.name));
        }
        const patched = patchObject(current, req.patchType, req.patch);
        if ("error" in patched) return fail(badRequest(patched.error));
        const sent = patched.object.metadata?.resourceVersion;
        // A patch may carry a resourceVersion as an optimistic lock (kubectl diff does).
        if (sent !== undefined && sent !== current.metadata.resourceVersion) return fail(conflict(spec, req.name));
        if (patched.object.metadata?.name !== req.name) return fail(badRequest("metadata.name cannot be changed by a patch"));
        return this.update(spec, ns, current, patched.object, now);
      }
      case "delete": {
        const current = this.read(resource, ns, req.name);
        if (!current) return fail(notFound(spec, req.name));
        const pre = req.preconditions;
        if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion)
          return fail(conflict(spec, req.name));
        if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) return fail(conflict(spec, req.name));
        if (spec.kind === "Namespace" && UNDELETABLE_NAMESPACES.has(req.name))
          return fail(status(403, "Forbidden", `namespaces "${req.name}" is forbidden: this namespace may not be deleted`));
        const stamp = this.nextStamp(now);
        this.sql.exec("DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?", resource, ns, req.name);
        this.logRevision(stamp, "delete", resource, ns, req.name, null);
        if (spec.kind === "Namespace") this.scheduleCascade(req.name, stamp.revision);
        return { ok: true, code: 200, object: current };
      }
    }
  }

  private create(spec: KindSpec, ns: string, body: KubeObject, now: Date): WriteResult {
    const resource = `${spec.group}/${spec.plural}`;
    const generated = body.metadata?.name ? body : withGeneratedName(body);
    const name = generated.metadata?.name;
    const problems = nameErrors(spec, name);
    if (problems.length > 0) return fail(invalid(spec, name ?? "", problems));
    if (body.metadata?.namespace && spec.namespaced && body.metadata.namespace !== ns)
      return fail(badRequest("the namespace of the provided object does not match the namespace sent on the request"));
    if (this.read(resource, ns, name)) return fail(alreadyExists(spec, name));
    const candidate = normalize(spec, generated, ns || undefined);
    const errors = validateObject(spec, candidate);
    if (errors.length > 0) return fail(invalid(spec, name, errors));
    const stamp = this.nextStamp(now);
    const created = stampCreated(spec, candidate, stamp);
    this.commit(spec, ns, name, "create", created, stamp);
    return { ok: true, code: 201, object: created };
  }

  private update(spec: KindSpec, ns: string, current: KubeObject, next: KubeObject, now: Date): WriteResult {
    const name = current.metadata.name;
    const candidate = normalize(spec, withName(next, name), ns || undefined);
    const errors = validateObject(spec, candidate);
    if (errors.length > 0) return fail(invalid(spec, name, errors));
    const stamp = this.nextStamp(now);
    const updated = stampUpdated(spec, current, candidate, stamp);
    if (!updated) return { ok: true, code: 200, object: current };
    this.commit(spec, ns, name, "update", updated, stamp);
    return { ok: true, code: 200, object: updated };
  }

  // ---- persistence ----

  private read(resource: string, namespace: string, name: string): KubeObject | undefined {
    const row = this.sql
      .exec<Row>("SELECT body FROM objects WHERE resource = ? AND namespace = ? AND name = ?", resource, namespace, name)
      .toArray()[0];
    return row ? (JSON.parse(row.body) as KubeObject) : undefined;
  }

  private nextStamp(now: Date): Stamp {
    return { revision: this.revision() + 1, now, uid: crypto.randomUUID() };
  }

  private commit(spec: KindSpec, ns: string, name: string, op: "create" | "update", obj: KubeObject, stamp: Stamp): void {
    const resource = `${spec.group}/${spec.plural}`;
    const revision = stamp.revision;
    const body = JSON.stringify(obj);
    this.sql.exec(
      "INSERT INTO objects (resource, namespace, name, revision, body) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (resource, namespace, name) DO UPDATE SET revision = excluded.revision, body = excluded.body",
      resource,
      ns,
      name,
      revision,
      body,
    );
    this.logRevision(stamp, op, resource, ns, name, body);
  }

  private logRevision(stamp: Stamp, op: string, resource: string, ns: string, name: string, body: string | null): void {
    this.sql.exec(
      "INSERT INTO revisions (revision, at, op, resource, namespace, name, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
      stamp.revision,
      stamp.now.toISOString(),
      op,
      resource,
      ns,
      name,
      body,
    );
  }

  private scheduleCascade(namespace: string, revision: number): void {
    this.sql.exec("INSERT INTO pending_cascades (namespace, revision) VALUES (?, ?)", namespace, revision);
    void this.ctx.storage.setAlarm(Date.now() + NAMESPACE_CASCADE_DELAY_MS);
  }

  /**
   * Publishes unpublished revisions; on failure retries from the alarm, so KV catches up.
   * Publishes run one after another, so the `latest` pointer never moves backwards.
   */
  private publish(): Promise<void> {
    this.publishing = this.publishing.then(async () => {
      try {
        await publishRevisions(this.sql, this.env.MESH_KV);
      } catch (e) {
        console.error("publishing revisions to KV failed; retrying from the alarm", e instanceof Error ? e.message : e);
        await this.ctx.storage.setAlarm(Date.now() + 1_000);
      }
    });
    return this.publishing;
  }

  override async alarm(): Promise<void> {
    const cascades = this.sql.exec<{ namespace: string; revision: number }>("SELECT namespace, revision FROM pending_cascades").toArray();
    this.ctx.storage.transactionSync(() => {
      const now = new Date();
      for (const { namespace, revision } of cascades) {
        // Only what existed when the namespace was deleted: a re-created namespace keeps its new objects.
        const doomed = this.sql
          .exec<{ resource: string; name: string }>(
            "SELECT resource, name FROM objects WHERE namespace = ? AND revision <= ?",
            namespace,
            revision,
          )
          .toArray();
        for (const { resource, name } of doomed) {
          this.sql.exec("DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?", resource, namespace, name);
          this.logRevision(this.nextStamp(now), "delete", resource, namespace, name, null);
        }
      }
      this.sql.exec("DELETE FROM pending_cascades");
    });
    await this.publish();
  }
}

class DryRunRollback extends Error {
  constructor(readonly result: WriteResult) {
    super("dry run");
  }
}

function fail(s: WriteResult & { ok: false } extends { status: infer S } ? S : never): WriteResult {
  return { ok: false, status: s };
}

function kindFor(group: string, plural: string): KindSpec {
  const spec = KINDS.find((k) => k.group === group && k.plural === plural);
  if (!spec) throw new Error(`unknown resource ${group}/${plural}`);
  return spec;
}

function withName(obj: KubeObject, name: string): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), name } };
}

function withGeneratedName(obj: KubeObject): KubeObject {
  const prefix = obj.metadata?.generateName;
  if (typeof prefix !== "string" || prefix === "") return obj;
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => "bcdfghjklmnpqrstvwxz2456789"[b % 27]).join("");
  return withName(obj, `${prefix}${suffix}`);
}

function patchObject(current: KubeObject, type: WriteRequest & { op: "patch" } extends { patchType: infer T } ? T : never, patch: unknown):
  | { object: KubeObject }
  | { error: string } {
  switch (type) {
    case "merge":
    case "strategic":
      if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return { error: "a merge patch must be a JSON object" };
      return { object: mergePatch(current, patch) as KubeObject };
    case "apply": {
      // Server-side apply, simplified: the applied document replaces the object, and annotations
      // the document does not mention (such as client-side apply's last-applied) are kept.
      const applied = patch as KubeObject;
      const annotations = { ...(current.metadata.annotations ?? {}), ...(applied.metadata?.annotations ?? {}) };
      return { object: { ...applied, metadata: { ...applied.metadata, name: current.metadata.name, annotations } } };
    }
    case "json": {
      if (!Array.isArray(patch)) return { error: "a JSON patch must be a list of operations" };
      try {
        return { object: applyPatch(structuredClone(current), patch as Operation[], true, false).newDocument };
      } catch (e) {
        return { error: `the JSON patch cannot be applied: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
      }
    }
  }
}
