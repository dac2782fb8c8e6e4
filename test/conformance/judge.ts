// Judges an explain answer against one Gateway API conformance row the way the upstream suite
// judges a live response (conformance/utils/http/http.go CompareRoundTrip): the backend that
// answered, the request it saw, the status, and the redirect's Location. Also builds the explain
// input for a row and prints the pass table.
import type { Explanation } from "../../control/explain/explain.ts";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";
import { CONFORMANCE_NAMESPACE, type ConformanceCase } from "./gateway-api/cases.ts";

/** The address the suite sends to when a row sets no Host: the Gateway's, with the listener port. */
const GATEWAY_IP = "192.0.2.10";

export function gatewayWorkload(gateway: string): { namespace: string; workload: string } {
  return { namespace: CONFORMANCE_NAMESPACE, workload: `${gateway}-istio` };
}

/** The port each Gateway of `objects` listens on (every vendored Gateway listens on one). */
export function listenerPorts(objects: KubeObject[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of objects) {
    const port = (o.spec as { listeners?: { port: number }[] } | undefined)?.listeners?.[0]?.port;
    if (o.kind === "Gateway" && port !== undefined) out.set(o.metadata.name, port);
  }
  return out;
}

export function explainInput(c: ConformanceCase, listenerPort: number) {
  return {
    source: gatewayWorkload(c.request.gateway),
    request: { authority: c.request.host ?? `${GATEWAY_IP}:${listenerPort}`, path: c.request.path, method: "GET", ...(c.request.tls ? { scheme: "https" as const } : {}), headers: c.request.headers ?? {} },
    port: listenerPort,
  };
}

function backendCluster(backend: string, namespace = CONFORMANCE_NAMESPACE): string {
  return `outbound|8080||${backend}.${namespace}.svc.cluster.local`;
}

/** Why the answer fails the row, or null when it passes. */
export function judge(c: ConformanceCase, answer: Explanation): string | null {
  const e = c.expect;
  if ("backend" in e) {
    if (answer.localReply) return `expected ${e.backend}, got a local reply ${answer.localReply.status}`;
    const cluster = backendCluster(e.backend, e.namespace);
    if (answer.cluster !== cluster) return `expected ${cluster}, got ${answer.cluster}`;
    const seen = answer.forwarded;
    if (!seen) return "the answer has no forwarded request";
    if (e.request?.path !== undefined && seen.path !== e.request.path) return `expected the backend to see path ${e.request.path}, got ${seen.path}`;
    for (const [name, value] of Object.entries(e.request?.headers ?? {})) {
      const got = seen.headers.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v).join(",");
      if (got !== value) return `expected header ${name}: ${value}, got ${JSON.stringify(got)}`;
    }
    for (const name of e.request?.absentHeaders ?? []) if (seen.headers.some(([k]) => k === name.toLowerCase())) return `expected no header ${name}`;
    return null;
  }
  const status = answer.localReply?.status ?? 200;
  if (status !== e.status) return `expected status ${e.status}, got ${status}${answer.cluster ? ` (forwarded to ${answer.cluster})` : ""}`;
  if (!e.redirect) return null;
  const location = answer.localReply?.headers.find(([k]) => k === "location")?.[1];
  if (!location) return "the redirect has no Location header";
  const url = new URL(location);
  const got = { scheme: url.protocol.replace(/:$/, ""), host: url.hostname, port: url.port, path: url.pathname };
  // http.go setRedirectRequestDefaults: an unset expected host/scheme/path is "as received"/"as sent".
  const want = { scheme: e.redirect.scheme ?? "http", host: e.redirect.host ?? got.host, path: e.redirect.path ?? c.request.path };
  // new URL() drops a scheme's default port; read it from the Location itself.
  const explicitPort = /^[a-z]+:\/\/[^/]*:(\d+)(?:\/|$)/i.exec(location)?.[1] ?? "";
  if (got.host !== want.host) return `expected redirect host ${want.host}, got ${got.host} (Location ${location})`;
  if (e.redirect.port === undefined) {
    const wellKnown = got.scheme === "https" ? "443" : "80";
    if (explicitPort !== "" && explicitPort !== wellKnown) return `expected no redirect port or ${wellKnown}, got ${explicitPort} (Location ${location})`;
  } else if (explicitPort !== e.redirect.port) return `expected redirect port ${e.redirect.port}, got ${JSON.stringify(explicitPort)} (Location ${location})`;
  if (got.scheme !== want.scheme) return `expected redirect scheme ${want.scheme}, got ${got.scheme} (Location ${location})`;
  if (got.path !== want.path) return `expected redirect path ${want.path}, got ${got.path} (Location ${location})`;
  return null;
}

/** Passes per conformance test, as a table. */
export function passTable(results: { c: ConformanceCase; failure: string | null }[]): string {
  const byTest = new Map<string, { pass: number; total: number }>();
  for (const { c, failure } of results) {
    const row = byTest.get(c.test) ?? { pass: 0, total: 0 };
    row.total++;
    if (!failure) row.pass++;
    byTest.set(c.test, row);
  }
  const width = Math.max(...[...byTest.keys()].map((k) => k.length), 5);
  const lines = [...byTest].map(([test, { pass, total }]) => `${test.padEnd(width)}  ${String(pass).padStart(3)} / ${total}`);
  const pass = results.filter((r) => !r.failure).length;
  return [...lines, `${"total".padEnd(width)}  ${String(pass).padStart(3)} / ${results.length}`].join("\n");
}
