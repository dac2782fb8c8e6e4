// Stored objects → config and registry → compiled snapshots → shared parts: the one pipeline
// both the store's compile and the served budget's check (compiling a write before storing it)
// run, so the sizes checked are the sizes served.
import { compileServed } from "../mesh/compile/index.ts";
import { meshConfig, type MeshConfig } from "../mesh/config.ts";
import type { KubeObject } from "../mesh/kinds/types.ts";
import { buildRegistry } from "../mesh/registry/index.ts";
import type { Registry } from "../mesh/registry/types.ts";
import { targetPorts } from "../xds/template.ts";
import { splitMesh, type SplitMesh } from "./split.ts";

/** What the compiler and the analyzers read: the config and the registry built from it. */
export interface MeshInputs {
  config: MeshConfig;
  registry: Registry;
}

export function meshInputs(objects: Iterable<KubeObject>): MeshInputs {
  const config = meshConfig(objects);
  return { config, registry: buildRegistry(config) };
}

export function compileSplit({ config, registry }: MeshInputs, revision: number): SplitMesh {
  return splitMesh(compileServed(config, registry, revision), targetPorts(registry));
}
