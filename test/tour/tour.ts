// The Bookinfo walkthrough (Istio's traffic-management and security tasks), run against the
// mesh on this machine: each step changes the config the way a user would (kubectl, or the HTTP
// API), waits until every proxy reports the revision that change produced (no sleeping), then
// sends real traffic through the ingress and checks what comes back. `npm run demo -- --tour`
// prints the observations; test/tour/tour.test.ts asserts every step.
import { httpsRequest } from "../../local/https-request.ts";
import type { Applier } from "../../local/demo-apply.ts";
import type { DemoControlPlane } from "../../local/demo-control-plane.ts";
import { bookinfoSample, type DemoMesh } from "../../local/demo-mesh.ts";
import { describeObservation, httpGet, login, type Observation, observe, pct } from "./traffic.ts";

export interface TourContext {
  cp: DemoControlPlane;
  applier: Applier;
  mesh: DemoMesh;
  /** Requests per distribution step (default 400). */
  requests?: number;
  log?: (line: string) => void;
}

export interface StepResult {
  title: string;
  ok: boolean;
  /** What was observed, one line each (printed by the demo). */
  observed: string[];
  /** What was off (empty when ok). */
  problems: string[];
  ms: number;
}

export interface TourStep {
  title: string;
  run(ctx: TourContext): Promise<StepResult>;
}

/** 50/50 and round robin: each share within ±7 points of the expected one. */
export const TOLERANCE_POINTS = 7;

const PEER_AUTH_STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: default
spec:
  mtls:
    mode: STRICT
`;

const DENY_PRODUCTS_API = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-products-api
  namespace: default
spec:
  selector:
    matchLabels:
      app: productpage
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
        paths: ["/api/v1/products*"]
`;

/** The README's mistake: a weight put inside the destination. */
const INVALID_REVIEWS_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
        weight: 100
`;

// ------------------------------------------------------------------------------------- helpers

class Step {
  readonly observed: string[] = [];
  readonly problems: string[] = [];
  constructor(readonly ctx: TourContext) {}

  see(line: string): void {
    this.observed.push(line);
    this.ctx.log?.(`    ${line}`);
  }

  expect(cond: boolean, problem: string): void {
    if (!cond) this.problems.push(problem);
  }

  /** Requests for a split that must hold within the tolerance. */
  get n(): number {
    return this.ctx.requests ?? 400;
  }

  /** Requests for an all-or-nothing route (any stray one fails the step). */
  get nExact(): number {
    return Math.max(50, Math.round(this.n / 2));
  }

  async apply(source: string, label = source.includes("\n") ? "inline manifest" : source.split("/").slice(-2).join("/")): Promise<void> {
    const r = await this.ctx.applier.apply(source.includes("\n") ? source : bookinfoSample(source));
    if (!r.ok) throw new Error(`applying ${label} failed:\n${r.output}`);
    this.see(`${this.ctx.applier.via === "kubectl" ? "kubectl apply -f" : "applied through the HTTP API:"} ${label}`);
    await this.waitForRevision();
  }

  async waitForRevision(): Promise<number> {
    const w = await waitForRevision(this.ctx);
    this.see(`revision ${w.revision}: all ${w.proxies} proxies report it after ${(w.ms / 1000).toFixed(1)} s`);
    return w.revision;
  }

  async observe(opts: { n?: number; cookie?: string; as?: string } = {}): Promise<Observation> {
    const o = await observe(this.ctx.mesh.ingressAddress, opts.n ?? this.n, { cookie: opts.cookie });
    this.see(`${opts.as ? `${opts.as}: ` : ""}${describeObservation(o)}`);
    this.expect(o.failures.length === 0, `failed requests: ${o.failures.join("; ")}`);
    return o;
  }

  /** Every page 200 with details, stars matching the version, and exactly `shares` (fractions). */
  distribution(o: Observation, shares: Record<string, number>, exact: boolean): void {
    this.expect((o.statuses[200] ?? 0) === o.total, `not every request was a 200: ${JSON.stringify(o.statuses)}`);
    this.expect(o.starMismatches === 0, `${o.starMismatches} pages show stars that do not match their reviews version`);
    this.expect(o.detailsMissing === 0, `${o.detailsMissing} pages lack the book details`);
    for (const v of new Set([...Object.keys(shares), ...Object.keys(o.byVersion)])) {
      const want = (shares[v] ?? 0) * 100;
      const got = pct(o.byVersion[v] ?? 0, o.total);
      if (exact || want === 0 || want === 100) this.expect(Math.abs(got - want) < 1e-9, `${v}: ${got.toFixed(1)} %, expected exactly ${want} %`);
      else this.expect(Math.abs(got - want) <= TOLERANCE_POINTS, `${v}: ${got.toFixed(1)} %, expected ${want.toFixed(1)} % ± ${TOLERANCE_POINTS}`);
    }
  }
}

/** An admin GET, retried on timeouts: a wrangler dev sharing a small machine with other work can
 * stall for seconds; that is not what the tour is about. */
async function cpGet(ctx: TourContext, path: string, attempts = 3): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  for (let i = 1; ; i++) {
    try {
      return await httpsRequest(`${ctx.cp.url}${path}`, { ca: ctx.cp.ca, headers: { authorization: `Bearer ${ctx.cp.token}` }, timeoutMs: 15_000 });
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

export async function latestRevision(ctx: TourContext): Promise<number> {
  const r = await cpGet(ctx, "/mesh/v1/revisions?limit=1");
  if (r.status !== 200) throw new Error(`revisions: HTTP ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { items: { revision: number }[] }).items[0]?.revision ?? 0;
}

interface ProxyRef {
  key: string;
  admin: string;
}

function proxyRefs(mesh: DemoMesh): ProxyRef[] {
  return Object.entries(mesh.topology.workloads).map(([name, w]) => ({ key: `${w.namespace}/${name}`, admin: w.admin }));
}

async function servedVersion(ctx: TourContext, key: string): Promise<number> {
  const [ns, wl] = key.split("/");
  const r = await cpGet(ctx, `/mesh/v1/proxy/${ns}/${wl}/filter-config`);
  if (r.status !== 200) throw new Error(`filter-config of ${key}: HTTP ${r.status}`);
  return Number(String(r.headers.etag).replaceAll('"', ""));
}

/** What a proxy's admin endpoint reports (its config_dump). */
export async function proxyStatus(admin: string): Promise<{ version: number; ready: boolean; snapshot: { version: number; lastError?: string; lastSuccessAt?: string }; mtls?: { mode: string } }> {
  const r = await httpGet(admin, "/config_dump", { timeoutMs: 3000 });
  return JSON.parse(r.body);
}

/**
 * Waits until every proxy runs the config of the latest revision. A workload's config version is
 * the revision at which *its* config last changed, so the target per proxy is what the control
 * plane serves it now: read each once the read path's pointer has moved to the latest revision
 * (some workload is served that revision, or the pointer's cache time has passed), then wait
 * until each proxy's admin endpoint reports at least that.
 */
export async function waitForRevision(ctx: TourContext, timeoutMs = 20_000): Promise<{ revision: number; ms: number; proxies: number }> {
  const started = Date.now();
  const revision = await latestRevision(ctx);
  const refs = proxyRefs(ctx.mesh);
  const pointerDeadline = Date.now() + 2500; // MESH_POINTER_TTL_SECONDS=1 plus margin
  let served = await Promise.all(refs.map((r) => servedVersion(ctx, r.key)));
  while (Math.max(...served) < revision && Date.now() < pointerDeadline) {
    await sleep(100);
    served = await Promise.all(refs.map((r) => servedVersion(ctx, r.key)));
  }
  // One more read, wholly after the pointer moved (the batch above may straddle the refresh).
  served = await Promise.all(refs.map((r) => servedVersion(ctx, r.key)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reported = await Promise.all(refs.map((r) => proxyStatus(r.admin)));
    const behind = refs.filter((_, i) => reported[i].version < served[i]);
    if (behind.length === 0) return { revision, ms: Date.now() - started, proxies: refs.length };
    if (Date.now() > deadline)
      throw new Error(`proxies still behind revision ${revision} after ${timeoutMs} ms: ${behind.map((b) => `${b.key} at ${reported[refs.indexOf(b)].version} < ${served[refs.indexOf(b)]}`).join(", ")}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function step(title: string, body: (s: Step) => Promise<void>): TourStep {
  return {
    title,
    async run(ctx) {
      const started = Date.now();
      const s = new Step(ctx);
      ctx.log?.(`\n${title}`);
      try {
        await body(s);
      } catch (err) {
        s.problems.push(err instanceof Error ? err.message : String(err));
      }
      const result = { title, ok: s.problems.length === 0, observed: s.observed, problems: s.problems, ms: Date.now() - started };
      ctx.log?.(result.ok ? `  ✔ ok (${(result.ms / 1000).toFixed(1)} s)` : `  ✘ ${result.problems.join("\n    ")}`);
      return result;
    },
  };
}

// --------------------------------------------------------------------------------------- steps

export const TOUR: TourStep[] = [
  step("1. No routing rules yet: reviews round robin over v1/v2/v3", async (s) => {
    const o = await s.observe();
    s.distribution(o, { v1: 1 / 3, v2: 1 / 3, v3: 1 / 3 }, false);
  }),

  step("2. virtual-service-all-v1 + destination-rule-all (subsets): 100 % reviews v1, no stars", async (s) => {
    await s.apply("networking/destination-rule-all.yaml");
    await s.apply("networking/virtual-service-all-v1.yaml");
    s.distribution(await s.observe({ n: s.nExact }), { v1: 1 }, true);
  }),

  step("3. virtual-service-reviews-50-v3: 50/50 reviews v1/v3", async (s) => {
    await s.apply("networking/virtual-service-reviews-50-v3.yaml");
    s.distribution(await s.observe(), { v1: 0.5, v3: 0.5 }, false);
  }),

  step("4. virtual-service-reviews-v3: 100 % reviews v3, red stars", async (s) => {
    await s.apply("networking/virtual-service-reviews-v3.yaml");
    s.distribution(await s.observe({ n: s.nExact }), { v3: 1 }, true);
  }),

  step("5. An invalid VirtualService is refused with a clear error; traffic is unaffected", async (s) => {
    const before = await latestRevision(s.ctx);
    const r = await s.ctx.applier.apply(INVALID_REVIEWS_VS);
    s.see(`apply of a VirtualService with destination.weight: ${r.ok ? "accepted!" : "refused"}`);
    for (const line of r.output.split("\n").filter(Boolean).slice(0, 2)) s.see(`  ${line}`);
    s.expect(!r.ok, "the invalid VirtualService was accepted");
    s.expect(/VirtualService "reviews" is invalid/.test(r.output) || /is invalid/.test(r.output), `the error does not say the object is invalid: ${r.output}`);
    s.expect(/spec\.http\[0\]\.route\[0\]\.destination\.weight/.test(r.output), `the error does not name the field spec.http[0].route[0].destination.weight: ${r.output}`);
    const after = await latestRevision(s.ctx);
    s.see(`revision before ${before}, after ${after}`);
    s.expect(after === before, `the refused apply moved the revision from ${before} to ${after}`);
    s.distribution(await s.observe({ n: 100 }), { v3: 1 }, true);
  }),

  step("6. Control plane down: the mesh keeps serving on the last good config; back up, proxies catch up", async (s) => {
    const refs = proxyRefs(s.ctx.mesh);
    await s.ctx.cp.stop();
    s.see("stopped the control plane (wrangler dev)");
    // Let every proxy notice: its next poll fails (it keeps the last good config).
    const deadline = Date.now() + 10_000;
    let failing = 0;
    while (Date.now() < deadline) {
      const st = await Promise.all(refs.map((r) => proxyStatus(r.admin)));
      failing = st.filter((x) => x.snapshot.lastError !== undefined).length;
      if (failing === refs.length) break;
      await sleep(100);
    }
    s.see(`${failing}/${refs.length} proxies report failing polls`);
    s.expect(failing === refs.length, `only ${failing} of ${refs.length} proxies noticed the control plane is gone`);
    s.distribution(await s.observe({ n: 100 }), { v3: 1 }, true);
    const restartedAt = Date.now();
    await s.ctx.cp.start();
    s.see(`restarted the control plane in ${((Date.now() - restartedAt) / 1000).toFixed(1)} s`);
    // Every proxy polls successfully again and runs the latest revision.
    await s.waitForRevision();
    const since = Date.now();
    for (;;) {
      const st = await Promise.all(refs.map((r) => proxyStatus(r.admin)));
      if (st.every((x) => x.snapshot.lastError === undefined && Date.parse(x.snapshot.lastSuccessAt ?? "") >= restartedAt)) break;
      if (Date.now() - since > 10_000) {
        s.expect(false, "proxies did not reconnect to the restarted control plane within 10 s");
        break;
      }
      await sleep(100);
    }
    s.see("all proxies poll the restarted control plane again");
  }),

  step("7. virtual-service-reviews-test-v2: end-user jason → reviews v2 (black stars), everyone else v1", async (s) => {
    await s.apply("networking/virtual-service-reviews-test-v2.yaml");
    const cookie = await login(s.ctx.mesh.ingressAddress, "jason");
    s.see("POST /login as jason through the ingress: 302 with a session cookie");
    s.distribution(await s.observe({ n: 100, cookie, as: "jason" }), { v2: 1 }, true);
    s.distribution(await s.observe({ n: 100, as: "anonymous" }), { v1: 1 }, true);
    const out = await httpGet(s.ctx.mesh.ingressAddress, "/logout", { headers: { cookie, referer: "/productpage" } });
    s.expect(out.status === 302 && /session=;/.test(String(out.headers["set-cookie"])), `GET /logout: HTTP ${out.status}, cookie not cleared`);
  }),

  step("8. virtual-service-ratings-test-delay: 7 s delay to ratings for jason → productpage times out (3 s × 2)", async (s) => {
    await s.apply("networking/virtual-service-ratings-test-delay.yaml");
    const cookie = await login(s.ctx.mesh.ingressAddress, "jason");
    const [jason, others] = await Promise.all([
      observe(s.ctx.mesh.ingressAddress, 2, { cookie, concurrency: 2 }),
      observe(s.ctx.mesh.ingressAddress, 20, { concurrency: 4 }),
    ]);
    s.see(`jason: ${describeObservation(jason)}; reviews box: ${JSON.stringify(jason.reviewsErrors)}; ${(jason.minMs / 1000).toFixed(1)}–${(jason.maxMs / 1000).toFixed(1)} s`);
    s.see(`anonymous: ${describeObservation(others)}; slowest ${(others.maxMs / 1000).toFixed(2)} s`);
    s.expect((jason.statuses[200] ?? 0) === 2, `jason's pages: ${JSON.stringify(jason.statuses)}`);
    s.expect((jason.reviewsErrors["Sorry, product reviews are currently unavailable for this book."] ?? 0) === 2, `jason's pages should say reviews are unavailable: ${JSON.stringify(jason.reviewsErrors)}`);
    s.expect(jason.minMs >= 5500 && jason.maxMs < 10_000, `jason's pages took ${jason.minMs}–${jason.maxMs} ms, expected about 6 s (two 3 s timeouts)`);
    s.distribution(others, { v1: 1 }, true);
    // Well under productpage's 3 s timeout: the delay did not leak to other users.
    s.expect(others.maxMs < 2500, `anonymous pages took up to ${others.maxMs} ms: the delay leaked`);
  }),

  step("9. virtual-service-ratings-test-abort: HTTP 500 from ratings for jason → 'Ratings service is currently unavailable'", async (s) => {
    await s.apply("networking/virtual-service-ratings-test-abort.yaml");
    const cookie = await login(s.ctx.mesh.ingressAddress, "jason");
    const jason = await s.observe({ n: 50, cookie, as: "jason" });
    s.expect((jason.byVersion.v2 ?? 0) === 50, `jason should get reviews v2: ${JSON.stringify(jason.byVersion)}`);
    s.expect(jason.ratingsErrors === 50, `${jason.ratingsErrors}/50 of jason's pages say the ratings service is unavailable`);
    s.distribution(await s.observe({ n: 50, as: "anonymous" }), { v1: 1 }, true);
  }),

  step("10. PeerAuthentication STRICT: plaintext to productpage's sidecar works, then is refused; the ingress path keeps working", async (s) => {
    const pp = Object.values(s.ctx.mesh.topology.workloads).find((w) => w.pod.startsWith("productpage-"))!;
    const plain = () =>
      httpGet(pp.sidecar, "/productpage", { headers: { host: "productpage:9080" }, fresh: true, timeoutMs: 5000 }).then(
        (r) => `HTTP ${r.status}`,
        (err: Error) => `refused (${(err as NodeJS.ErrnoException).code ?? err.message})`,
      );
    const before = await plain();
    s.see(`curl http://${pp.sidecar}/productpage (plaintext, PERMISSIVE): ${before}`);
    s.expect(before === "HTTP 200", `plaintext before STRICT: ${before}`);
    await s.apply(PEER_AUTH_STRICT, "PeerAuthentication default/default (mtls: STRICT)");
    const mode = (await proxyStatus(pp.admin)).mtls?.mode;
    s.see(`productpage's sidecar inbound mTLS mode: ${mode}`);
    s.expect(mode === "STRICT", `productpage's sidecar reports mode ${mode}`);
    const after = await plain();
    s.see(`curl http://${pp.sidecar}/productpage (plaintext, STRICT): ${after}`);
    s.expect(after.startsWith("refused"), `plaintext after STRICT: ${after}`);
    const o = await s.observe({ n: 100 });
    s.expect((o.statuses[200] ?? 0) === 100 && o.detailsMissing === 0, "the ingress path (mTLS between proxies) broke under STRICT");
  }),

  step("11. AuthorizationPolicy: DENY GET /api/v1/products* on productpage → 403, the page itself still served", async (s) => {
    const ingress = s.ctx.mesh.ingressAddress;
    const before = await httpGet(ingress, "/api/v1/products");
    s.see(`GET /api/v1/products before: HTTP ${before.status}`);
    s.expect(before.status === 200, `before the policy: HTTP ${before.status}`);
    await s.apply(DENY_PRODUCTS_API, "AuthorizationPolicy default/deny-products-api (DENY GET /api/v1/products*)");
    const denied = await Promise.all(Array.from({ length: 20 }, () => httpGet(ingress, "/api/v1/products/0")));
    const list = await httpGet(ingress, "/api/v1/products");
    s.see(`GET /api/v1/products: HTTP ${list.status} "${list.body.trim()}"; /api/v1/products/0 ×20: ${[...new Set(denied.map((d) => d.status))].join(",")}`);
    s.expect(list.status === 403 && list.body.trim() === "RBAC: access denied", `GET /api/v1/products: HTTP ${list.status} ${list.body}`);
    s.expect(denied.every((d) => d.status === 403), "not every /api/v1/products/0 was denied");
    const o = await s.observe({ n: 50 });
    s.expect((o.statuses[200] ?? 0) === 50, "GET /productpage should still be served");
  }),
];

export async function runTour(ctx: TourContext, steps: TourStep[] = TOUR): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const st of steps) results.push(await st.run(ctx));
  return results;
}
