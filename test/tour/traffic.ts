// Traffic for the walkthrough: requests through the ingress, the way a browser (or curl) sends
// them, and what the returned pages show.
import { Agent, request } from "node:http";
import { readProductPage } from "../bookinfo/page.ts";

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

export function httpGet(address: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; fresh?: boolean } = {}): Promise<HttpResult> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
    const req = request({ host, port, path, method: opts.method ?? "GET", headers, agent: opts.fresh ? false : agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: Date.now() - started });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`GET ${path} timed out`)), opts.timeoutMs ?? 30_000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}

export interface Observation {
  total: number;
  /** Pages per reviews version (`v1`…), `error` for pages whose reviews box shows an error. */
  byVersion: Record<string, number>;
  statuses: Record<number, number>;
  /** Pages whose stars do not match the version (v1 none, v2 black, v3 red). */
  starMismatches: number;
  /** Pages with details missing. */
  detailsMissing: number;
  reviewsErrors: Record<string, number>;
  ratingsErrors: number;
  failures: string[];
  maxMs: number;
  minMs: number;
}

const EXPECTED_STARS: Record<string, string> = { v1: "none", v2: "black", v3: "red" };

/** `n` GETs of /productpage through the ingress, `concurrency` at a time. */
export async function observe(ingress: string, n: number, opts: { cookie?: string; concurrency?: number; timeoutMs?: number } = {}): Promise<Observation> {
  const o: Observation = { total: n, byVersion: {}, statuses: {}, starMismatches: 0, detailsMissing: 0, reviewsErrors: {}, ratingsErrors: 0, failures: [], maxMs: 0, minMs: Infinity };
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const r = await httpGet(ingress, "/productpage", { headers: opts.cookie ? { cookie: opts.cookie } : {}, timeoutMs: opts.timeoutMs });
        o.statuses[r.status] = (o.statuses[r.status] ?? 0) + 1;
        o.maxMs = Math.max(o.maxMs, r.ms);
        o.minMs = Math.min(o.minMs, r.ms);
        if (r.status !== 200) {
          if (o.failures.length < 3) o.failures.push(`HTTP ${r.status}: ${r.body.slice(0, 120)}`);
          continue;
        }
        const page = readProductPage(r.body);
        const v = page.reviewsVersion ?? "error";
        o.byVersion[v] = (o.byVersion[v] ?? 0) + 1;
        if (page.reviewsError !== undefined) o.reviewsErrors[page.reviewsError] = (o.reviewsErrors[page.reviewsError] ?? 0) + 1;
        if (page.ratingsError) o.ratingsErrors++;
        else if (page.reviewsVersion && EXPECTED_STARS[page.reviewsVersion] !== page.stars) o.starMismatches++;
        if (!page.detailsShown) o.detailsMissing++;
      } catch (err) {
        o.statuses[0] = (o.statuses[0] ?? 0) + 1;
        if (o.failures.length < 3) o.failures.push(String(err instanceof Error ? err.message : err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, opts.concurrency ?? 4) }, worker));
  return o;
}

export const pct = (k: number, n: number) => (n === 0 ? 0 : (100 * k) / n);

export function describeObservation(o: Observation): string {
  const versions = Object.keys(o.byVersion)
    .sort()
    .map((v) => `${v} ${o.byVersion[v]} (${pct(o.byVersion[v], o.total).toFixed(1)} %)`)
    .join(", ");
  const statuses = Object.entries(o.statuses)
    .map(([s, k]) => `${s === "0" ? "no response" : s}×${k}`)
    .join(" ");
  return `${o.total} × GET /productpage via the ingress: ${versions || "no pages"}; HTTP ${statuses}`;
}

/** Logs in through the ingress as the original's form does; returns the session cookie. */
export async function login(ingress: string, user: string): Promise<string> {
  const r = await httpGet(ingress, "/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", referer: "/productpage" },
    body: new URLSearchParams({ username: user, passwd: "password" }).toString(),
  });
  const set = r.headers["set-cookie"];
  const cookie = (Array.isArray(set) ? set : set ? [set] : []).map((c) => c.split(";")[0]).find((c) => c.startsWith("session="));
  if (r.status !== 302 || !cookie) throw new Error(`login as ${user}: HTTP ${r.status}, no session cookie`);
  return cookie;
}
