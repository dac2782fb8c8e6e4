// Full compile of a generated mesh, at 100, 1000 and 5000 services (2 workloads, 1 VirtualService,
// 1 DestinationRule per service, policies = services / 5). Target: <= 50 ms at 1000 services,
// growth close to linear (time per service at 5000 within 2x of that at 100).
import { analyze } from "../../control/mesh/analyze/index.ts";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { medianMs, type BenchEntry } from "./harness.ts";
import { generateMesh } from "./mesh-generator.ts";

export async function bench(): Promise<BenchEntry[]> {
  const sizes = [100, 1000, 5000];
  const times = new Map<number, number>();
  const analyzeTimes = new Map<number, number>();
  for (const n of sizes) {
    const config = generateMesh(n);
    const runs = n >= 5000 ? 5 : 15;
    times.set(n, medianMs(() => compile(config, buildRegistry(config), 1), runs, 2));
    analyzeTimes.set(n, medianMs(() => analyze(config, buildRegistry(config)), runs, 2));
  }
  const perService = (n: number) => times.get(n)! / n;
  const growth = perService(5000) / perService(100);
  const at1000 = times.get(1000)!;
  return [
    {
      name: "compile.1000-services",
      value: at1000,
      unit: "ms",
      target: "<= 50 ms (1000 services, 2000 workloads, 1000 VS + 1000 DR, 200 policies)",
      ok: at1000 <= 50,
      detail: sizes.map((n) => `${n}: ${times.get(n)!.toFixed(1)} ms`).join(", "),
    },
    {
      name: "compile.growth-per-service-5000-vs-100",
      value: growth,
      unit: "x",
      target: "<= 2x (close to linear)",
      ok: growth <= 2,
      detail: sizes.map((n) => `${n}: ${(perService(n) * 1000).toFixed(1)} µs/service`).join(", "),
    },
    {
      name: "analyze.1000-services",
      value: analyzeTimes.get(1000)!,
      unit: "ms",
      target: "reported (runs with every write, next to compile)",
      ok: true,
      detail: sizes.map((n) => `${n}: ${analyzeTimes.get(n)!.toFixed(1)} ms`).join(", "),
    },
  ];
}
