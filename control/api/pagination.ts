// `limit` and `continue` on lists, as the Kubernetes API serves them (`kubectl get --chunk-size`,
// informers' paginated relists). A list is read from the store in bounded pages (store/pages.ts);
// a continue token names the revision the first page was read at and the last object returned,
// so every later page shows that same snapshot, and a token whose revision the log no longer
// holds gets 410 Expired.
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { ConfigPageStart, PageStart } from "../store/pages.ts";
import type { ResourceRef } from "../store/requests.ts";
import type { StoreClient } from "./resources.ts";
import { badRequest, type KubeStatus } from "./status.ts";

/** Objects asked of the store per page when the client set no (or a larger) limit; PAGE_BYTES bounds it too. */
const STORE_PAGE_ITEMS = 500;
const TOKEN_VERSION = "meta.k8s.io/v1";

export interface ListOptions {
  /** At most this many objects (none: all). */
  limit?: number;
  /** Where a continued list resumes. */
  from?: { revision: number; after: PageStart };
}

/** Kubernetes' token is base64 of JSON `{"v", "rv", "start"}`; this one is the same idea, just as opaque. */
function encodeContinue(revision: number, after: PageStart): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv: revision, start: [after.namespace, after.name] })).toString("base64url");
}

function decodeContinue(token: string): ListOptions["from"] | string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return "not a token this server returned";
  }
  const t = decoded as { v?: unknown; rv?: unknown; start?: unknown };
  if (t === null || typeof t !== "object" || t.v !== TOKEN_VERSION) return `incorrect encoded start resourceVersion (version ${TOKEN_VERSION})`;
  if (typeof t.rv !== "number" || !Number.isSafeInteger(t.rv) || t.rv < 1) return "incorrect encoded start resourceVersion";
  if (!Array.isArray(t.start) || t.start.length !== 2 || !t.start.every((s) => typeof s === "string" && s.length <= 512)) return "incorrect encoded start key";
  return { revision: t.rv, after: { namespace: t.start[0], name: t.start[1] } };
}

/** `limit` and `continue` from a list's query, or a 400 naming what is wrong. */
export function listOptions(query: { limit?: string; continue?: string; resourceVersion?: string }): ListOptions | KubeStatus {
  const options: ListOptions = {};
  if (query.limit !== undefined && query.limit !== "") {
    if (!/^-?\d{1,18}$/.test(query.limit)) return badRequest(`limit: Invalid value: "${query.limit.slice(0, 64)}": must be an integer`);
    // The API server treats a limit of 0 or less as no limit.
    if (Number(query.limit) > 0) options.limit = Number(query.limit);
  }
  if (query.continue !== undefined && query.continue !== "") {
    if (query.resourceVersion !== undefined && query.resourceVersion !== "") return badRequest("specifying resource version is not allowed when using continue");
    const from = decodeContinue(query.continue);
    if (typeof from === "string") return badRequest(`continue key is not valid: ${from}`);
    options.from = from;
  }
  return options;
}

const keyOf = (o: KubeObject): PageStart => ({ namespace: o.metadata.namespace ?? "", name: o.metadata.name });
const isAfter = (o: KubeObject, start: PageStart | undefined) => {
  if (!start) return true;
  const k = keyOf(o);
  return k.namespace > start.namespace || (k.namespace === start.namespace && k.name > start.name);
};
const byKey = (a: KubeObject, b: KubeObject) => (isAfter(a, keyOf(b)) ? 1 : isAfter(b, keyOf(a)) ? -1 : 0);

export interface ListResultPage {
  items: KubeObject[];
  revision: number;
  continue?: string;
}

/**
 * One list response: stored objects a page at a time, with the `derived` ones merged in key order
 * (a stored object wins over a derived one of the same name), those `keep` accepts, up to the limit.
 * The continue token points after the last object returned.
 */
export async function pagedList(
  store: StoreClient,
  ref: ResourceRef,
  options: ListOptions,
  keep: (o: KubeObject) => boolean,
  derived: KubeObject[],
): Promise<ListResultPage | KubeStatus> {
  const items: KubeObject[] = [];
  let revision = options.from?.revision;
  let start = options.from?.after;
  for (;;) {
    const wanted = options.limit === undefined ? STORE_PAGE_ITEMS : Math.min(Math.max(options.limit - items.length, 1), STORE_PAGE_ITEMS);
    const page = await store.listPage(ref, { revision, start, limit: wanted });
    if ("kind" in page) return page;
    revision = page.revision;
    const stored = new Set(page.items.map((o) => JSON.stringify(keyOf(o))));
    const extra = derived.filter((d) => isAfter(d, start) && (!page.next || !isAfter(d, page.next)) && !stored.has(JSON.stringify(keyOf(d))));
    const merged = extra.length > 0 ? [...page.items, ...extra].sort(byKey) : page.items;
    for (let i = 0; i < merged.length; i++) {
      if (!keep(merged[i])) continue;
      items.push(merged[i]);
      if (items.length === options.limit) {
        const more = i < merged.length - 1 || page.next !== undefined;
        return { items, revision, ...(more ? { continue: encodeContinue(revision, keyOf(merged[i])) } : {}) };
      }
    }
    if (!page.next) return { items, revision };
    start = page.next;
  }
}

/**
 * Every page of a paged store read, one RPC each (each bounded by PAGE_BYTES), for the views
 * that answer in one document (a revision's config, a diff).
 */
export async function everyPage<P extends { next?: ConfigPageStart }>(read: (start?: ConfigPageStart) => Promise<P | KubeStatus>): Promise<P[] | KubeStatus> {
  const pages: P[] = [];
  let start: ConfigPageStart | undefined;
  do {
    const page = await read(start);
    if ((page as KubeStatus).kind === "Status") return page as KubeStatus;
    pages.push(page as P);
    start = (page as P).next;
  } while (start);
  return pages;
}
