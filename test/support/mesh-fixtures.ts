// Turns YAML (as a user would `kubectl apply` it) into the MeshConfig the store would compile:
// each document validated by its kind, relabelled to the storage version, namespace defaulted,
// and creation times in document order (so "oldest wins" rules are deterministic).
import { parseAllDocuments } from "yaml";
import { meshConfig, type MeshConfig } from "../../control/mesh/config.ts";
import { kindForObject } from "../../control/mesh/kinds/index.ts";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";
import { validateObject } from "../../control/mesh/validate.ts";
import { normalize } from "../../control/store/objects.ts";

export function objectsFromYaml(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  const base = Date.parse("2026-01-01T00:00:00Z");
  for (const doc of parseAllDocuments(text)) {
    const raw = doc.toJS() as KubeObject | null;
    if (!raw) continue;
    const spec = kindForObject(raw.apiVersion, raw.kind);
    if (!spec) throw new Error(`unknown kind ${raw.apiVersion} ${raw.kind}`);
    const obj = normalize(spec, raw, spec.namespaced ? (raw.metadata.namespace ?? "default") : undefined);
    const errors = validateObject(spec, obj);
    if (errors.length) throw new Error(`${raw.kind} ${raw.metadata.name} is invalid: ${JSON.stringify(errors)}`);
    obj.metadata.creationTimestamp = new Date(base + out.length * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    obj.metadata.resourceVersion = String(out.length + 1);
    out.push(obj);
  }
  return out;
}

export function configFromYaml(text: string): MeshConfig {
  return meshConfig(objectsFromYaml(text));
}
