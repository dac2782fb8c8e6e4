// The README's promise, tried as a new user would: a fresh clone, `npm install`, then
// `npm start` gives a control plane that kubectl can use with nothing but .mesh/kubeconfig.
// (`npm install && npm test` is what CI runs on a fresh clone, so it is proven by CI itself.)
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { httpsRequest } from "../local/https-request.ts";
import { PROJECT_ROOT } from "../local/wrangler-dev.ts";
import { freePort } from "../local/free-port.ts";

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "edge-mesh-clone-"));
const clone = join(dir, "edge-mesh");
after(() => rmSync(dir, { recursive: true, force: true }));

test("README states the two commands", () => {
  assert.match(readme, /^npm install && npm start$/m);
  assert.match(readme, /^npm install && npm test$/m);
  assert.match(readFileSync(join(PROJECT_ROOT, ".ci/run"), "utf8"), /^npm test$/m);
});

test("fresh clone: npm install && npm start, then kubectl works", { timeout: 300_000 }, async () => {
  execFileSync("git", ["clone", "--quiet", PROJECT_ROOT, clone]);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: clone, stdio: "ignore" });
  assert.ok(!existsSync(join(clone, ".dev.vars")), "a fresh clone has no token");

  const port = await freePort();
  const start = spawn("npm", ["start"], {
    cwd: clone,
    env: { ...process.env, PORT: String(port), WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  start.stdout.on("data", (d) => (out += d));
  start.stderr.on("data", (d) => (out += d));
  try {
    const deadline = Date.now() + 120_000;
    while (!out.includes("kubectl --kubeconfig .mesh/kubeconfig get vs") && Date.now() < deadline) {
      assert.equal(start.exitCode, null, `npm start exited:\n${out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(out, /kubectl --kubeconfig \.mesh\/kubeconfig get vs/, out);
    const token = /^MESH_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(join(clone, ".dev.vars"), "utf8"))?.[1];
    assert.ok(token && token.length >= 32, "npm start wrote a random token to .dev.vars");
    assert.ok(out.includes(token), "the token is printed for the user");

    // In the clone, as the printed hint says: the samples ship with the repository.
    const kubectl = (...args: string[]) =>
      execFileSync("kubectl", ["--kubeconfig", ".mesh/kubeconfig", ...args], {
        cwd: clone,
        env: { ...process.env, HOME: join(dir, "home"), KUBECONFIG: "" },
        encoding: "utf8",
      });
    const sample = "samples/bookinfo/networking/virtual-service-all-v1.yaml";
    assert.ok(out.includes(`apply -f ${sample}`), out);
    assert.match(kubectl("apply", "-f", sample), /virtualservice.networking.istio.io\/reviews created/);
    assert.match(kubectl("get", "vs"), /^NAME\s+GATEWAYS\s+HOSTS\s+AGE$/m);
  } finally {
    process.kill(-start.pid!, "SIGINT");
    await new Promise((r) => start.once("exit", r));
  }
});

test("fresh clone without a token: the Worker refuses rather than running open", { timeout: 120_000 }, async () => {
  rmSync(join(clone, ".dev.vars"));
  const port = await freePort();
  const dev = spawn("npx", ["wrangler", "dev", "--local-protocol", "https", "--port", String(port), "--ip", "127.0.0.1"], {
    cwd: clone,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: "ignore",
    detached: true,
  });
  try {
    let status = 0;
    let body = "";
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        // wrangler's own self-signed certificate: nothing to verify it against.
        const res = await httpsRequest(`https://127.0.0.1:${port}/apis`, { insecure: true, timeoutMs: 2000 });
        status = res.status;
        body = res.body;
        break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(status, 503, body);
    assert.equal(JSON.parse(body).reason, "ServiceUnavailable");
  } finally {
    process.kill(-dev.pid!, "SIGTERM");
    await new Promise((r) => dev.once("exit", r));
  }
});
