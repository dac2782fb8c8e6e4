// The injection webhook's throughput, in process: Bookinfo reviews through the admission app's
// POST /inject (parse, decide, inject, diff, prove the patch, base64) against a bare Hono route that
// answers a fixed JSON to the same request (the yardstick), and against a minimal webhook
// that reads and parses the review and allows it unpatched (the floor any webhook pays). Rounds
// alternate between the three so drift and GC hit all of them.
import { Hono } from "hono";
import { createAdmissionApp } from "../../admission/index.ts";
import { podFromDeployment, podReview, sampleObjects } from "../admission/support.ts";
import type { BenchEntry } from "./harness.ts";

const ROUNDS = 7;
const PER_ROUND = 1500;

type App = { request: (url: string, init: RequestInit) => Response | Promise<Response> };

async function round(app: App, path: string, bodies: string[], latencies?: number[]): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    const t0 = performance.now();
    const res = await app.request(`https://mesh.example.com${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bodies[i % bodies.length],
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.text();
    latencies?.push(performance.now() - t0);
  }
  return (PER_ROUND * 1000) / (performance.now() - start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function bench(): Promise<BenchEntry[]> {
  const bodies = sampleObjects("bookinfo/platform/kube/bookinfo.yaml")
    .filter((o) => o.kind === "Deployment")
    .map((d) => JSON.stringify(podReview(podFromDeployment(d))));
  const admission = createAdmissionApp();
  const bare = new Hono();
  const fixed = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "fixed", allowed: true } };
  bare.post("/inject", (c) => c.json(fixed));
  const minimal = new Hono();
  minimal.post("/inject", async (c) => {
    const review = JSON.parse(await c.req.text()) as { request: { uid: string } };
    return c.json({ ...fixed, response: { uid: review.request.uid, allowed: true } });
  });

  for (const app of [admission, bare, minimal]) await round(app, "/inject", bodies);
  const latencies: number[] = [];
  const ours: number[] = [];
  const baseline: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(await round(admission, "/inject", bodies, latencies));
    baseline.push(await round(bare, "/inject", bodies));
    floor.push(await round(minimal, "/inject", bodies));
  }
  const perSec = median(ours);
  const barePerSec = median(baseline);
  const minimalPerSec = median(floor);
  const ratio = perSec / barePerSec;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)];
  return [
    {
      name: "admission.reviews_per_second_vs_bare_hono",
      value: ratio,
      unit: "x",
      target: ">= 0.5x bare Hono route",
      ok: ratio >= 0.5,
      detail: `${perSec.toFixed(0)} reviews/s vs ${barePerSec.toFixed(0)} req/s bare, median of ${ROUNDS} rounds of ${PER_ROUND}`,
    },
    {
      name: "admission.reviews_per_second_vs_minimal_webhook",
      value: perSec / minimalPerSec,
      unit: "x",
      target: ">= 0.25x a webhook that only parses and allows",
      ok: perSec / minimalPerSec >= 0.25,
      detail: `${perSec.toFixed(0)} reviews/s vs ${minimalPerSec.toFixed(0)} req/s parse-and-allow`,
    },
    {
      name: "admission.p99_latency",
      value: p99,
      unit: "ms",
      target: "<= 100 ms (the API server allows 10 s)",
      ok: p99 <= 100,
      detail: `p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(3)} ms over ${latencies.length} reviews`,
    },
  ];
}
