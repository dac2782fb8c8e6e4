// The Bookinfo mesh the end-to-end tests drive, as `npm run demo` builds it: the real Worker under
// wrangler dev (local state in a temp directory), Bookinfo applied with kubectl, the pods' dev
// proxies running the built filters. 1 s polls (the demo uses 500 ms): half the load on wrangler
// dev when the suite shares the machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeApplier } from "../../local/demo-apply.ts";
import { type DemoControlPlane, startDemoControlPlane } from "../../local/demo-control-plane.ts";
import { freePort } from "../../local/free-port.ts";
import { type DemoMesh, startDemoMesh } from "../../local/demo-mesh.ts";
import { ensureFiltersBuilt } from "../wasmhost/support.ts";
import type { TourContext } from "./tour.ts";

export interface MeshUnderTest {
  ctx: TourContext;
  stop(): Promise<void>;
}

/**
 * `name` labels the temp directory; `requests` is the tour's request count per split; `vars` are
 * more Worker variables (MESH_PROMETHEUS_URL for the observability test).
 */
export async function startMeshUnderTest(name: string, requests: number, vars?: Record<string, string>): Promise<MeshUnderTest> {
  ensureFiltersBuilt();
  const dir = mkdtempSync(join(tmpdir(), `edge-mesh-${name}-`));
  let cp: DemoControlPlane | undefined;
  let mesh: DemoMesh | undefined;
  const stop = async () => {
    await mesh?.stop();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    cp = await startDemoControlPlane({ dir, tlsDir: join(dir, "tls"), port: await freePort(), pointerTtlSeconds: 1, vars });
    const applier = makeApplier(cp, { home: join(dir, "kubectl-home") });
    mesh = await startDemoMesh({ cp, applier, ingressPort: await freePort(), pollMs: 1000 });
    return { ctx: { cp, applier, mesh, requests }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
