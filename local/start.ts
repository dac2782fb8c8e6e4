// `npm start`: the control plane on https://127.0.0.1:8787 with local state, ready for kubectl.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeKubeconfig } from "./kubeconfig.ts";
import { ensureLocalTls } from "./local-tls.ts";
import { PROJECT_ROOT, startWranglerDev } from "./wrangler-dev.ts";

const PORT = Number(process.env.PORT ?? 8787);
const meshDir = join(PROJECT_ROOT, ".mesh");
const devVars = join(PROJECT_ROOT, ".dev.vars");

function adminToken(): string {
  const existing = existsSync(devVars) ? /^MESH_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(devVars, "utf8"))?.[1]?.trim() : undefined;
  if (existing) return existing;
  const token = randomBytes(32).toString("base64url");
  const rest = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
  writeFileSync(devVars, `${rest}${rest && !rest.endsWith("\n") ? "\n" : ""}MESH_ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  console.log("Created .dev.vars with a new random MESH_ADMIN_TOKEN.");
  return token;
}

const token = adminToken();
const tls = await ensureLocalTls(meshDir);
const kubeconfig = join(meshDir, "kubeconfig");
const worker = await startWranglerDev({ port: PORT, tls, inheritOutput: true });
writeKubeconfig(kubeconfig, worker.url, tls.caPem, token);

console.log(`
edge-mesh control plane is up on ${worker.url}
  admin token:  ${token}   (from .dev.vars)
  kubeconfig:   .mesh/kubeconfig   (server, CA and token)
  state:        .wrangler/state    (local KV + Durable Object; survives restarts)

Next:
  kubectl --kubeconfig .mesh/kubeconfig apply -f samples/bookinfo/platform/kube/bookinfo.yaml
  kubectl --kubeconfig .mesh/kubeconfig apply -f samples/bookinfo/networking/virtual-service-all-v1.yaml
  kubectl --kubeconfig .mesh/kubeconfig get vs

Ctrl-C stops it.`);

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    void worker.stop().then(() => process.exit(0));
  });
worker.process.on("exit", (code) => process.exit(code ?? 0));
