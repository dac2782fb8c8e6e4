// The ConfigStore Durable Object: the single writer of the mesh configuration.
// Every write is one synchronous SQLite transaction: check resourceVersion, validate, persist,
// log a new mesh revision, compile the whole mesh and record what each workload is served.
// Concurrent writers are serialised, none loses an update, and a write that does not compile
// is rolled back whole. After commit the new state is published to KV for the read path.
import { DurableObject } from "cloudflare:workers";
import { applyPatch, type Operation } from "fast-json-patch";
import { alreadyExists, badRequest, conflict, invalid, namespaceNotFound, notFound, status, type KubeStatus } from "../api/status.ts";
import type { Env } from "../env.ts";
import { analyze, type Finding } from "../mesh/analyze/index.ts";
import { compile } from "../mesh/compile/index.ts";
import { meshConfig } from "../mesh/config.ts";
import { KINDS } from "../mesh/kinds/index.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { buildRegistry } from "../mesh/registry/index.ts";
import { validateObject } from "../mesh/validate.ts";
import { configAt, currentRevision, listRevisions, logRevision, oldestRevision, pruneHistory, type Change, type RevisionSummary } from "./history.ts";
import { mergePatch } from "./merge-patch.ts";
import { nameErrors, normalize, stampCreated, stampUpdated, type Stamp } from "./objects.ts";
import { publishedRevision, publishPending } from "./publish.ts";
import type { ListResult, PatchType, ResourceRef, WriteRequest, WriteResult } from "./requests.ts";
import { sameContent } from "./revision-diff.ts";
import { getSetting, migrate, objectKey, putSetting, SCHEMA } from "./tables.ts";
import { recordSnapshot, workloadIndex, workloadRow, type WorkloadIndex } from "./workload-state.ts";
import { EndpointRegistry, HEARTBEAT_SECONDS, ENDPOINT_TTL_MS, type EndpointCaller } from "./endpoints.ts";
import { hasStaleXds, listNacks, recordNack, retranslateXds, type Nack } from "./xds-state.ts";
import { targetPorts } from "../xds/template.ts";
import type { RegisteredEndpoint } from "../xds/translate/endpoints.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import { generateRoot, type RootMaterial } from "../ca/ca.ts";
import { withGatewayApiStatus } from "../xds/gateway-status.ts";

const NAMESPACES = "/namespaces";
/** Namespaces every cluster has; `default` and `kube-system` cannot be deleted, as in Kubernetes. */
const BUILTIN_NAMESPACES = ["default", "kube-system", "istio-system"];
const UNDELETABLE_NAMESPACES = new Set(["default", "kube-system"]);
/** A deleted namespace's contents go a moment later, so the rest of a `kubectl delete -f` still finds them. */
const NAMESPACE_CASCADE_DELAY_MS = 5_000;
const DEFAULT_RETENTION = 1000;

type Row = { body: string };

/** A write in progress: one revision, its changes, and the objects as they will be. */
interface Transaction {
  revision: number;
  now: Date;
  changes: Change[];
}

class Rollback extends Error {
  constructor(readonly result: WriteResult) {
    super("rolled back");
  }
}

export class ConfigStore extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private publishing: Promise<void> = Promise.resolve();
  /** Every stored object, parsed, keyed by objectKey: the compiler's input. Loaded on first use. */
  private objects?: Map<string, KubeObject>;
  private readonly endpoints: EndpointRegistry;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    migrate(this.sql);
    this.endpoints = new EndpointRegistry(this.sql, env.MESH_KV, (at) => this.wakeAt(at));
    ctx.blockConcurrencyWhile(async () => {
      if (hasStaleXds(this.sql)) await retranslateXds(this.sql, env.MESH_KV, targetPorts(buildRegistry(meshConfig(this.currentObjects().values()))));
      const missing = BUILTIN_NAMESPACES.filter((name) => !this.read(NAMESPACES, "", name));
      if (missing.length === 0) return;
      this.transaction((tx) => {
        const spec = kindFor("", "namespaces");
        for (const name of missing) this.put(tx, spec, "", stampCreated(spec, { apiVersion: "v1", kind: "Namespace", metadata: { name } }, this.stamp(tx)), "create");
        return { ok: true, code: 201, object: { apiVersion: "v1", kind: "Namespace", metadata: { name: missing[0] } } };
      }, false);
      await this.publish();
    });
  }

  // ---- reads (admin API) ----

  get(ref: ResourceRef, name: string): KubeObject | null {
    const obj = this.read(`${ref.group}/${ref.plural}`, ref.namespace, name);
    return obj ? this.withFindings(obj) : null;
  }

  /** Objects of one resource, in one namespace or (namespace "") all of them. */
  list(ref: ResourceRef): ListResult {
    const resource = `${ref.group}/${ref.plural}`;
    const rows = ref.namespace
      ? this.sql.exec<Row>("SELECT body FROM objects WHERE resource = ? AND namespace = ? ORDER BY namespace, name", resource, ref.namespace)
      : this.sql.exec<Row>("SELECT body FROM objects WHERE resource = ? ORDER BY namespace, name", resource);
    return { items: rows.toArray().map((r) => this.withFindings(JSON.parse(r.body) as KubeObject)), revision: currentRevision(this.sql) };
  }

  revision(): number {
    return currentRevision(this.sql);
  }

  findings(namespace?: string): Finding[] {
    const all = JSON.parse(getSetting(this.sql, "findings") ?? "[]") as Finding[];
    return namespace ? all.filter((f) => f.namespace === namespace) : all;
  }

  revisions(limit: number, before?: number): RevisionSummary[] {
    return listRevisions(this.sql, limit, before);
  }

  /** The whole config at a retained revision, or a Status when it is not retained. */
  configAtRevision(revision: number): { revision: number; items: KubeObject[] } | KubeStatus {
    if (revision < oldestRevision(this.sql) || revision > currentRevision(this.sql))
      return status(404, "NotFound", `revision ${revision} is not retained (retained: ${oldestRevision(this.sql)}..${currentRevision(this.sql)})`);
    return { revision, items: [...configAt(this.sql, revision).values()].sort(byKey) };
  }

  // ---- reads (proxy read path fallbacks, when KV has not caught up) ----

  /** The latest revision whose KV keys are all written. */
  pointer(): { revision: number } {
    return { revision: publishedRevision(this.sql) };
  }

  workloadIndex(): WorkloadIndex {
    return workloadIndex(this.sql, currentRevision(this.sql));
  }

  /** A workload's current served documents (always at least as new as any index entry). */
  workload(key: string): { revision: number; serviceAccount: string; filterConfig: string; snapshot: string; xds: string } | null {
    const row = workloadRow(this.sql, key);
    return row ? { revision: row.revision, serviceAccount: row.service_account, filterConfig: row.filter_config, snapshot: row.snapshot, xds: row.xds } : null;
  }

  /** The workloads of a namespace whose labels include all of `labels` (a cluster's endpoints), sorted. */
  workloadsMatching(namespace: string, labels: Record<string, string>): string[] {
    const rows = this.sql.exec<{ workload: string; snapshot: string }>(
      "SELECT workload, snapshot FROM workloads WHERE workload >= ? AND workload < ? ORDER BY workload",
      `${namespace}/`,
      `${namespace}0`,
    );
    const out: string[] = [];
    for (const r of rows) {
      const own = (JSON.parse(r.snapshot) as { workload: { labels: Record<string, string>; kind: string } }).workload;
      if (own.kind === "sidecar" && Object.entries(labels).every(([k, v]) => own.labels[k] === v)) out.push(r.workload);
    }
    return out;
  }

  // ---- endpoint registry and xDS status (no config revisions) ----

  /** Registers (or heartbeats) a pod of a workload. The caller must run as the workload's service account. */
  registerEndpoint(
    workload: string,
    pod: string,
    registration: { ip: string; ports: Record<string, number>; mtls: boolean },
    caller: { admin: boolean; namespace?: string; serviceAccount?: string },
  ): { ok: true; changed: boolean; heartbeatSeconds: number; ttlSeconds: number; version: number } | KubeStatus {
    const row = workloadRow(this.sql, workload);
    if (!row) return status(404, "NotFound", `workload ${workload} is not in the mesh`);
    const [namespace, name] = workload.split("/");
    if (!caller.admin && (caller.namespace !== namespace || caller.serviceAccount !== row.service_account))
      return status(403, "Forbidden", `this token may not register endpoints of ${workload} (service account ${row.service_account})`);
    const labels = (JSON.parse(row.snapshot) as WorkloadSnapshot).workload.labels;
    const changed = this.endpoints.register({ namespace, workload: name, serviceAccount: row.service_account, pod, ip: registration.ip, ports: registration.ports, labels, mtls: registration.mtls }, caller);
    if (typeof changed === "string") return status(403, "Forbidden", changed);
    return { ok: true, changed, heartbeatSeconds: HEARTBEAT_SECONDS, ttlSeconds: ENDPOINT_TTL_MS / 1000, version: this.endpoints.version() };
  }

  deregisterEndpoint(namespace: string, pod: string, caller: EndpointCaller): { removed: boolean } | KubeStatus {
    const removed = this.endpoints.deregister(namespace, pod, caller);
    return typeof removed === "string" ? status(403, "Forbidden", removed) : { removed };
  }

  /** The newest endpoint version whose KV document is written. */
  endpointsPointer(): { version: number } {
    return { version: this.endpoints.published() };
  }

  /** The live membership (the read path's fallback when KV lacks a version). */
  endpointsNow(): { version: number; endpoints: RegisteredEndpoint[] } {
    return { version: this.endpoints.version(), endpoints: this.endpoints.list() };
  }

  /** Local development without MESH_CA_KEY/MESH_CA_CERT: a root generated once and kept here. */
  async devCaRoot(): Promise<RootMaterial> {
    const stored = getSetting(this.sql, "dev_ca_root");
    if (stored) return JSON.parse(stored) as RootMaterial;
    const root = await generateRoot();
    if (!getSetting(this.sql, "dev_ca_root")) {
      putSetting(this.sql, "dev_ca_root", JSON.stringify(root));
      console.warn(
        "edge-mesh: no MESH_CA_KEY/MESH_CA_CERT secrets; generated a development mesh root CA (kept in the ConfigStore).\n" +
          "For production run `npx tsx control/ca/generate-root.ts` and store both with `wrangler secret put`.\n" + root.certPem,
      );
    }
    return JSON.parse(getSetting(this.sql, "dev_ca_root")!) as RootMaterial;
  }

  /** A Gateway (Gateway API or Istio) and the snapshot of the proxy that implements it. */
  gatewayProxy(namespace: string, name: string): { gateway: KubeObject; proxy: WorkloadSnapshot } | null {
    const gateway = this.read("gateway.networking.k8s.io/gateways", namespace, name) ?? this.read("networking.istio.io/gateways", namespace, name);
    if (!gateway) return null;
    const origin = `${namespace}/${name}`;
    for (const r of this.sql.exec<{ snapshot: string }>(`SELECT snapshot FROM workloads WHERE snapshot LIKE '%"kind":"gateway"%' ORDER BY workload`)) {
      const proxy = JSON.parse(r.snapshot) as WorkloadSnapshot;
      if (proxy.workload.kind === "gateway" && (proxy.listeners ?? []).some((l) => l.origin === origin)) return { gateway, proxy };
    }
    return null;
  }

  recordNack(nack: Omit<Nack, "at">): void {
    recordNack(this.sql, nack);
  }

  nacks(namespace?: string): Nack[] {
    return listNacks(this.sql, namespace);
  }

  /** Wakes the alarm at `at` unless it is due sooner. */
  private async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  // ---- writes ----

  async write(req: WriteRequest): Promise<WriteResult> {
    const spec = kindFor(req.group, req.plural);
    const result = this.transaction((tx) => this.apply(spec, req, tx), req.dryRun);
    if (result.ok && !req.dryRun) await this.publish();
    return result;
  }

  /** A new revision whose config equals that of `to` (history is never rewritten). */
  async rollback(to: number): Promise<{ revision: number } | KubeStatus> {
    const target = this.configAtRevision(to);
    if ("kind" in target) return target;
    const wanted = configAt(this.sql, to);
    const result = this.transaction((tx) => {
      const current = this.currentObjects();
      for (const key of current.keys()) if (!wanted.has(key)) this.removeKey(tx, key);
      for (const [key, obj] of wanted) {
        const now = current.get(key);
        if (now && sameContent(now, obj)) continue;
        const [resource, ns] = key.split("|");
        const spec = KINDS.find((k) => `${k.group}/${k.plural}` === resource)!;
        // An object that still exists is updated (its uid stays, its generation moves on);
        // one deleted since is restored as it was.
        const restored = now
          ? stampUpdated(spec, now, obj, this.stamp(tx))!
          : { ...obj, metadata: { ...obj.metadata, resourceVersion: String(tx.revision) } };
        this.put(tx, spec, ns, restored, now ? "update" : "create");
      }
      return { ok: true, code: 200, object: { apiVersion: "v1", kind: "Revision", metadata: { name: String(tx.revision) } } };
    }, false);
    if (!result.ok) return result.status;
    await this.publish();
    return { revision: Number(result.object.metadata.name) };
  }

  /**
   * Runs `body` as one transaction and one revision. If it changed anything, the mesh is compiled
   * inside the same transaction; a compile failure or a dry run rolls everything back.
   */
  private transaction(body: (tx: Transaction) => WriteResult, dryRun: boolean): WriteResult {
    const tx: Transaction = { revision: currentRevision(this.sql) + 1, now: new Date(), changes: [] };
    let next: Map<string, KubeObject> | undefined;
    let findings: Finding[] = [];
    let result: WriteResult;
    try {
      result = this.ctx.storage.transactionSync(() => {
        const r = body(tx);
        if (!r.ok || tx.changes.length === 0) return r;
        logRevision(this.sql, tx.revision, tx.now, tx.changes);
        next = this.applyChanges(tx.changes);
        const config = meshConfig(next.values());
        const registry = buildRegistry(config);
        try {
          recordSnapshot(this.sql, compile(config, registry, tx.revision), targetPorts(registry));
          findings = analyze(config, registry);
        } catch (e) {
          console.error("compile failed", e instanceof Error ? e.stack : e);
          throw new Rollback({
            ok: false,
            status: status(422, "Invalid", `the configuration does not compile: ${e instanceof Error ? e.message : String(e)}`),
          });
        }
        putSetting(this.sql, "findings", JSON.stringify(findings));
        pruneHistory(this.sql, Number(this.env.MESH_REVISION_RETENTION ?? DEFAULT_RETENTION));
        if (dryRun) throw new Rollback(r);
        return r;
      });
    } catch (e) {
      if (e instanceof Rollback) return e.result;
      throw e;
    }
    if (next && !dryRun) this.objects = next;
    return result;
  }

  private apply(spec: KindSpec, req: WriteRequest, tx: Transaction): WriteResult {
    const resource = `${req.group}/${req.plural}`;
    const ns = spec.namespaced ? req.namespace : "";
    if (spec.namespaced && req.op !== "delete" && !this.read(NAMESPACES, "", ns)) return fail(namespaceNotFound(ns));

    switch (req.op) {
      case "create":
        return this.create(spec, ns, req.body, tx);
      case "replace": {
        const current = this.read(resource, ns, req.name);
        if (!current) return fail(notFound(spec, req.name));
        const sent = req.body.metadata?.resourceVersion;
        if (sent !== undefined && sent !== current.metadata.resourceVersion) return fail(conflict(spec, req.name));
        if (req.body.metadata?.name !== undefined && req.body.metadata.name !== req.name)
          return fail(badRequest(`the name of the object (${req.body.metadata.name}) does not match the name on the URL (${req.name})`));
        return this.update(spec, ns, current, req.body, tx);
      }
      case "patch": {
        const current = this.read(resource, ns, req.name);
        if (!current) {
          // Server-side apply creates what does not exist yet.
          if (req.patchType === "apply") return this.create(spec, ns, withName(req.patch as KubeObject, req.name), tx);
          return fail(notFound(spec, req.name));
        }
        const patched = patchObject(current, req.patchType, req.patch);
        if ("error" in patched) return fail(badRequest(patched.error));
        const sent = patched.object.metadata?.resourceVersion;
        // A patch may carry a resourceVersion as an optimistic lock (kubectl diff does).
        if (sent !== undefined && sent !== current.metadata.resourceVersion) return fail(conflict(spec, req.name));
        if (patched.object.metadata?.name !== req.name) return fail(badRequest("metadata.name cannot be changed by a patch"));
        return this.update(spec, ns, current, patched.object, tx);
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
        this.removeKey(tx, objectKey(resource, ns, req.name));
        if (spec.kind === "Namespace") this.scheduleCascade(req.name, tx.revision);
        return { ok: true, code: 200, object: current };
      }
    }
  }

  private create(spec: KindSpec, ns: string, body: KubeObject, tx: Transaction): WriteResult {
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
    const created = stampCreated(spec, candidate, this.stamp(tx));
    this.put(tx, spec, ns, created, "create");
    return { ok: true, code: 201, object: created };
  }

  private update(spec: KindSpec, ns: string, current: KubeObject, next: KubeObject, tx: Transaction): WriteResult {
    const name = current.metadata.name;
    const candidate = normalize(spec, withName(next, name), ns || undefined);
    const errors = validateObject(spec, candidate);
    if (errors.length > 0) return fail(invalid(spec, name, errors));
    const updated = stampUpdated(spec, current, candidate, this.stamp(tx));
    if (!updated) return { ok: true, code: 200, object: current };
    this.put(tx, spec, ns, updated, "update");
    return { ok: true, code: 200, object: updated };
  }

  // ---- persistence ----

  private read(resource: string, namespace: string, name: string): KubeObject | undefined {
    const row = this.sql
      .exec<Row>("SELECT body FROM objects WHERE resource = ? AND namespace = ? AND name = ?", resource, namespace, name)
      .toArray()[0];
    return row ? (JSON.parse(row.body) as KubeObject) : undefined;
  }

  private stamp(tx: Transaction): Stamp {
    return { revision: tx.revision, now: tx.now, uid: crypto.randomUUID() };
  }

  private put(tx: Transaction, spec: KindSpec, ns: string, obj: KubeObject, op: "create" | "update"): void {
    const resource = `${spec.group}/${spec.plural}`;
    const name = obj.metadata.name;
    this.sql.exec(
      "INSERT INTO objects (resource, namespace, name, revision, body) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (resource, namespace, name) DO UPDATE SET revision = excluded.revision, body = excluded.body",
      resource,
      ns,
      name,
      tx.revision,
      JSON.stringify(obj),
    );
    tx.changes.push({ resource, namespace: ns, name, op, body: obj });
  }

  private removeKey(tx: Transaction, key: string): void {
    const [resource, ns, name] = key.split("|");
    this.sql.exec("DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?", resource, ns, name);
    tx.changes.push({ resource, namespace: ns, name, op: "delete", body: null });
  }

  private currentObjects(): Map<string, KubeObject> {
    if (!this.objects) {
      this.objects = new Map();
      for (const r of this.sql.exec<{ resource: string; namespace: string; name: string; body: string }>("SELECT resource, namespace, name, body FROM objects"))
        this.objects.set(objectKey(r.resource, r.namespace, r.name), JSON.parse(r.body) as KubeObject);
    }
    return this.objects;
  }

  /** The objects as they will be after `changes` (a copy: the live map changes only on commit). */
  private applyChanges(changes: Change[]): Map<string, KubeObject> {
    const next = new Map(this.currentObjects());
    for (const c of changes) {
      const key = objectKey(c.resource, c.namespace, c.name);
      if (c.body) next.set(key, c.body);
      else next.delete(key);
    }
    return next;
  }

  /** Objects come back with the analyzer's findings about them, as Istio writes status.validationMessages. */
  private withFindings(stored: KubeObject): KubeObject {
    const obj = withGatewayApiStatus(stored, this.currentObjects().values());
    const mine = this.findings().filter((f) => f.kind === obj.kind && f.name === obj.metadata.name && f.namespace === (obj.metadata.namespace ?? ""));
    if (mine.length === 0) return obj;
    const validationMessages = mine.map((f) => ({
      type: { code: f.code },
      level: f.level.toUpperCase(),
      description: f.message,
      documentationUrl: `https://istio.io/latest/docs/reference/config/analysis/${f.code.toLowerCase()}/`,
    }));
    return { ...obj, status: { ...((obj.status as object) ?? {}), validationMessages } };
  }

  private scheduleCascade(namespace: string, revision: number): void {
    this.sql.exec("INSERT INTO pending_cascades (namespace, revision) VALUES (?, ?)", namespace, revision);
    void this.ctx.storage.setAlarm(Date.now() + NAMESPACE_CASCADE_DELAY_MS);
  }

  /**
   * Publishes unpublished state to KV; on failure retries from the alarm, so KV catches up.
   * Publishes run one after another, so the `latest` pointer never moves backwards.
   */
  private publish(): Promise<void> {
    this.publishing = this.publishing.then(async () => {
      try {
        await publishPending(this.sql, this.env.MESH_KV);
      } catch (e) {
        console.error("publishing to KV failed; retrying from the alarm", e instanceof Error ? e.message : e);
        await this.ctx.storage.setAlarm(Date.now() + 1_000);
      }
    });
    return this.publishing;
  }

  override async alarm(): Promise<void> {
    const cascades = this.sql.exec<{ namespace: string; revision: number }>("SELECT namespace, revision FROM pending_cascades").toArray();
    if (cascades.length > 0)
      this.transaction((tx) => {
        for (const { namespace, revision } of cascades) {
          // Only what existed when the namespace was deleted: a re-created namespace keeps its new objects.
          for (const [key, obj] of this.currentObjects()) {
            const [, ns] = key.split("|");
            if (ns === namespace && Number(obj.metadata.resourceVersion) <= revision) this.removeKey(tx, key);
          }
        }
        this.sql.exec("DELETE FROM pending_cascades");
        return { ok: true, code: 200, object: { apiVersion: "v1", kind: "Namespace", metadata: { name: cascades[0].namespace } } };
      }, false);
    await this.publish();
    await this.endpoints.sweep();
  }
}

function fail(s: KubeStatus): WriteResult {
  return { ok: false, status: s };
}

function kindFor(group: string, plural: string): KindSpec {
  const spec = KINDS.find((k) => k.group === group && k.plural === plural);
  if (!spec) throw new Error(`unknown resource ${group}/${plural}`);
  return spec;
}

function byKey(a: KubeObject, b: KubeObject): number {
  const ka = `${a.apiVersion}/${a.kind}/${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.apiVersion}/${b.kind}/${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
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

function patchObject(current: KubeObject, type: PatchType, patch: unknown): { object: KubeObject } | { error: string } {
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
