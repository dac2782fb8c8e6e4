// A workload's documents from its parts, by string concatenation: no parsing, and the text is
// what JSON.stringify of the compiled snapshot gives (test/served pins that on every golden case).
import type { ViewIndex, ViewParts, WorkloadParts } from "./model.ts";

export type PartText = (hash: string) => string;

/** Chunk levels between a stored view's lists and its part hashes. */
export function levelsOf(index: ViewIndex): number {
  return index.levels ?? 1;
}

/** The chunks a stored view's lists name: the top level of its trees (read these next). */
export function viewChunks(index: ViewIndex): string[] {
  return [...index.router.flatMap(([, chunks]) => chunks), ...index.clusters];
}

/** The view one level down: each chunk replaced by the hashes it holds. */
export function openChunks(index: ViewIndex, part: PartText): ViewIndex {
  const open = (chunks: string[]) => chunks.flatMap((c) => JSON.parse(part(c)) as string[]);
  return {
    router: index.router.map(([port, chunks]) => [port, open(chunks)]),
    ...(index.ignoreHostPort ? { ignoreHostPort: true } : {}),
    clusters: open(index.clusters),
    targetPorts: index.targetPorts,
    levels: levelsOf(index) - 1,
  };
}

/** A view whose lists are part hashes (levels 0), as the assembler reads it. */
export function viewParts(index: ViewIndex): ViewParts {
  if (levelsOf(index) !== 0) throw new Error(`view index has ${levelsOf(index)} chunk levels left to open`);
  const { levels: _, ...parts } = index;
  return parts;
}

/** A stored view with every chunk read: the hash lists in full. */
export function resolveView(index: ViewIndex, part: PartText): ViewParts {
  let at = index;
  while (levelsOf(at) > 0) at = openChunks(at, part);
  return viewParts(at);
}

/** Every part hash a workload's documents need (its view resolved). */
export function partsNeeded(view: ViewParts, own: WorkloadParts): string[] {
  const out = [own.identity, own.authz, own.inbound, ...view.clusters];
  if (own.listeners) out.push(own.listeners);
  for (const [, hosts] of view.router) out.push(...hosts);
  return out;
}

export function routerJson(view: ViewParts, part: PartText): string {
  const ports = view.router.map(([port, hosts]) => `{"port":${port},"virtualHosts":[${hosts.map(part).join(",")}]}`).join(",");
  return `{"ports":[${ports}]${view.ignoreHostPort ? ',"ignoreHostPort":true' : ""}}`;
}

export function clustersJson(view: ViewParts, part: PartText): string {
  const groups: string[] = [];
  for (const h of view.clusters) {
    const text = part(h);
    if (text.length > 2) groups.push(text.slice(1, -1));
  }
  return `[${groups.join(",")}]`;
}

/** What both filters fetch (FilterConfig). */
export function filterConfigJson(workload: string, version: number, view: ViewParts, own: WorkloadParts, part: PartText, router = routerJson(view, part)): string {
  return `{"version":${version},"workload":${JSON.stringify(workload)},"router":${router},"authz":${part(own.authz)}}`;
}

/** The whole WorkloadSnapshot. */
export function snapshotJson(view: ViewParts, own: WorkloadParts, part: PartText, router = routerJson(view, part)): string {
  const listeners = own.listeners ? `,"listeners":${part(own.listeners)}` : "";
  return `{"workload":${part(own.identity)},"router":${router},"authz":${part(own.authz)},"clusters":${clustersJson(view, part)},"inbound":${part(own.inbound)}${listeners}}`;
}
