// The ConfigStore Durable Object: the single writer of the mesh configuration.
// Every write is one synchronous SQLite transaction: check resourceVersion, validate, persist,
// log a new mesh revision. Concurrent writers are serialised and none loses an update.
// Compiling is apart from writing, as istiod debounces: a burst of writes is compiled once,
// shortly after it settles (COMPILE_DEBOUNCE_MS, at most COMPILE_MAX_DELAY_MS after the first),
// or at once when a proxy or operator asks for what is served. A compile records only what
// changed (control/store/served-state.ts) and publishes that to KV for the read path.
import { DurableObject } from "cloudflare:workers";
import { applyPatch, type Operation } from "fast-json-patch";
import { alreadyExists, badRequest, conflict, invalid, namespaceNotFound, notFound, status, type KubeStatus } from "../api/status.ts";
import type { Env } from "../env.ts";
import { analyze, type Finding } from "../mesh/analyze/index.ts";
import type { Credential } from "../xds/translate/gateway-tls.ts";
import { gatewayCredentials } from "./gateway-credentials.ts";
import { apiVersionOf, KINDS } from "../mesh/kinds/index.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { push } from "../mesh/maps.ts";
import { validateObject } from "../mesh/validate.ts";
import { istioWarnings } from "../mesh/warnings.ts";
import { configAt, currentRevision, listRevisions, logRevision, oldestRevision, pruneHistory, type Change, type RevisionSummary } from "./history.ts";
import { mergePatch } from "./merge-patch.ts";
import { nameErrors, normalize, stampCreated, stampUpdated, type Stamp } from "./objects.ts";
import type { AdmittedPod, ListResult, PatchType, PodRecord, ResourceRef, WriteRequest, WriteResult } from "./requests.ts";
import { objectChange, sameContent, type ObjectChange } from "./revision-diff.ts";
import { changedObjectsPage, configPageAt, listPage, type ConfigPageStart, type ListPage, type ListPageRequest } from "./pages.ts";
import { getSetting, migrate, objectKey, putSetting, SCHEMA } from "./tables.ts";
import { ServedState, type WriteCount } from "./served-state.ts";
import type { ServedWorkload } from "../served/model.ts";
import { compileSplit, meshInputs, type MeshInputs } from "../served/compile-split.ts";
import { cancelPendingCascades, withoutOrphans } from "./namespace-cascade.ts";
import { maxServedBytesPerWorkload, ServedBudget } from "./served-budget.ts";
import { maxObjectsPerNamespace, objectTooLarge, quotaExceeded } from "./quota.ts";
import { admittedPodFor, recordAdmittedPod } from "./admitted-pods.ts";
import { EndpointRegistry, EndpointLimits, type EndpointCaller, type LivePod } from "./endpoints.ts";
import { listNacks, recordNack, type Nack } from "./xds-state.ts";
import { proxyStatuses, recordProxySync } from "./proxy-sync.ts";
import type { ProxyStatus } from "../proxy/sync-status.ts";
import type { SyncReport } from "../proxy/sync-report.ts";
import { WatchHub, type WatchEvent } from "./watch.ts";
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
/** A compile waits for writes to settle this long after the last one... */
const COMPILE_DEBOUNCE_MS = 100;
/** ...but never longer than this after the first uncompiled write, or than COMPILE_DUTY_SPACING
 *  times the last compile's and publish's duration, whichever is longer: under a sustained burst
 *  of writes a large mesh spends at most a tenth of the store's time compiling and publishing
 *  (publishing a 5,000-service compile costs about what compiling it does). */
const COMPILE_MAX_DELAY_MS = 1_000;
const COMPILE_DUTY_SPACING = 10;
const DIRTY = "uncompiled_since";

/** What the last compile and publish cost: the scale benchmark reads it. */
export interface CompileReport {
  revision: number;
  compileMs: number;
  /** Publishing what the compile changed to KV, until the last put returned. */
  publishMs: number;
  storage: WriteCount;
  kv: WriteCount;
}

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
  /** Compiles and publishes, one after another (never two at once). */
  private serving: Promise<void> = Promise.resolve();
  /** Every stored object, parsed, keyed by objectKey: the compiler's input. Loaded on first use. */
  private objects?: Map<string, KubeObject>;
  private readonly endpoints: EndpointRegistry;
  private readonly served: ServedState;
  private readonly watches = new WatchHub((resource) => ({
    apiVersion: apiVersionOf(kindForResource(resource)),
    kind: kindForResource(resource).kind,
    metadata: { name: "", resourceVersion: String(this.headRevision()) },
  }));
  private lastWriteAt = 0;
  // Mirrors of single SQL values every write reads (the revision log's head, the pending-compile
  // mark, the alarm): undefined until first read. The objects map mirrors the objects table.
  private head?: number;
  private dirtySince?: number | null;
  private alarmAt?: number | null;
  private objectCounts?: Map<string, number>;
  /** The stored findings, parsed, and by object (object reads attach them). */
  private findingsMemo?: Finding[];
  /** The last compile's input, kept until something reads the analysis (then analyzed once). */
  private analysisInput?: MeshInputs;
  private findingsByObject?: Map<string, Finding[]>;
  private lastReport?: CompileReport;
  private readonly totals = { storage: { rows: 0, bytes: 0 }, kv: { rows: 0, bytes: 0 } };
  private readonly budget: ServedBudget;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    migrate(this.sql);
    this.endpoints = new EndpointRegistry(this.sql, env.MESH_KV, (at) => this.wakeAt(at), EndpointLimits.fromEnv(env));
    this.served = new ServedState(this.sql, env.MESH_KV, graceMs(env));
    this.budget = new ServedBudget(maxServedBytesPerWorkload(env));
    ctx.blockConcurrencyWhile(async () => {
      // A store that served per-workload copies (before shared parts) compiles its state anew.
      if (this.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'workloads'").toArray().length > 0) {
        this.sql.exec("DROP TABLE workloads");
        putSetting(this.sql, DIRTY, String(Date.now()));
      }
      const missing = BUILTIN_NAMESPACES.filter((name) => !this.read(NAMESPACES, "", name));
      if (missing.length > 0)
        this.transaction((tx) => {
          const spec = kindFor("", "namespaces");
          for (const name of missing) this.put(tx, spec, "", stampCreated(spec, { apiVersion: "v1", kind: "Namespace", metadata: { name } }, this.stamp(tx)), "create");
          return { ok: true, code: 201, object: { apiVersion: "v1", kind: "Namespace", metadata: { name: missing[0] } } };
        }, false);
      if (this.uncompiledSince() !== undefined) await this.wakeAt(Date.now());
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
    return { items: rows.toArray().map((r) => this.withFindings(JSON.parse(r.body) as KubeObject)), revision: this.headRevision() };
  }

  revision(): number {
    return this.headRevision();
  }

  private headRevision(): number {
    return (this.head ??= currentRevision(this.sql));
  }

  /** The analysis of the newest config (compiled first if a write is pending). */
  async findings(namespace?: string): Promise<Finding[]> {
    await this.flush();
    return this.storedFindings(namespace);
  }

  /**
   * The analysis as of the last compile: what object reads show, without waiting for one. It runs
   * when first read after a compile, not in every compile: a burst of writes nobody reads the
   * status of (a large apply) is analyzed once, at the end. Kept across restarts once made.
   */
  private storedFindings(namespace?: string): Finding[] {
    if (!this.findingsMemo) {
      const saved = this.analysisInput ? undefined : getSetting(this.sql, "findings");
      if (saved !== undefined) this.findingsMemo = JSON.parse(saved) as Finding[];
      else {
        const { config, registry } = this.analysisInput ?? this.configNow();
        this.findingsMemo = analyze(config, registry);
        putSetting(this.sql, "findings", JSON.stringify(this.findingsMemo));
        this.analysisInput = undefined;
      }
    }
    return namespace ? this.findingsMemo.filter((f) => f.namespace === namespace) : this.findingsMemo;
  }

  private configNow(): MeshInputs {
    return meshInputs(this.currentObjects().values());
  }

  /** The revision log, and how far compiling and publishing have got (the newest first). */
  revisions(limit: number, before?: number): { items: RevisionSummary[]; compiledRevision: number; publishedRevision: number } {
    return { items: listRevisions(this.sql, limit, before), compiledRevision: this.served.compiledRevision(), publishedRevision: this.served.publishedRevision() };
  }

  /** The served state's size, and what the last compile and all compiles since start-up wrote. */
  servedStats(): object {
    return { revision: this.headRevision(), compiledRevision: this.served.compiledRevision(), publishedRevision: this.served.publishedRevision(), ...this.served.stats(), lastCompile: this.lastReport ?? null, writtenSinceStart: this.totals };
  }

  /** A page of a list (see pages.ts): objects as they are, or as they were when the list began. */
  listPage(ref: ResourceRef, req: ListPageRequest): ListPage | KubeStatus {
    const page = listPage(this.sql, `${ref.group}/${ref.plural}`, ref.namespace, req);
    return "kind" in page ? page : { ...page, items: page.items.map((o) => this.withFindings(o)) };
  }

  /** A page of the whole config at a retained revision, or a Status when it is not retained. */
  configAtRevision(revision: number, start?: ConfigPageStart): { revision: number; items: KubeObject[]; next?: ConfigPageStart } | KubeStatus {
    const unknown = this.unretained(revision);
    if (unknown) return unknown;
    const page = configPageAt(this.sql, revision, start, Number.MAX_SAFE_INTEGER);
    return { revision, items: page.items.map(redacted), ...(page.next ? { next: page.next } : {}) };
  }

  /** A page of what changed from one retained revision to another, object by object. */
  revisionDiff(from: number, to: number, start?: ConfigPageStart): { changes: ObjectChange[]; next?: ConfigPageStart } | KubeStatus {
    const unknown = this.unretained(from) ?? this.unretained(to);
    if (unknown) return unknown;
    const page = changedObjectsPage(this.sql, from, to, start, Number.MAX_SAFE_INTEGER);
    const changes = page.items.flatMap(({ before, after }) => objectChange(before && redacted(before), after && redacted(after)));
    return { changes, ...(page.next ? { next: page.next } : {}) };
  }

  private unretained(revision: number): KubeStatus | undefined {
    if (revision < oldestRevision(this.sql) || revision > this.headRevision())
      return status(404, "NotFound", `revision ${revision} is not retained (retained: ${oldestRevision(this.sql)}..${this.headRevision()})`);
    return undefined;
  }

  // ---- reads (proxy read path fallbacks, when KV has not caught up) ----

  /** The latest revision whose KV keys are all written (compiling and publishing a pending write first). */
  async pointer(): Promise<{ revision: number }> {
    await this.flush();
    return { revision: this.served.publishedRevision() };
  }

  /** A workload's current served documents (always at least as new as any published entry). */
  async workload(key: string): Promise<ServedWorkload | null> {
    await this.flush();
    return this.served.served(key);
  }

  /** The serving certificates a gateway's own listeners name (its LDS only: the Worker has authorized the caller for `key`). */
  async gatewayCredentials(key: string): Promise<Record<string, Credential>> {
    await this.flush();
    return gatewayCredentials(this.served.served(key)?.snapshot, (namespace, name) => this.read("/secrets", namespace, name));
  }

  /** The workloads of a namespace whose labels include all of `labels` (a cluster's endpoints), sorted. */
  async workloadsMatching(namespace: string, labels: Record<string, string>): Promise<string[]> {
    await this.flush();
    const out: string[] = [];
    for (const w of this.served.identities(namespace))
      if (w.kind === "sidecar" && Object.entries(labels).every(([k, v]) => w.labels[k] === v)) out.push(w.key);
    return out;
  }

  // ---- endpoint registry and xDS status (no config revisions) ----

  /** Registers (or heartbeats) a pod of a workload. The caller must run as the workload's service account. */
  async registerEndpoint(
    workload: string,
    pod: string,
    registration: { ip: string; ports: Record<string, number>; mtls: boolean },
    caller: { admin: boolean; namespace?: string; serviceAccount?: string },
  ): Promise<{ ok: true; changed: boolean; heartbeatSeconds: number; ttlSeconds: number; version: number } | KubeStatus> {
    // A workload applied a moment ago may wait for its compile: a pod starting now must not be refused.
    if (this.uncompiledSince() !== undefined && !this.served.served(workload)) await this.flush();
    const row = this.served.served(workload);
    if (!row) return status(404, "NotFound", `workload ${workload} is not in the mesh`);
    const [namespace, name] = workload.split("/");
    if (!caller.admin && (caller.namespace !== namespace || caller.serviceAccount !== row.serviceAccount))
      return status(403, "Forbidden", `this token may not register endpoints of ${workload} (service account ${row.serviceAccount})`);
    const labels = (JSON.parse(row.snapshot) as WorkloadSnapshot).workload.labels;
    const endpoint = { namespace, workload: name, serviceAccount: row.serviceAccount, pod, ip: registration.ip, ports: registration.ports, labels, mtls: registration.mtls };
    if (!this.endpoints.hasRoomFor(endpoint))
      return status(403, "Forbidden", `workload ${workload} already has ${this.endpoints.limits.maxPodsPerWorkload} pods registered (MESH_MAX_PODS_PER_WORKLOAD): deregister one, or wait until one stops heartbeating`);
    const changed = this.endpoints.register(endpoint, caller);
    if (typeof changed === "string") return status(403, "Forbidden", changed);
    return { ok: true, changed, heartbeatSeconds: this.endpoints.limits.heartbeatSeconds, ttlSeconds: this.endpoints.limits.ttlMs / 1000, version: this.endpoints.version() };
  }

  /** The live pods of a namespace (or all), with what the mesh knows of their workloads. */
  podRecords(namespace?: string): { items: PodRecord[]; version: number } {
    const workloads = new Map<string, { kind: "sidecar" | "gateway"; serviceAccount: string } | undefined>();
    const items: PodRecord[] = [];
    const pods = this.endpoints.livePods();
    const sync = new Map(this.proxyStatusesNow(pods, namespace).map((s) => [`${s.namespace}/${s.pod}`, s]));
    for (const live of pods) {
      const e = live.endpoint;
      if (namespace && e.namespace !== namespace) continue;
      const key = `${e.namespace}/${e.workload}`;
      if (!workloads.has(key)) {
        const row = this.served.served(key);
        workloads.set(key, row ? { kind: (JSON.parse(row.snapshot) as WorkloadSnapshot).workload.kind, serviceAccount: row.serviceAccount } : undefined);
      }
      const w = workloads.get(key);
      const admitted = admittedPodFor(this.sql, e.namespace, e.pod);
      const deployment = admitted ? undefined : this.read("apps/deployments", e.namespace, e.workload);
      const appContainers = (deployment?.spec as { template?: { spec?: { containers?: Record<string, unknown>[] } } } | undefined)?.template?.spec?.containers;
      items.push({
        namespace: e.namespace,
        pod: e.pod,
        workload: e.workload,
        ip: e.ip,
        labels: e.labels,
        kind: w?.kind ?? "sidecar",
        serviceAccount: w?.serviceAccount ?? "default",
        registeredAt: live.registeredAt,
        lastSeen: live.lastSeen,
        readyUntil: live.readyUntil,
        ...(admitted ? { admitted } : {}),
        ...(appContainers ? { appContainers } : {}),
        sync: sync.get(`${e.namespace}/${e.pod}`),
      });
    }
    return { items, version: this.endpoints.version() };
  }

  /** Keeps a pod the admission webhook injected (see admitted-pods.ts); never a config revision. */
  recordAdmittedPod(namespace: string, nameOrPrefix: string, pod: AdmittedPod): void {
    recordAdmittedPod(this.sql, namespace, nameOrPrefix, pod);
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
  async gatewayProxy(namespace: string, name: string): Promise<{ gateway: KubeObject; proxy: WorkloadSnapshot } | null> {
    const gateway = this.read("gateway.networking.k8s.io/gateways", namespace, name) ?? this.read("networking.istio.io/gateways", namespace, name);
    if (!gateway) return null;
    await this.flush();
    const proxy = this.proxyImplementing(gateway);
    return proxy ? { gateway, proxy } : null;
  }

  /**
   * The Gateway API Gateways of a GatewayClass (in a namespace, or all), each with its proxy's
   * snapshot. A listing compiles a pending write first; a lookup by name takes the last compile:
   * `kubectl apply` reads each Service before creating it, and those reads must not each cost a
   * compile (a new Gateway's Service shows with the next one, as a gateway controller makes it later).
   */
  async gatewayApiProxies(gatewayClass: string, namespace?: string, compileFirst = true): Promise<{ gateway: KubeObject; proxy: WorkloadSnapshot }[]> {
    if (compileFirst) await this.flush();
    const out: { gateway: KubeObject; proxy: WorkloadSnapshot }[] = [];
    for (const gateway of this.list({ group: "gateway.networking.k8s.io", plural: "gateways", namespace: namespace ?? "" }).items) {
      if ((gateway.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName !== gatewayClass) continue;
      const proxy = this.proxyImplementing(gateway);
      if (proxy) out.push({ gateway, proxy });
    }
    return out;
  }

  private proxyImplementing(gateway: KubeObject): WorkloadSnapshot | undefined {
    const origin = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
    for (const w of this.served.identities()) {
      if (w.kind !== "gateway") continue;
      const proxy = JSON.parse(this.served.served(w.key)!.snapshot) as WorkloadSnapshot;
      if ((proxy.listeners ?? []).some((l) => l.origin === origin)) return proxy;
    }
    return undefined;
  }

  /** A proxy's poll showed a channel state this isolate had not forwarded yet (control/proxy/sync-report.ts). */
  recordProxySync(report: SyncReport): void {
    // A registered pod's status comes from its own workload's proxy (a token of another workload in
    // the namespace cannot make it look STALE by naming it).
    const registeredTo = this.endpoints.workloadOf(report.namespace, report.pod);
    if (registeredTo !== undefined && registeredTo !== report.workload) return;
    recordProxySync(this.sql, report, this.endpoints.limits.maxPodsPerWorkload);
  }

  /** Every proxy's sync status against the published revision (compiling a pending write first). */
  async proxyStatus(namespace?: string): Promise<{ publishedRevision: number; items: ProxyStatus[] }> {
    await this.flush();
    return { publishedRevision: this.served.publishedRevision(), items: this.proxyStatusesNow(this.endpoints.livePods(), namespace) };
  }

  private proxyStatusesNow(live: LivePod[], namespace?: string): ProxyStatus[] {
    return proxyStatuses(this.sql, live, (key) => this.served.versionOf(key), namespace);
  }

  recordNack(nack: Omit<Nack, "at">): void {
    recordNack(this.sql, nack);
  }

  nacks(namespace?: string): Nack[] {
    return listNacks(this.sql, namespace);
  }

  /** Wakes the alarm at `at` unless it is due sooner. */
  private async wakeAt(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  // ---- writes ----

  async write(req: WriteRequest): Promise<WriteResult> {
    const spec = kindFor(req.group, req.plural);
    // An update keeps the status the object had (as the Kubernetes API does); the next read
    // shows the new generation's own.
    const previous = req.op === "create" ? undefined : this.read(`${req.group}/${req.plural}`, spec.namespaced ? req.namespace : "", req.name);
    const result = this.transaction((tx) => this.withinServedBudget(spec, this.apply(spec, req, tx), tx), req.dryRun);
    if (result.ok && !req.dryRun) await this.scheduleCompile();
    if (!result.ok || !previous || req.op === "delete") return result;
    const status = this.withFindings(previous).status;
    return status === undefined ? result : { ...result, object: { ...result.object, status } };
  }

  /** A written object that would make some workload's served config pass a budget rolls the write back. */
  private withinServedBudget(spec: KindSpec, result: WriteResult, tx: Transaction): WriteResult {
    const written = result.ok ? tx.changes.find((c) => c.body) : undefined;
    if (!written?.body) return result;
    const problem = this.budget.check(spec, written.body, written.json!, () => {
      const after = new Map(this.currentObjects());
      for (const c of tx.changes) {
        if (c.body) after.set(objectKey(c.resource, c.namespace, c.name), c.body);
        else after.delete(objectKey(c.resource, c.namespace, c.name));
      }
      return after.values();
    });
    if (problem) throw new Rollback(fail(problem));
    return result;
  }

  /** A new revision whose config equals that of `to` (history is never rewritten). */
  async rollback(to: number): Promise<{ revision: number } | KubeStatus> {
    const unknown = this.unretained(to);
    if (unknown) return unknown;
    const wanted = withoutOrphans(configAt(this.sql, to));
    const result = this.transaction((tx) => {
      cancelPendingCascades(this.sql);
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
    // Nothing to change (a rollback to the config as it is) makes no revision: the current one is the answer.
    const revision = this.headRevision();
    if (revision === Number(result.object.metadata.name)) await this.scheduleCompile();
    return { revision };
  }

  /**
   * Runs `body` as one transaction and one revision; a dry run rolls everything back. What
   * proxies are served moves later, when the revision is compiled.
   */
  private transaction(body: (tx: Transaction) => WriteResult, dryRun: boolean): WriteResult {
    const tx: Transaction = { revision: this.headRevision() + 1, now: new Date(), changes: [] };
    let result: WriteResult;
    let logged = false;
    try {
      result = this.ctx.storage.transactionSync(() => {
        const r = body(tx);
        if (!r.ok || tx.changes.length === 0) return r;
        if (dryRun) throw new Rollback(r);
        logRevision(this.sql, tx.revision, tx.now, tx.changes);
        pruneHistory(this.sql, Number(this.env.MESH_REVISION_RETENTION ?? DEFAULT_RETENTION), tx.revision);
        if (this.uncompiledSince() === undefined) putSetting(this.sql, DIRTY, String(tx.now.getTime()));
        logged = true;
        return r;
      });
    } catch (e) {
      if (e instanceof Rollback) return e.result;
      throw e;
    }
    if (logged) {
      this.head = tx.revision;
      this.dirtySince ??= tx.now.getTime();
    }
    if (!dryRun) this.commitChanges(tx.revision, tx.changes);
    return result;
  }

  private uncompiledSince(): number | undefined {
    if (this.dirtySince === undefined) {
      const v = getSetting(this.sql, DIRTY);
      this.dirtySince = v === undefined ? null : Number(v);
    }
    return this.dirtySince ?? undefined;
  }

  private markCompiled(): void {
    this.sql.exec("DELETE FROM settings WHERE key = ?", DIRTY);
    this.dirtySince = null;
  }

  /** Debounces the compile after a write (the alarm runs it). */
  private async scheduleCompile(): Promise<void> {
    this.lastWriteAt = Date.now();
    // A write that changed nothing (the same object applied again) leaves nothing to compile.
    const due = this.compileDueAt();
    if (due !== undefined) await this.wakeAt(due);
  }

  private compileDueAt(): number | undefined {
    const since = this.uncompiledSince();
    if (since === undefined) return undefined;
    const last = this.lastReport;
    const maxDelay = Math.max(COMPILE_MAX_DELAY_MS, COMPILE_DUTY_SPACING * (last ? last.compileMs + last.publishMs : 0));
    return Math.min(Math.max(this.lastWriteAt, since) + COMPILE_DEBOUNCE_MS, since + maxDelay);
  }

  /** Compiles the newest revision if a write is pending, then publishes; one at a time. */
  private flush(): Promise<void> {
    this.serving = this.serving.then(async () => {
      if (this.uncompiledSince() !== undefined) this.compileNow();
      await this.publish();
    });
    return this.serving;
  }

  /**
   * Compiles the whole mesh at the current revision and records what changed. Validation made
   * every stored object compilable; should the compiler still throw, proxies keep the last
   * compiled revision and the error is logged, retried on the next write.
   */
  private compileNow(): void {
    const revision = this.headRevision();
    const started = Date.now();
    try {
      const storage = this.ctx.storage.transactionSync(() => {
        const inputs = this.configNow();
        const split = compileSplit(inputs, revision);
        this.budget.compiled(split);
        const written = this.served.record(split, revision);
        this.analysisInput = inputs;
        this.findingsMemo = this.findingsByObject = undefined;
        this.sql.exec("DELETE FROM settings WHERE key = 'findings'");
        this.markCompiled();
        return written;
      });
      this.lastReport = { revision, compileMs: Date.now() - started, publishMs: 0, storage, kv: { rows: 0, bytes: 0 } };
      this.totals.storage.rows += storage.rows;
      this.totals.storage.bytes += storage.bytes;
    } catch (e) {
      this.findingsMemo = this.findingsByObject = this.analysisInput = undefined;
      console.error(`compiling revision ${revision} failed; proxies keep revision ${this.served.compiledRevision()}`, e instanceof Error ? e.stack : e);
      this.markCompiled();
    }
  }

  private apply(spec: KindSpec, req: WriteRequest, tx: Transaction): WriteResult {
    const resource = `${req.group}/${req.plural}`;
    const ns = spec.namespaced ? req.namespace : "";
    if (spec.namespaced && req.op !== "delete" && !this.read(NAMESPACES, "", ns)) return fail(namespaceNotFound(ns));

    switch (req.op) {
      case "create":
        if (req.body.metadata?.resourceVersion) return fail(badRequest("resourceVersion should not be set on objects to be created"));
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
    const json = JSON.stringify(created);
    const refused = objectTooLarge(spec, name, json) ?? quotaExceeded(spec, ns, name, this.countOf(resource, ns), maxObjectsPerNamespace(this.env));
    if (refused) return fail(refused);
    this.put(tx, spec, ns, created, "create", json);
    return accepted(201, created, spec, candidate);
  }

  private update(spec: KindSpec, ns: string, current: KubeObject, next: KubeObject, tx: Transaction): WriteResult {
    const name = current.metadata.name;
    const candidate = normalize(spec, withName(next, name), ns || undefined);
    const errors = validateObject(spec, candidate);
    if (errors.length > 0) return fail(invalid(spec, name, errors));
    const updated = stampUpdated(spec, current, candidate, this.stamp(tx));
    if (!updated) return accepted(200, current, spec, candidate);
    const json = JSON.stringify(updated);
    const tooLarge = objectTooLarge(spec, name, json);
    if (tooLarge) return fail(tooLarge);
    this.put(tx, spec, ns, updated, "update", json);
    return accepted(200, updated, spec, candidate);
  }

  // ---- persistence ----

  /** A stored object, from the live map (objects are never mutated in place: every change is a new object). */
  private read(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.currentObjects().get(objectKey(resource, namespace, name));
  }

  private stamp(tx: Transaction): Stamp {
    return { revision: tx.revision, now: tx.now, uid: crypto.randomUUID() };
  }

  private put(tx: Transaction, spec: KindSpec, ns: string, obj: KubeObject, op: "create" | "update", json = JSON.stringify(obj)): void {
    const resource = `${spec.group}/${spec.plural}`;
    const name = obj.metadata.name;
    this.sql.exec(
      "INSERT INTO objects (resource, namespace, name, revision, body) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (resource, namespace, name) DO UPDATE SET revision = excluded.revision, body = excluded.body",
      resource,
      ns,
      name,
      tx.revision,
      json,
    );
    tx.changes.push({ resource, namespace: ns, name, op, body: obj, json });
  }

  private removeKey(tx: Transaction, key: string): void {
    const [resource, ns, name] = key.split("|");
    this.sql.exec("DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?", resource, ns, name);
    tx.changes.push({ resource, namespace: ns, name, op: "delete", body: null, json: null });
  }

  private currentObjects(): Map<string, KubeObject> {
    if (!this.objects) {
      this.objects = new Map();
      for (const r of this.sql.exec<{ resource: string; namespace: string; name: string; body: string }>("SELECT resource, namespace, name, body FROM objects"))
        this.objects.set(objectKey(r.resource, r.namespace, r.name), JSON.parse(r.body) as KubeObject);
    }
    return this.objects;
  }

  /** The live map follows a committed transaction, and watchers hear of it. */
  private commitChanges(revision: number, changes: Change[]): void {
    const objects = this.currentObjects();
    const counts = this.counts();
    const events: { resource: string; namespace: string; event: WatchEvent }[] = [];
    for (const c of changes) {
      const key = objectKey(c.resource, c.namespace, c.name);
      const before = objects.get(key);
      const event = watchEvent(c, before, revision);
      if (event) events.push({ resource: c.resource, namespace: c.namespace, event });
      const counted = countKey(c.resource, c.namespace);
      if (c.body && !before) counts.set(counted, (counts.get(counted) ?? 0) + 1);
      if (!c.body && before) counts.set(counted, (counts.get(counted) ?? 1) - 1);
      if (c.body) objects.set(key, c.body);
      else objects.delete(key);
    }
    this.watches.publish(events);
  }

  /** How many objects of `resource` `namespace` holds (the quota's count, kept with the live map). */
  private countOf(resource: string, namespace: string): number {
    return this.counts().get(countKey(resource, namespace)) ?? 0;
  }

  private counts(): Map<string, number> {
    if (!this.objectCounts) {
      this.objectCounts = new Map();
      for (const key of this.currentObjects().keys()) {
        const [resource, namespace] = key.split("|");
        const counted = countKey(resource, namespace);
        this.objectCounts.set(counted, (this.objectCounts.get(counted) ?? 0) + 1);
      }
    }
    return this.objectCounts;
  }

  /**
   * A watch of one resource (in one namespace or all) from `resourceVersion`: replayed from the
   * revision log, then live. No version (or "0"): the current objects as ADDED first, as the
   * Kubernetes API does. A version older than the log keeps: 410 Gone.
   */
  watch(ref: ResourceRef, opts: { resourceVersion?: string; allowBookmarks: boolean; timeoutSeconds?: number; withBefore: boolean }): ReadableStream<Uint8Array> | KubeStatus {
    const resource = `${ref.group}/${ref.plural}`;
    const request = { resource, namespace: ref.namespace, allowBookmarks: opts.allowBookmarks, timeoutMs: (opts.timeoutSeconds ?? Infinity) * 1000, withBefore: opts.withBefore };
    const rv = opts.resourceVersion;
    if (rv === undefined || rv === "" || rv === "0")
      return this.watches.open(request, this.list(ref).items.map((object) => ({ type: "ADDED" as const, object })));
    if (!/^\d{1,15}$/.test(rv)) return badRequest(`resourceVersion: Invalid value: "${rv}": must be a resource version this server returned`);
    const from = Number(rv);
    const oldest = oldestRevision(this.sql);
    if (from < oldest - 1) return status(410, "Expired", `too old resource version: ${from} (${oldest - 1})`);
    return this.watches.open(request, replayChanges(this.sql, resource, ref.namespace, from));
  }

  /**
   * Objects come back with their status as Istio writes it for its config: the analyzer's
   * findings (status.validationMessages) and whether proxies are served this version yet
   * (a `Reconciled` condition).
   */
  private withFindings(stored: KubeObject): KubeObject {
    const obj = withGatewayApiStatus(stored, this.currentObjects().values());
    if (!obj.apiVersion.includes("istio.io/")) return obj;
    if (!this.findingsByObject) {
      this.findingsByObject = new Map();
      for (const f of this.storedFindings()) push(this.findingsByObject, `${f.kind}|${f.namespace}|${f.name}`, f);
    }
    const mine = this.findingsByObject.get(`${obj.kind}|${obj.metadata.namespace ?? ""}|${obj.metadata.name}`);
    const status: Record<string, unknown> = { ...((obj.status as object) ?? {}), conditions: [this.reconciled(obj)] };
    if (mine)
      status.validationMessages = mine.map((f) => ({
        type: { code: f.code },
        level: f.level.toUpperCase(),
        description: f.message,
        documentationUrl: `https://istio.io/latest/docs/reference/config/analysis/${f.code.toLowerCase()}/`,
      }));
    return { ...obj, status };
  }

  /** Istio's `Reconciled` condition: is this version of the object compiled and published? */
  private reconciled(obj: KubeObject): Record<string, unknown> {
    const done = this.served.publishedRevision() >= Number(obj.metadata.resourceVersion);
    const generation = obj.metadata.generation;
    return {
      type: "Reconciled",
      status: done ? "True" : "False",
      reason: done ? "Published" : "CompilePending",
      message: done ? `generation ${generation} is served to proxies` : `generation ${generation} is waiting for the next compile`,
      observedGeneration: generation,
    };
  }

  private scheduleCascade(namespace: string, revision: number): void {
    const due = Date.now() + NAMESPACE_CASCADE_DELAY_MS;
    this.sql.exec("INSERT INTO pending_cascades (namespace, revision, due_at) VALUES (?, ?, ?)", namespace, revision, due);
    void this.wakeAt(due);
  }

  /** Deletes the contents of namespaces deleted at least NAMESPACE_CASCADE_DELAY_MS ago. */
  private runDueCascades(): void {
    const now = Date.now();
    const cascades = this.sql.exec<{ namespace: string; revision: number }>("SELECT namespace, revision FROM pending_cascades WHERE due_at <= ?", now).toArray();
    if (cascades.length > 0) {
      this.transaction((tx) => {
        for (const { namespace, revision } of cascades) {
          // Only what existed when the namespace was deleted: a re-created namespace keeps its new objects.
          for (const [key, obj] of this.currentObjects()) {
            const [, ns] = key.split("|");
            if (ns === namespace && Number(obj.metadata.resourceVersion) <= revision) this.removeKey(tx, key);
          }
        }
        this.sql.exec("DELETE FROM pending_cascades WHERE due_at <= ?", now);
        return { ok: true, code: 200, object: { apiVersion: "v1", kind: "Namespace", metadata: { name: cascades[0].namespace } } };
      }, false);
      this.lastWriteAt = now;
    }
    const next = this.sql.exec<{ due: number | null }>("SELECT MIN(due_at) AS due FROM pending_cascades").one().due;
    if (next !== null) void this.wakeAt(next);
  }

  /** Publishes the compiled state to KV; on failure retries from the alarm, so KV catches up. */
  private async publish(): Promise<void> {
    const started = Date.now();
    try {
      const kv = await this.served.publish();
      if (this.lastReport) {
        this.lastReport.kv = { rows: this.lastReport.kv.rows + kv.rows, bytes: this.lastReport.kv.bytes + kv.bytes };
        this.lastReport.publishMs += Date.now() - started;
      }
      this.totals.kv.rows += kv.rows;
      this.totals.kv.bytes += kv.bytes;
    } catch (e) {
      console.error("publishing to KV failed; retrying from the alarm", e instanceof Error ? e.message : e);
      await this.wakeAt(Date.now() + 1_000);
    }
  }

  override async alarm(): Promise<void> {
    // The alarm that woke us is spent; what runs below may set the next one.
    this.alarmAt = null;
    this.runDueCascades();
    // Writes still arriving: wait for them to settle (up to the maximum delay).
    const due = this.compileDueAt();
    if (due !== undefined && due > Date.now()) await this.wakeAt(due);
    else await this.flush();
    await this.endpoints.sweep();
    const garbageDue = await this.served.collectGarbage();
    if (garbageDue !== null) await this.wakeAt(garbageDue);
  }
}


/** MESH_KV_GRACE_SECONDS, never below what a reader holding an old pointer needs. */
function graceMs(env: Env): number | undefined {
  if (env.MESH_KV_GRACE_SECONDS === undefined) return undefined;
  const pointerTtl = Number(env.MESH_POINTER_TTL_SECONDS ?? 5);
  return Math.max(Number(env.MESH_KV_GRACE_SECONDS), pointerTtl + 60) * 1000;
}

/** The event a committed change makes; a delete carries the object as it last was. */
function watchEvent(c: Change, before: KubeObject | undefined, revision: number): WatchEvent | undefined {
  if (c.body) return c.op === "create" || !before ? { type: "ADDED", object: c.body } : { type: "MODIFIED", object: c.body, before };
  if (!before) return undefined;
  return { type: "DELETED", object: { ...before, metadata: { ...before.metadata, resourceVersion: String(revision) } } };
}

/** The key of the quota's count of `resource` objects in `namespace`. */
function countKey(resource: string, namespace: string): string {
  return `${resource}|${namespace}`;
}

/** The events of the logged changes to `resource` after revision `from`. */
function replayChanges(sql: SqlStorage, resource: string, namespace: string, from: number): WatchEvent[] {
  const rows = sql
    .exec<{ revision: number; resource: string; namespace: string; name: string; op: Change["op"]; body: string | null }>(
      `SELECT revision, resource, namespace, name, op, body FROM changes WHERE resource = ? AND revision > ? ${namespace ? "AND namespace = ?" : ""} ORDER BY revision, namespace, name`,
      ...(namespace ? [resource, from, namespace] : [resource, from]),
    )
    .toArray();
  const events: WatchEvent[] = [];
  for (const r of rows) {
    const change: Change = { resource: r.resource, namespace: r.namespace, name: r.name, op: r.op, body: r.body ? (JSON.parse(r.body) as KubeObject) : null, json: r.body };
    const before = change.op === "create"
      ? undefined
      : sql
          .exec<{ body: string }>(
            "SELECT body FROM changes WHERE resource = ? AND namespace = ? AND name = ? AND revision < ? AND body IS NOT NULL ORDER BY revision DESC LIMIT 1",
            r.resource,
            r.namespace,
            r.name,
            r.revision,
          )
          .toArray()
          .map((b) => JSON.parse(b.body) as KubeObject)[0];
    const event = watchEvent(change, before, r.revision);
    if (event) events.push(event);
  }
  return events;
}

function kindForResource(resource: string): KindSpec {
  const [group, plural] = resource.split("/");
  return kindFor(group, plural);
}

/** History views show a sensitive kind's keys, never its values (the object itself is read with its own API). */
function redacted(obj: KubeObject): KubeObject {
  const spec = KINDS.find((k) => k.kind === obj.kind && apiVersionOf(k) === obj.apiVersion);
  if (!spec?.sensitive || !obj.data || typeof obj.data !== "object") return obj;
  return { ...obj, data: Object.fromEntries(Object.keys(obj.data).map((key) => [key, "<redacted>"])) };
}

/** A write that passed validation, with the warnings istiod would give for it (kubectl prints them). */
function accepted(code: 200 | 201, object: KubeObject, spec: KindSpec, candidate: KubeObject): WriteResult {
  const warnings = istioWarnings(spec, candidate);
  return { ok: true, code, object, ...(warnings.length ? { warnings } : {}) };
}

function fail(s: KubeStatus): WriteResult {
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
