// The OpenAPI v3 documents kubectl reads before `apply`. Each kind's PATCH advertises the
// `fieldValidation` parameter, which tells kubectl to leave validation to this server (where the
// strict schemas live) instead of validating client-side against OpenAPI v2, which we do not serve.
import { KINDS, servedGroups } from "../mesh/kinds/index.ts";

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiRoot() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions } of servedGroups())
    for (const version of versions) paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}` };
  return { paths };
}

export function openApiGroupVersion(group: string, version: string) {
  const kinds = KINDS.filter((k) => k.group === group && k.versions.includes(version));
  if (kinds.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const k of kinds) {
    const collection = k.namespaced ? `/${gvPath(group, version)}/namespaces/{namespace}/${k.plural}` : `/${gvPath(group, version)}/${k.plural}`;
    paths[`${collection}/{name}`] = {
      patch: {
        "x-kubernetes-group-version-kind": { group, version, kind: k.kind },
        parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } }],
        requestBody: { content: { "application/merge-patch+json": {}, "application/json-patch+json": {}, "application/apply-patch+yaml": {} } },
      },
    };
  }
  return { openapi: "3.0.0", info: { title: "edge-mesh", version: "v1" }, paths };
}
