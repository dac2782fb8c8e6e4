// The dashboard's Graph view end to end: Debian's Chromium (playwright-core) on the real Worker
// under wrangler dev, which asks the real Prometheus, which scrapes fixture proxies exporting
// Istio's standard metrics for Bookinfo under a 50/50 reviews split. Screenshots go to
// test/ui/artifacts/ (graph.png, narrow-graph.png).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { type GraphSetup, settledGraph, skipWithoutPrometheus, startGraphSetup } from "../graph/support.ts";
import { ARTIFACTS, launchChromium, openGraphView, skipWithoutChromium } from "./chromium.ts";

// Developers without Chromium or Prometheus get a skip; CI (which installs both in .ci/run) must run the test.
const skip = skipWithoutChromium || skipWithoutPrometheus;

let setup: GraphSetup;
let browser: Browser;

const openGraph = (page: Page) => openGraphView(page, setup.worker.url, setup.worker.token);

describe("graph view", { skip }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const [s, b] = await Promise.all([
      startGraphSetup(),
      launchChromium(),
    ]);
    [setup, browser] = [s, b];
    await settledGraph(setup.worker);
  });
  after(async () => {
    await browser?.close();
    await setup?.stop();
  });

  test("productpage → reviews edges with rates, errors, p95 and the mTLS lock; the observed split beside the configured one", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      await openGraph(page);
      const toV1 = page.locator('[data-edge="default/productpage-v1 default/reviews-v1"]');
      const toV3 = page.locator('[data-edge="default/productpage-v1 default/reviews-v3"]');
      await toV1.waitFor({ timeout: 20_000 });
      // Over the last minute; Prometheus has scraped for less than that, so rates are what rate()
      // extrapolates, while shares, error ratios and quantiles are exact.
      assert.match((await toV1.getAttribute("aria-label")) ?? "", /^productpage v1 → reviews v1: \d+\.\d\d rps · 0 % err · p95 24\.3 ms, mTLS 100 %$/);
      assert.match((await toV3.getAttribute("aria-label")) ?? "", /^productpage v1 → reviews v3: \d+\.\d\d rps · 10 % err · p95 24\.3 ms, mTLS 100 %$/);
      assert.match((await toV1.locator("text").textContent()) ?? "", /^\d+\.\d\d rps · 0 % err · p95 24\.3 ms$/);
      assert.equal(await toV1.locator(".lock").count(), 1, "a lock on an mTLS edge");
      assert.equal(await page.locator('[data-edge="default/reviews-v3 default/ratings-v1"] .lock').count(), 0, "no lock on a plaintext edge");
      assert.match((await toV3.getAttribute("class")) ?? "", /\bdegraded\b/);
      // Nodes by app and version: the reviews box holds v1 and v3.
      assert.deepEqual((await page.locator(".app-box text").allTextContents()).sort(), ["productpage", "ratings", "reviews"], "the gateway is a node of its own, not a box");
      assert.equal(await page.locator('[data-node="default/reviews-v3"] text').textContent(), "v3");

      const split = page.locator('tr[data-split="default/productpage-v1 default/reviews"]');
      assert.equal(await split.locator(".sentence").textContent(), "reviews: configured v1 50 % / v3 50 %, observed v1 48 % / v3 52 % (last 1m)");
      assert.deepEqual(await split.getByRole("list", { name: "Configured split" }).getByRole("listitem").allTextContents(), ["v1 50 %", "v3 50 %"]);
      assert.deepEqual(await split.getByRole("list", { name: "Observed split" }).getByRole("listitem").allTextContents(), ["v1 48 %", "v3 52 %"]);
      assert.match((await split.textContent()) ?? "", /VirtualService default\/reviews, http\[0\]/);
      await page.screenshot({ path: `${ARTIFACTS}graph.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  test("narrow screen: the page does not scroll sideways (the picture scrolls in its frame)", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await openGraph(page);
      await page.locator('[data-edge="default/productpage-v1 default/reviews-v1"]').waitFor({ timeout: 20_000 });
      assert.ok(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"));
      await page.screenshot({ path: `${ARTIFACTS}narrow-graph.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
