// API discovery: aggregated (apidiscovery.k8s.io/v2, one round trip, what kubectl 1.32 asks for)
// and the legacy documents older clients walk. All of it is derived from the kinds registry.
import { KINDS, servedGroups } from "../mesh/kinds/index.ts";
import type { KindSpec } from "../mesh/kinds/types.ts";

export const AGGREGATED_DISCOVERY_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
/** What this API supports on every stored kind; derived kinds (pods, the webhook configuration) are read-only. */
const verbs = (k: KindSpec) => (k.readOnly ? ["get", "list"] : ["create", "delete", "get", "list", "patch", "update", "watch"]);

export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /g=apidiscovery\.k8s\.io;v=v2(;|,|$)/.test(accept.replace(/\s/g, "")) && accept.includes("as=APIGroupDiscoveryList");
}

function kindsIn(group: string, version: string): KindSpec[] {
  return KINDS.filter((k) => k.group === group && k.versions.includes(version));
}

function aggregatedGroup(group: string, versions: string[]) {
  return {
    metadata: { name: group },
    versions: versions.map((version) => ({
      version,
      freshness: "Current",
      resources: kindsIn(group, version).map((k) => ({
        resource: k.plural,
        responseKind: { group, version, kind: k.kind },
        scope: k.namespaced ? "Namespaced" : "Cluster",
        singularResource: k.singular,
        verbs: verbs(k),
        ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
        ...(k.categories.length ? { categories: k.categories } : {}),
      })),
    })),
  };
}

/** `/api` (core = true) or `/apis` in the aggregated form. */
export function aggregatedDiscovery(core: boolean) {
  const groups = servedGroups().filter((g) => (g.group === "") === core);
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map((g) => aggregatedGroup(g.group, g.versions)),
  };
}

export function legacyCoreVersions(serverAddress: string) {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

export function legacyGroupList() {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: servedGroups()
      .filter((g) => g.group !== "")
      .map((g) => ({
        name: g.group,
        versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
      })),
  };
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when that group/version is not served. */
export function resourceList(group: string, version: string) {
  const kinds = kindsIn(group, version);
  if (kinds.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: kinds.map((k) => ({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: verbs(k),
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length ? { categories: k.categories } : {}),
    })),
  };
}
