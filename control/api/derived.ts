// Objects the mesh derives instead of storing, served next to (or, for read-only kinds, instead
// of) the stored ones: pods from the endpoint registry, and no events.
import type { Context } from "hono";
import { settingsFromEnv, type AdmissionBindings } from "../../admission/settings.ts";
import type { Env } from "../env.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { podObject } from "./pods.ts";
import { configStore } from "./resources.ts";

type Ctx = Context<{ Bindings: Env }>;

/** The derived objects of one kind in a namespace (undefined: all namespaces, or cluster-scoped). */
type Derive = (c: Ctx, namespace: string | undefined) => Promise<KubeObject[]>;

async function pods(c: Ctx, namespace: string | undefined): Promise<KubeObject[]> {
  const { items } = await configStore(c.env).podRecords(namespace);
  const settings = settingsFromEnv(c.env as Env & AdmissionBindings, c.req.url);
  const now = Date.now();
  return items.map((r) => podObject(r, now, settings));
}

const DERIVED: Record<string, Derive> = {
  "/pods": pods,
  "/events": async () => [],
};

export function derives(spec: KindSpec): boolean {
  return `${spec.group}/${spec.plural}` in DERIVED;
}

export function derivedObjects(c: Ctx, spec: KindSpec, namespace: string | undefined): Promise<KubeObject[]> {
  return DERIVED[`${spec.group}/${spec.plural}`]?.(c, namespace) ?? Promise.resolve([]);
}
