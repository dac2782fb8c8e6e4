// Publishing to KV, the global read copy. Every key is immutable (written once, never changed):
//   filter-config/<rev>/<ns>/<workload>   what the filters fetch
//   snapshot/<rev>/<ns>/<workload>        the whole workload snapshot
//   xds/<translator>/<rev>/<ns>/<workload> its Envoy resources (control/xds/template.ts)
//   index/<rev>                           each workload's current revision + service account
// then the `latest` pointer moves (informational: the read path asks the Durable Object for the
// pointer through the Cache API, because a mutable KV key can read ~60 s stale at the edge).
import { getSetting, putSetting } from "./tables.ts";
import { workloadIndex, type WorkloadRow } from "./workload-state.ts";
import { currentRevision } from "./history.ts";
import { TRANSLATOR_VERSION } from "../xds/template.ts";

export const xdsKey = (revision: number, workload: string) => `xds/${TRANSLATOR_VERSION}/${revision}/${workload}`;

export const PUBLISHED = "published_revision";

export function publishedRevision(sql: SqlStorage): number {
  return Number(getSetting(sql, PUBLISHED) ?? "0");
}

export async function publishPending(sql: SqlStorage, kv: KVNamespace): Promise<void> {
  const published = publishedRevision(sql);
  const latest = currentRevision(sql);
  if (latest <= published) return;
  const rows = sql.exec<WorkloadRow>("SELECT * FROM workloads WHERE revision > ?", published).toArray();
  await Promise.all(
    rows.flatMap((r) => [
      kv.put(`filter-config/${r.revision}/${r.workload}`, r.filter_config),
      kv.put(`snapshot/${r.revision}/${r.workload}`, r.snapshot),
      kv.put(xdsKey(r.revision, r.workload), r.xds),
    ]),
  );
  await kv.put(`index/${latest}`, JSON.stringify(workloadIndex(sql, latest)));
  await kv.put("latest", JSON.stringify({ revision: latest }));
  // Only forward: a slower, older publish never moves the mark back.
  if (latest > publishedRevision(sql)) putSetting(sql, PUBLISHED, String(latest));
}
