// Debian's Chromium for the UI tests (playwright-core drives it): where it is, whether a test may
// skip without it (developers may; CI, which installs it in .ci/run, may not), and how it starts.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

export const skipWithoutChromium = !existsSync(CHROMIUM) && process.env.CI !== "true" ? `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)` : false;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

/** Signs in to the dashboard at `url` with `token` and opens its Graph view. */
export async function openGraphView(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Dashboard views" }).getByRole("link", { name: "Graph" }).click();
}
