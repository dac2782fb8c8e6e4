// The pods the admission webhook injected, kept so the pods API can show the spec admission
// produced (the istio-proxy container with its image and ports) once the pod's proxy registers.
// The API server sends a ReplicaSet's pod with only a generateName (the name is made after
// admission), so a record is keyed by the name when there is one, else by the generateName, and a
// registered pod finds the record whose key is its name or the longest prefix of it. The webhook
// is called without a token, so the table is capped: the oldest records go first.
import type { AdmittedPod } from "./requests.ts";

const MAX_RECORDS = 2000;

export function recordAdmittedPod(sql: SqlStorage, namespace: string, nameOrPrefix: string, pod: AdmittedPod, now = Date.now()): void {
  sql.exec(
    "INSERT INTO admitted_pods (namespace, name_or_prefix, body, at) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, name_or_prefix) DO UPDATE SET body = excluded.body, at = excluded.at",
    namespace,
    nameOrPrefix,
    JSON.stringify(pod),
    now,
  );
  sql.exec("DELETE FROM admitted_pods WHERE rowid NOT IN (SELECT rowid FROM admitted_pods ORDER BY at DESC LIMIT ?)", MAX_RECORDS);
}

export function admittedPodFor(sql: SqlStorage, namespace: string, pod: string): AdmittedPod | undefined {
  const row = sql
    .exec<{ body: string }>(
      "SELECT body FROM admitted_pods WHERE namespace = ? AND substr(?, 1, length(name_or_prefix)) = name_or_prefix ORDER BY length(name_or_prefix) DESC LIMIT 1",
      namespace,
      pod,
    )
    .toArray()[0];
  return row ? (JSON.parse(row.body) as AdmittedPod) : undefined;
}
