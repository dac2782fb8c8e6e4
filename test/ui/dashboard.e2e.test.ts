// The dashboard (/ui) end to end: the real Worker under wrangler dev with Bookinfo applied by
// kubectl, driven by Debian's Chromium through playwright-core. Screenshots of every view go to
// test/ui/artifacts/. Also covers read-only tokens at the API.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";
import { ARTIFACTS, launchChromium, skipWithoutChromium } from "./chromium.ts";

// Developers without Chromium get a skip; CI (which installs it in .ci/run) must run the test.
const skip = skipWithoutChromium;

const sample = (p: string) => `${SAMPLES}bookinfo/${p}`;
const REVIEWS = "reviews.default.svc.cluster.local";

let w: TestWorker;
let browser: Browser;
let allV1: number;
/** Every URL any page asked for: all must be the Worker's own origin. */
const requested: string[] = [];

async function apply(file: string): Promise<void> {
  const r = await w.kubectl(["apply", "-f", file]);
  assert.equal(r.code, 0, r.stderr);
}

async function applyYaml(yaml: string): Promise<void> {
  const r = await w.kubectl(["apply", "-f", "-"], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
}

async function revisionNow(): Promise<number> {
  return (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision;
}

async function newContext(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  context.on("request", (r) => requested.push(r.url()));
  return context;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${w.url}/ui/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Dashboard views" }).waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

// Code run in the page is given as strings: this file is type-checked without the DOM library.

/** Every form control has a label (a <label>, aria-label or aria-labelledby). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll("input, select, textarea")]
    .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map((el) => el.outerHTML.slice(0, 80))`);
}

async function noHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1");
}

async function storedItems(page: Page): Promise<number> {
  return page.evaluate("sessionStorage.length");
}

/** Waits until the first weight bar on the page reads `expected` (polled: the page's CSP forbids waitForFunction's eval). */
async function barReads(page: Page, expected: RegExp): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await page.locator(".weight-bar").first().textContent({ timeout: 15_000 });
    if (expected.test(text ?? "")) return;
    if (Date.now() > deadline) assert.fail(`the weight bar reads "${text}", not ${expected}`);
    await page.waitForTimeout(200);
  }
}

before(async () => {
  if (skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const [worker, b] = await Promise.all([
    startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" }),
    launchChromium(),
  ]);
  w = worker;
  browser = b;
  // Bookinfo with every version the DestinationRules name, so each object validates clean.
  for (const f of [
    "platform/kube/bookinfo.yaml",
    "platform/kube/bookinfo-details-v2.yaml",
    "platform/kube/bookinfo-ratings-v2.yaml",
    "platform/kube/bookinfo-ratings-v2-mysql.yaml",
    "platform/kube/bookinfo-ratings-v2-mysql-vm.yaml",
    "networking/destination-rule-all.yaml",
    "networking/virtual-service-all-v1.yaml",
  ])
    await apply(sample(f));
  allV1 = await revisionNow();
});

after(async () => {
  await browser?.close();
  await w?.stop();
});

describe("dashboard", { skip }, () => {
  let context: BrowserContext;
  let page: Page;
  before(async () => {
    context = await newContext();
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
  });

  test("without a token: a login prompt and no data", async () => {
    const from = requested.length;
    await page.goto(`${w.url}/ui/`);
    await page.getByRole("heading", { name: "Sign in to edge-mesh" }).waitFor();
    assert.equal(await page.getByRole("table").count(), 0);
    assert.doesNotMatch(await page.locator("body").innerText(), /reviews|productpage|VirtualService/);
    // Only the static page was fetched: nothing from the API.
    const paths = requested.slice(from).map((u) => new URL(u).pathname);
    assert.ok(paths.every((p) => p.startsWith("/ui/")), paths.join(" "));
    // The page is static and locked down.
    const res = await w.request("/ui/", { token: null });
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-security-policy"]), /default-src 'none'.*connect-src 'self'/);
    await shot(page, "login");
    // A wrong token is refused readably and not kept.
    await page.getByLabel("API token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "did not accept" }).waitFor();
    assert.equal(await storedItems(page), 0);
    assert.deepEqual(await unlabelledControls(page), []);
  });

  test("config list: the Bookinfo objects validate with ✓; a click shows YAML and findings", async () => {
    await signIn(page, w.token);
    assert.ok(!page.url().includes(w.token), "the token never goes into a URL");
    const rows = page.locator("table.config-list tbody tr[data-kind]");
    await rows.first().waitFor();
    for (const name of ["details", "productpage", "ratings", "reviews"])
      for (const kind of ["VirtualService", "DestinationRule"]) {
        const row = page.locator(`tr[data-kind="${kind}"][data-namespace="default"][data-name="${name}"]`);
        assert.equal(await row.getAttribute("data-validation"), "valid", `${kind} ${name}`);
        assert.match(await row.locator("td.validation-cell").innerText(), /✓/);
      }
    assert.equal(await rows.count(), 8);
    // Filters: kind and name.
    await page.getByLabel("Kind", { exact: true }).selectOption("VirtualService");
    await page.getByLabel("Name", { exact: true }).fill("rev");
    assert.equal(await rows.count(), 1);
    await page.getByLabel("Name", { exact: true }).fill("");
    await page.getByLabel("Namespace", { exact: true }).selectOption("default");
    assert.equal(await rows.count(), 4);
    await page.getByRole("link", { name: "reviews", exact: true }).click();
    const detail = page.getByRole("region", { name: "VirtualService default/reviews" });
    await detail.getByText("No validation issues found").waitFor();
    assert.match(await detail.locator("pre.yaml").innerText(), /kind: VirtualService[\s\S]*subset: v1/);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, "config-list");
  });

  test("a VirtualService with a missing subset shows IST0101, live (no reload)", async () => {
    await page.goto(`${w.url}/ui/#/config`);
    await page.locator('tr[data-kind="VirtualService"][data-name="details"][data-validation="valid"]').waitFor();
    await applyYaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: details
  namespace: default
spec:
  hosts: [details]
  http:
  - route:
    - destination: {host: details, subset: v9}
`);
    // The page polls the revision and re-renders: no navigation needed.
    const row = page.locator('tr[data-kind="VirtualService"][data-name="details"][data-validation="error"]');
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /✗\s*IST0101/);
    await row.getByRole("link").click();
    const detail = page.getByRole("region", { name: "VirtualService default/details" });
    await detail.getByText("IST0101").waitFor();
    assert.match(await detail.locator(".findings").innerText(), /Error \[IST0101\].*details\+v9/);
    await shot(page, "config-ist0101");
  });

  test("traffic view: the 50/50 sample draws a 50/50 bar, with subsets, workloads and inbound policy", async () => {
    await apply(sample("networking/virtual-service-reviews-50-v3.yaml"));
    await page.goto(`${w.url}/ui/#/traffic/${REVIEWS}`);
    const bar = page.locator(".weight-bar").first();
    await barReads(page, /v3 50 %/);
    const segments = await bar.locator("li").allInnerTexts();
    assert.deepEqual(segments, ["v1 50 %", "v3 50 %"]);
    const widths = await bar.locator("li").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    assert.ok(Math.abs(widths[0] - widths[1]) < 2, `equal halves: ${widths}`);
    assert.match(await page.locator(".route .origin").first().innerText(), /VirtualService default\/reviews, http\[0\]/);
    const subsets = await page.locator("table.subsets tbody").innerText();
    assert.match(subsets, /v1[\s\S]*reviews-v1/);
    assert.match(subsets, /v3[\s\S]*reviews-v3/);
    const inbound = await page.locator("table.inbound tbody").innerText();
    assert.match(inbound, /default\/reviews-v2\s+PERMISSIVE/);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, "traffic");
  });

  test("explain: the form submits and the answer (or a readable error) is shown", async () => {
    await page.goto(`${w.url}/ui/#/explain`);
    await page.getByLabel("Source workload").selectOption("default/productpage-v1");
    await page.getByLabel("Host").fill("reviews:9080");
    await page.getByLabel("Path").fill("/reviews/0");
    await page.getByLabel("Headers").fill("end-user: jason");
    const answered = page.waitForResponse((r) => r.url().endsWith("/mesh/v1/explain"));
    await page.getByRole("button", { name: "Explain" }).click();
    const res = await answered;
    if (res.status() === 200) {
      const section = page.getByRole("region", { name: "What happens" });
      await section.waitFor();
      assert.match(await section.innerText(), /reviews\.default\.svc\.cluster\.local/);
      assert.ok((await section.locator("ol.trace > li").count()) > 0);
    } else {
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.innerText(), new RegExp(`\\(${res.status()}\\)`));
    }
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, "explain");

    // The rendering of an answer in the endpoint's contract, whatever the Worker answered above.
    await page.route("**/mesh/v1/explain", (route) =>
      route.fulfill({
        json: {
          engine: "wasm",
          cluster: `outbound|9080|v2|${REVIEWS}`,
          localReply: null,
          forwarded: {
            path: "/v2/reviews/0",
            authority: "reviews:9080",
            headers: [],
            requestHeaderEdits: [{ op: "replace", name: "x-mesh-cluster", value: `outbound|9080|v2|${REVIEWS}` }],
            responseHeaderEdits: [{ op: "add", name: "x-served-by", value: "v2" }],
          },
          authz: { allowed: true, policy: null, rule: null },
          trace: [
            { filter: "router", text: "matched VirtualService default/reviews http[0]: header end-user = \"jason\"" },
            "router: picked outbound|9080|v2|reviews.default.svc.cluster.local (weight 100 of 100)",
            { filter: "authz", text: "no AuthorizationPolicy applies to reviews-v2: allowed" },
          ],
        },
      }),
    );
    try {
      await page.getByRole("button", { name: "Explain" }).click();
      const section = page.getByRole("region", { name: "What happens" });
      await section.waitFor();
      const text = await section.innerText();
      assert.match(text, /Upstream cluster\s+outbound\|9080\|v2\|reviews/);
      assert.match(text, /✓ allowed/);
      assert.match(text, /Request as forwarded\s+reviews:9080\/v2\/reviews\/0\s+replace x-mesh-cluster: outbound/);
      assert.match(text, /Response header edits\s+add x-served-by: v2/);
      assert.deepEqual(
        (await section.locator("ol.trace > li .step").allInnerTexts()).map((t) => t.split(":")[0]),
        ["matched VirtualService default/reviews http[0]", "router", "no AuthorizationPolicy applies to reviews-v2"],
      );
      await shot(page, "explain-answer");
      // A redirect: the local reply's headers (its Location) are shown.
      await page.unroute("**/mesh/v1/explain");
      await page.route("**/mesh/v1/explain", (route) =>
        route.fulfill({ json: { engine: "wasm", cluster: null, localReply: { status: 302, headers: [["location", "http://example.org:8080/new"]], body: "" }, forwarded: null, authz: null, trace: [] } }),
      );
      await page.getByRole("button", { name: "Explain" }).click();
      await page.getByText("location: http://example.org:8080/new").waitFor();
      assert.match(await page.getByRole("region", { name: "What happens" }).innerText(), /Local reply\s+302\s+location: http:\/\/example\.org:8080\/new/);
    } finally {
      await page.unroute("**/mesh/v1/explain");
    }
  });

  test("revisions: what changed, a diff, and rollback after confirmation restores all-v1", async () => {
    await page.goto(`${w.url}/ui/#/revisions`);
    const newest = page.locator("table.history tbody tr").first();
    await newest.waitFor();
    assert.match(await newest.innerText(), /update VirtualService default\/reviews/);
    // Default diff: the previous revision to the newest, i.e. the 50/50 change.
    await page.getByRole("button", { name: "Show diff" }).click();
    const diff = page.getByRole("region", { name: /Changes from revision/ });
    await diff.waitFor();
    const text = await diff.innerText();
    assert.match(text, /update VirtualService default\/reviews/);
    assert.match(text, /\+ +weight: 50/);
    assert.match(text, /\+ +subset: v3/);
    await shot(page, "revisions-diff");

    await page.getByRole("button", { name: `Roll back to ${allV1}`, exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Roll back to revision ${allV1}?` });
    await dialog.waitFor();
    await shot(page, "revisions-rollback-confirm");
    // Cancel first: nothing happens.
    const before = await revisionNow();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.equal(await revisionNow(), before);
    await page.getByRole("button", { name: `Roll back to ${allV1}`, exact: true }).click();
    await dialog.getByRole("button", { name: `Roll back to ${allV1}` }).click();
    await page.getByRole("status").filter({ hasText: `Rolled back to revision ${allV1}` }).waitFor();
    assert.equal(await revisionNow(), before + 1);
    await page.locator(`table.history tbody tr[data-revision="${before + 1}"]`).waitFor({ timeout: 15_000 });
    await shot(page, "revisions");

    // All-v1 again: the traffic bar and the config list say so.
    await page.goto(`${w.url}/ui/#/traffic/${REVIEWS}`);
    await barReads(page, /^v1 100 %$/);
    const routes = (await w.request("/mesh/v1/snapshot/default/productpage-v1")).json().router.ports[0].virtualHosts.find((v: { name: string }) =>
      v.name.startsWith("reviews."),
    ).routes;
    assert.deepEqual(routes[0].destinations, [{ cluster: `outbound|9080|v1|${REVIEWS}`, weight: 1 }]);
    await page.goto(`${w.url}/ui/#/config`);
    await page.locator('tr[data-kind="VirtualService"][data-name="details"][data-validation="valid"]').waitFor();
  });

  test("proxies: each proxy's xDS types as istioctl proxy-status says them; a NACK shows, live", async () => {
    const token = await w.workloadToken("default", "bookinfo-ratings");
    const idle = "ratings-v1-8c6b7d5f4-idle1";
    const envoy = "ratings-v1-8c6b7d5f4-envoy";
    const registered = await w.request(`/mesh/v1/proxy/default/ratings-v1/endpoints/${idle}`, {
      method: "PUT",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ip: "10.1.0.20", ports: { http: 9080 } }),
    });
    assert.equal(registered.status, 201, registered.body);
    await page.goto(`${w.url}/ui/#/proxies`);
    await page.locator(`tr[data-proxy="${idle}.default"][data-state="NOT SENT"]`).waitFor();
    // An Envoy polling LDS (REST xDS) that rejects what it gets: the row turns ERROR without a reload.
    const node = { id: `sidecar~10.1.0.21~${envoy}.default~default.svc.cluster.local`, metadata: { NAMESPACE: "default", WORKLOAD_NAME: "ratings-v1", SERVICE_ACCOUNT: "bookinfo-ratings", EDGE_MESH_TOKEN: token } };
    const lds = (body: object) => w.request("/v3/discovery:listeners", { method: "POST", token: null, headers: { "content-type": "application/json" }, body: JSON.stringify({ node, ...body }) });
    const version = (await lds({ version_info: "" })).json().version_info;
    await lds({ version_info: "", response_nonce: version, error_detail: { message: "Error adding/updating listener(s) virtualInbound: bad filter" } });
    const row = page.locator(`tr[data-proxy="${envoy}.default"][data-state="ERROR"]`);
    await row.waitFor({ timeout: 15_000 });
    assert.equal((await row.locator('td[data-type="LDS"]').innerText()).trim(), "✗ ERROR");
    assert.equal((await row.locator('td[data-type="CDS"]').innerText()).trim(), "– NOT SENT");
    await page.getByText(`${envoy}.default rejected its listeners: Error adding/updating listener(s) virtualInbound: bad filter`).waitFor();
    await shot(page, "proxies");
    assert.equal((await lds({ version_info: version })).status, 304);
    await page.locator(`tr[data-proxy="${envoy}.default"][data-state="SYNCED"]`).waitFor({ timeout: 15_000 });
  });

  test("narrow screen: every view fits without horizontal scrolling", async () => {
    const narrow = await newContext({ width: 390, height: 844 });
    try {
      const p = await narrow.newPage();
      await signIn(p, w.token);
      for (const [view, name] of [
        ["config/VirtualService/default/reviews", "config"],
        [`traffic/${REVIEWS}`, "traffic"],
        ["explain", "explain"],
        ["revisions", "revisions"],
      ]) {
        await p.goto(`${w.url}/ui/#/${view}`);
        await p.locator("main h2").first().waitFor();
        await p.waitForLoadState("networkidle");
        assert.ok(await noHorizontalOverflow(p), `${view} overflows at 390 px`);
        await shot(p, `narrow-${name}`);
      }
    } finally {
      await narrow.close();
    }
  });

  test("a read-only token sees everything and can change nothing", async () => {
    const issued = await w.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: '{"ttlSeconds": 600}' });
    assert.equal(issued.status, 201, issued.body);
    const reader = await newContext();
    try {
      const p = await reader.newPage();
      await signIn(p, issued.json().token);
      await p.getByText("read-only", { exact: true }).waitFor();
      await p.locator('tr[data-kind="VirtualService"][data-name="reviews"]').waitFor();
      await p.goto(`${w.url}/ui/#/traffic/${REVIEWS}`);
      await p.locator(".weight-bar").first().waitFor();
      await p.goto(`${w.url}/ui/#/revisions`);
      const rollback = p.getByRole("button", { name: `Roll back to ${allV1}`, exact: true });
      await rollback.waitFor();
      assert.ok(await rollback.isDisabled());
      await shot(p, "read-only-revisions");
      // Sign out forgets the token.
      await p.getByRole("button", { name: "Sign out" }).click();
      await p.getByLabel("API token").waitFor();
      assert.equal(await storedItems(p), 0);
    } finally {
      await reader.close();
    }
  });

  test("graph without a configured Prometheus: the view names the variable to set", async () => {
    await page.goto(`${w.url}/ui/#/graph`);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /no Prometheus is configured: set the Worker variable MESH_PROMETHEUS_URL/);
    const r = await w.request("/mesh/v1/graph");
    assert.equal(r.status, 503, r.body);
    assert.equal(r.json().reason, "ServiceUnavailable");
  });

  test("no page fetched anything from another origin", () => {
    const origin = new URL(w.url).origin;
    const foreign = requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"));
    assert.deepEqual(foreign, []);
    assert.ok(requested.length > 10);
  });
});

describe("read-only tokens at the API", { skip }, () => {
  let reader: string;
  before(async () => {
    const r = await w.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(r.status, 201, r.body);
    reader = r.json().token;
  });

  test("reads: the Kubernetes-style API, analysis, revisions, snapshots and kubectl get", async () => {
    for (const path of [
      "/apis/networking.istio.io/v1/virtualservices",
      "/api/v1/namespaces/default/services/reviews",
      "/mesh/v1/analyze",
      "/mesh/v1/revisions?limit=2",
      `/mesh/v1/revisions/${allV1}`,
      "/mesh/v1/snapshot/default/reviews-v1",
    ]) {
      const r = await w.request(path, { token: reader });
      assert.equal(r.status, 200, `${path}: ${r.body}`);
    }
    const get = await w.kubectl(["--token", reader, "get", "vs", "reviews"]);
    assert.equal(get.code, 0, get.stderr);
  });

  test("writes, rollback and token issuance: 403, also through kubectl", async () => {
    const json = { "content-type": "application/json" };
    for (const [method, path, body] of [
      ["POST", "/mesh/v1/rollback", `{"to": ${allV1}}`],
      ["POST", "/mesh/v1/read-tokens", "{}"],
      ["POST", "/mesh/v1/workload-tokens", '{"namespace":"default","serviceAccount":"bookinfo-reviews"}'],
      ["DELETE", "/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews", undefined],
      ["POST", "/apis/networking.istio.io/v1/namespaces/default/virtualservices?dryRun=All", "{}"],
      ["PATCH", "/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews", "{}"],
    ] as const) {
      const r = await w.request(path, { method, token: reader, body, headers: json });
      assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
      assert.equal(r.json().reason, "Forbidden");
    }
    // The proxy endpoints other than the snapshot stay with the admin and workload tokens.
    assert.equal((await w.request("/mesh/v1/proxy/default/reviews-v1/filter-config", { token: reader })).status, 401);
    const del = await w.kubectl(["--token", reader, "delete", "vs", "reviews"]);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /Forbidden/);
    assert.equal((await w.request("/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews")).status, 200);
  });

  test("a read token is not a workload token, a forged one is refused, and only the admin issues them", async () => {
    assert.equal((await w.request("/mesh/v1/analyze", { token: `${reader.slice(0, -4)}AAAA` })).status, 401);
    const parts = reader.split(".");
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString());
    assert.equal(payload.kind, "read");
    const wl = await w.request("/mesh/v1/workload-tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"namespace":"default","serviceAccount":"bookinfo-reviews"}',
    });
    // A workload token cannot read the API as a reader does.
    assert.equal((await w.request("/mesh/v1/analyze", { token: wl.json().token })).status, 401);
    assert.equal((await w.request("/mesh/v1/read-tokens", { method: "POST", token: null, body: "{}" })).status, 401);
    const bad = await w.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: '{"ttlSeconds": 5}' });
    assert.equal(bad.status, 400);
  });

  test("the revision list answers 304 to a matching If-None-Match", async () => {
    const first = await w.request("/mesh/v1/revisions?limit=1", { token: reader });
    const etag = first.headers.etag as string;
    // The newest revision on the page and the published one: the page says both.
    const body = first.json();
    assert.equal(etag, `"${body.items[0].revision}.${body.publishedRevision}"`);
    assert.equal((await w.request("/mesh/v1/revisions?limit=1", { token: reader, headers: { "if-none-match": etag } })).status, 304);
  });
});
