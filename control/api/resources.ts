// CRUD on every kind at the standard Kubernetes paths. This layer decodes and checks the request,
// then hands one plain-data request to the ConfigStore, which owns every decision about state.
import type { Context } from "hono";
import type { Env } from "../env.ts";
import { apiVersionOf } from "../mesh/kinds/index.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import type { Finding } from "../mesh/analyze/index.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import type { RevisionSummary } from "../store/history.ts";
import type { ProxyStatus } from "../proxy/sync-status.ts";
import type { ConfigPageStart, ListPage, ListPageRequest } from "../store/pages.ts";
import type { ObjectChange } from "../store/revision-diff.ts";
import type { AdmittedPod, ListResult, PodRecord, ResourceRef, WriteRequest, WriteResult } from "../store/requests.ts";
import { asObject, parseBody, patchTypeOf } from "./body.ts";
import type { ResourcePath } from "./paths.ts";
import { fieldsOf, matches, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { derivedObjects, derives } from "./derived.ts";
import { badRequest, notFound, qualifiedResource, status, type KubeStatus } from "./status.ts";
import { toTable, wantsTable } from "./table.ts";
import { warningHeader } from "./warning.ts";
import { shapeWatch } from "./watch.ts";
import { listOptions, pagedList } from "./pagination.ts";
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from "./protobuf/decode.ts";

type Ctx = Context<{ Bindings: Env }>;

const isProtobuf = (contentType: string | undefined) => (contentType ?? "").split(";")[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;

/** The store's RPC surface, typed plainly (RPC's inferred types lose index signatures). */
export interface StoreClient {
  get(ref: ResourceRef, name: string): Promise<KubeObject | null>;
  list(ref: ResourceRef): Promise<ListResult>;
  write(req: WriteRequest): Promise<WriteResult>;
  findings(namespace?: string): Promise<Finding[]>;
  revisions(limit: number, before?: number): Promise<{ items: RevisionSummary[]; compiledRevision: number; publishedRevision: number }>;
  servedStats(): Promise<object>;
  listPage(ref: ResourceRef, req: ListPageRequest): Promise<ListPage | KubeStatus>;
  configAtRevision(revision: number, start?: ConfigPageStart): Promise<{ revision: number; items: KubeObject[]; next?: ConfigPageStart } | KubeStatus>;
  revisionDiff(from: number, to: number, start?: ConfigPageStart): Promise<{ changes: ObjectChange[]; next?: ConfigPageStart } | KubeStatus>;
  rollback(to: number): Promise<{ revision: number } | KubeStatus>;
  watch(ref: ResourceRef, opts: { resourceVersion?: string; allowBookmarks: boolean; timeoutSeconds?: number; withBefore: boolean }): Promise<ReadableStream<Uint8Array> | KubeStatus>;
  gatewayApiProxies(gatewayClass: string, namespace?: string, compileFirst?: boolean): Promise<{ gateway: KubeObject; proxy: WorkloadSnapshot }[]>;
  podRecords(namespace?: string): Promise<{ items: PodRecord[]; version: number }>;
  recordAdmittedPod(namespace: string, nameOrPrefix: string, pod: AdmittedPod): Promise<void>;
  proxyStatus(namespace?: string): Promise<{ publishedRevision: number; items: ProxyStatus[] }>;
}

/** One ConfigStore per mesh: every write in the mesh is serialised through it. */
export function configStore(env: Env): StoreClient {
  return env.CONFIG_STORE.get(env.CONFIG_STORE.idFromName("mesh")) as unknown as StoreClient;
}

function fail(c: Ctx, s: KubeStatus): Response {
  return c.json(s, s.code as 400);
}

/** Objects are stored in one version and returned in the version the client asked for. */
function inVersion(obj: KubeObject, spec: KindSpec, version: string): KubeObject {
  return { ...obj, apiVersion: apiVersionOf(spec, version) };
}

function refOf(path: ResourcePath): ResourceRef {
  return { group: path.spec.group, plural: path.spec.plural, namespace: path.namespace ?? "" };
}

/** dryRun values (the query's, or DeleteOptions'): present and all "All" → true; any other value is a 400. */
function dryRunOf(values: unknown[]): boolean | KubeStatus {
  for (const v of values) if (v !== "All") return badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  return values.length > 0;
}

function isDryRun(c: Ctx): boolean | KubeStatus {
  return dryRunOf(c.req.queries("dryRun") ?? []);
}

function answer(c: Ctx, path: ResourcePath, result: WriteResult): Response {
  if (!result.ok) return fail(c, result.status);
  for (const w of result.warnings ?? []) c.header("warning", warningHeader(w), { append: true });
  return c.json(inVersion(result.object, path.spec, path.version), result.code);
}

export async function handleResource(c: Ctx, path: ResourcePath): Promise<Response> {
  const method = c.req.method;
  if (method === "GET") return path.name ? getOne(c, path) : list(c, path);
  if (path.spec.readOnly) {
    const verb = { POST: "created", PUT: "replaced", PATCH: "patched", DELETE: "deleted" }[method] ?? "written";
    const details = { group: path.spec.group, kind: path.spec.plural, ...(path.name ? { name: path.name } : {}) };
    return fail(c, status(405, "MethodNotAllowed", `${qualifiedResource(path.spec)} cannot be ${verb} through the API: ${path.spec.readOnly}`, details));
  }
  if (path.spec.namespaced && path.namespace === undefined && method !== "GET")
    return fail(c, badRequest(`${path.spec.plural} is namespaced: use /namespaces/<namespace>/${path.spec.plural}`));
  const dryRun = isDryRun(c);
  if (typeof dryRun !== "boolean") return fail(c, dryRun);
  if (method === "POST" && !path.name) return write(c, path, dryRun, "create");
  if (method === "PUT" && path.name) return write(c, path, dryRun, "replace");
  if (method === "PATCH" && path.name) return patch(c, path, dryRun);
  if (method === "DELETE" && path.name) return remove(c, path, dryRun);
  return fail(c, status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${method} ${c.req.path})`));
}

async function getOne(c: Ctx, path: ResourcePath): Promise<Response> {
  const stored = path.spec.readOnly ? null : await configStore(c.env).get(refOf(path), path.name!);
  const obj = stored ?? (derives(path.spec) ? (await derivedObjects(c, path.spec, path.namespace, path.name)).find((o) => o.metadata.name === path.name) : undefined);
  if (!obj) return fail(c, notFound(path.spec, path.name!));
  const found = inVersion(obj, path.spec, path.version);
  // `kubectl get <kind> <name>` asks for a Table too, to print the kind's columns.
  if (wantsTable(c.req.header("accept"))) return c.json(toTable(path.spec, [found], Number(found.metadata.resourceVersion ?? 0), new Date()));
  return c.json(found);
}

async function list(c: Ctx, path: ResourcePath): Promise<Response> {
  let labelSelector;
  let fieldSelector;
  const fieldKeys = path.spec.fieldSelectors ?? [];
  try {
    labelSelector = parseLabelSelector(c.req.query("labelSelector") ?? "");
    fieldSelector = parseFieldSelector(c.req.query("fieldSelector") ?? "", fieldKeys);
  } catch (e) {
    return fail(c, badRequest(e instanceof Error ? e.message : String(e)));
  }
  const watch = c.req.query("watch");
  if (watch === "true" || watch === "1") {
    const timeout = c.req.query("timeoutSeconds");
    if (timeout !== undefined && !/^\d{1,9}$/.test(timeout)) return fail(c, badRequest("timeoutSeconds: a whole number of seconds"));
    const selects = !!c.req.query("labelSelector") || !!c.req.query("fieldSelector");
    const table = wantsTable(c.req.header("accept"));
    const events = await configStore(c.env).watch(refOf(path), {
      resourceVersion: c.req.query("resourceVersion"),
      allowBookmarks: c.req.query("allowWatchBookmarks") === "true",
      timeoutSeconds: timeout === undefined ? undefined : Number(timeout),
      withBefore: selects,
    });
    if (!(events instanceof ReadableStream)) return fail(c, events);
    // Most watches (informers, controllers) take the stored form as it is: the store's stream, untouched.
    const body =
      selects || table || path.version !== path.spec.storageVersion
        ? shapeWatch(events, { spec: path.spec, labelSelector, fieldSelector, inVersion: (o) => inVersion(o, path.spec, path.version), table })
        : events;
    // identity: a compressing proxy (Cloudflare's edge, wrangler dev) would hold events back to fill its blocks.
    return new Response(body, { headers: { "content-type": "application/json", "cache-control": "no-cache", "content-encoding": "identity" } });
  }
  const options = listOptions({ limit: c.req.query("limit"), continue: c.req.query("continue"), resourceVersion: c.req.query("resourceVersion") });
  if ("kind" in options) return fail(c, options);
  const keep = (o: KubeObject) => matches(labelSelector, o.metadata.labels) && matches(fieldSelector, fieldsOf(o, fieldKeys));
  const derived = derives(path.spec) ? await derivedObjects(c, path.spec, path.namespace) : [];
  // Kinds only derived (pods) have no stored objects: their pages are the derived ones alone.
  const page = await pagedList(configStore(c.env), refOf(path), options, keep, derived);
  if ("kind" in page) return fail(c, page);
  const selected = page.items.map((o) => inVersion(o, path.spec, path.version));
  const metadata = { resourceVersion: String(page.revision), ...(page.continue ? { continue: page.continue } : {}) };
  if (wantsTable(c.req.header("accept"))) return c.json({ ...toTable(path.spec, selected, page.revision, new Date()), metadata });
  return c.json({ kind: `${path.spec.kind}List`, apiVersion: apiVersionOf(path.spec, path.version), metadata, items: selected });
}

/** The kind in the body must be the kind of the URL, in one of its served versions. */
function checkKind(spec: KindSpec, obj: { apiVersion: string; kind: string }): KubeStatus | undefined {
  const group = obj.apiVersion.includes("/") ? obj.apiVersion.split("/")[0] : "";
  const version = obj.apiVersion.split("/").pop()!;
  if (obj.kind !== spec.kind || group !== spec.group || !spec.versions.includes(version))
    return badRequest(
      `the object (${obj.apiVersion}, Kind=${obj.kind}) does not match the resource of the URL (${apiVersionOf(spec)}, Kind=${spec.kind})`,
    );
  return undefined;
}

async function write(c: Ctx, path: ResourcePath, dryRun: boolean, op: "create" | "replace"): Promise<Response> {
  const contentType = c.req.header("content-type");
  // kubectl sends the core kinds it creates itself (create namespace, configmap, ...) as protobuf.
  const parsed = isProtobuf(contentType) ? decodeProtobufObject(new Uint8Array(await c.req.arrayBuffer())) : parseBody(await c.req.text(), contentType);
  if (!parsed.ok) return fail(c, parsed.status);
  const obj = asObject(parsed.value);
  if (!obj.ok) return fail(c, obj.status);
  const wrongKind = checkKind(path.spec, obj.value);
  if (wrongKind) return fail(c, wrongKind);
  const body = obj.value as unknown as KubeObject;
  const req: WriteRequest =
    op === "create" ? { ...refOf(path), dryRun, op, body } : { ...refOf(path), dryRun, op, name: path.name!, body };
  return answer(c, path, await configStore(c.env).write(req));
}

async function patch(c: Ctx, path: ResourcePath, dryRun: boolean): Promise<Response> {
  const type = patchTypeOf(c.req.header("content-type"));
  if (!type.ok) return fail(c, type.status);
  // Server-side apply bodies are YAML (kubectl sends JSON, which is YAML too); the others are JSON.
  const parsed = parseBody(await c.req.text(), type.value === "apply" ? "application/yaml" : "application/json");
  if (!parsed.ok) return fail(c, parsed.status);
  if (type.value === "apply") {
    const obj = asObject(parsed.value);
    if (!obj.ok) return fail(c, obj.status);
    const wrongKind = checkKind(path.spec, obj.value);
    if (wrongKind) return fail(c, wrongKind);
    if (c.req.query("fieldManager") === undefined) return fail(c, badRequest("PATCH with application/apply-patch+yaml requires a fieldManager"));
  }
  const req: WriteRequest = { ...refOf(path), dryRun, op: "patch", name: path.name!, patchType: type.value, patch: parsed.value };
  return answer(c, path, await configStore(c.env).write(req));
}

async function remove(c: Ctx, path: ResourcePath, dryRun: boolean): Promise<Response> {
  const text = await c.req.text();
  let preconditions: { resourceVersion?: string; uid?: string } | undefined;
  let optionsDryRun = false;
  if (text.trim() !== "") {
    const parsed = parseBody(text, c.req.header("content-type") ?? "application/json");
    if (!parsed.ok) return fail(c, parsed.status);
    const options = parsed.value as { preconditions?: { resourceVersion?: string; uid?: string }; dryRun?: unknown } | null;
    if (options === null || typeof options !== "object" || Array.isArray(options)) return fail(c, badRequest("DeleteOptions must be a JSON object"));
    preconditions = options.preconditions;
    if (options.dryRun != null && !Array.isArray(options.dryRun)) return fail(c, badRequest('DeleteOptions.dryRun: a list of strings is required, e.g. ["All"]'));
    const dry = dryRunOf(options.dryRun ?? []);
    if (typeof dry !== "boolean") return fail(c, dry);
    optionsDryRun = dry;
  }
  const req: WriteRequest = { ...refOf(path), dryRun: dryRun || optionsDryRun, op: "delete", name: path.name!, preconditions };
  return answer(c, path, await configStore(c.env).write(req));
}
