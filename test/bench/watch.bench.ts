// Watches while writes continue, through the real Worker under `wrangler dev`: VirtualService
// writes (merge patches, as kubectl sends them) timed with no watcher open, then with 100 watch
// streams open on the same collection. Every watcher must see every write, no request may fail,
// and the write latency with watchers is reported beside the latency without.
import { Agent, request } from "node:https";
import { startTestWorker, type TestWorker } from "../support/worker.ts";
import type { BenchEntry } from "./harness.ts";

const WATCHERS = 100;
const WRITES = 100;
const VS = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function writes(w: TestWorker, count: number, from: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await w.request(`${VS}/watched`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ metadata: { labels: { n: `w${from + i}` } } }) });
    if (r.status !== 200) throw new Error(`write: ${r.status} ${r.body}`);
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** Opens a watch from `resourceVersion`; resolves with the MODIFIED events' label values once it has `expect` of them. */
function watcher(w: TestWorker, agent: Agent, resourceVersion: string, expect: number): { done: Promise<string[]>; close: () => void } {
  let close = () => {};
  const done = new Promise<string[]>((resolve, reject) => {
    const req = request(`${w.url}${VS}?watch=1&resourceVersion=${resourceVersion}`, { agent, ca: w.ca, headers: { authorization: `Bearer ${w.token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch: ${res.statusCode}`));
      const seen: string[] = [];
      let pending = "";
      res.on("data", (chunk) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          const event = JSON.parse(line);
          if (event.type === "MODIFIED") seen.push(event.object.metadata.labels.n);
          if (seen.length === expect) resolve(seen);
        }
      });
      res.on("end", () => resolve(seen));
    });
    req.on("error", reject);
    close = () => req.destroy();
    req.end();
  });
  return { done, close: () => close() };
}

export async function bench(): Promise<BenchEntry[]> {
  const w = await startTestWorker();
  const agent = new Agent({ keepAlive: true, maxSockets: WATCHERS + 10 });
  try {
    const created = await w.request(VS, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "watched" }, spec: { hosts: ["watched"], http: [{ route: [{ destination: { host: "watched" } }] }] } }),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status}`);
    await writes(w, 10, -10); // warm-up
    const alone = await writes(w, WRITES, 0);
    const rv = (await w.request(VS)).json().metadata.resourceVersion as string;
    const watchers = Array.from({ length: WATCHERS }, () => watcher(w, agent, rv, WRITES));
    await new Promise((r) => setTimeout(r, 1000));
    const watched = await writes(w, WRITES, WRITES);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000));
    const results = await Promise.race([Promise.all(watchers.map((x) => x.done)), timeout]);
    for (const x of watchers) x.close();
    const expected = Array.from({ length: WRITES }, (_, i) => `w${WRITES + i}`);
    const complete = results !== "timeout" && results.every((seen) => seen.length === WRITES && seen.every((v, i) => v === expected[i]));
    const p50 = (xs: number[]) => quantile(xs, 0.5);
    const ratio = p50(watched) / p50(alone);
    return [
      {
        name: "watch.write_p50_with_100_watchers_vs_none",
        value: ratio,
        unit: "x",
        target: "reported; every watcher sees every write, in order",
        ok: complete,
        detail: `p50 ${p50(watched).toFixed(1)} ms vs ${p50(alone).toFixed(1)} ms, p99 ${quantile(watched, 0.99).toFixed(1)} vs ${quantile(alone, 0.99).toFixed(1)} ms; ${WATCHERS} watchers × ${WRITES} writes: ${complete ? "all events, in order" : "EVENTS MISSING"}`,
      },
    ];
  } finally {
    agent.destroy();
    await w.stop();
  }
}
