// VirtualService http rules → routes for one proxy and one port. Rules keep their order (first
// match wins); a rule's match entries are OR-ed and the fields of one entry AND-ed. Conditions
// that depend only on the proxy (sourceLabels, sourceNamespace, gateways, port) are decided
// here, so the router evaluates only what depends on the request.
import { specOf } from "../config.ts";
import { resolveHost } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import { exportedTo, type Workload } from "../registry/types.ts";
import type { HeaderOps, KeyMatch, Route, RouteMatch, StringMatch, WeightedCluster } from "../snapshot.ts";
import { outboundCluster } from "./clusters.ts";
import { durationMs } from "./durations.ts";

export interface IstioStringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface IstioMatch {
  uri?: IstioStringMatch;
  method?: IstioStringMatch;
  authority?: IstioStringMatch;
  headers?: Record<string, IstioStringMatch>;
  withoutHeaders?: Record<string, IstioStringMatch>;
  queryParams?: Record<string, IstioStringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  gateways?: string[];
  ignoreUriCase?: boolean;
}

interface IstioHeaders {
  request?: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] };
  response?: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] };
}

interface IstioHttpRoute {
  match?: IstioMatch[];
  route?: { destination: { host: string; subset?: string; port?: { number?: number } }; weight?: number; headers?: IstioHeaders }[];
  redirect?: { uri?: string; authority?: string; scheme?: string; port?: number; redirectCode?: number };
  directResponse?: { status: number; body?: { string?: string; bytes?: string } };
  rewrite?: { uri?: string; authority?: string; uriRegexRewrite?: { match: string; rewrite: string } };
  timeout?: string;
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string };
  fault?: {
    delay?: { fixedDelay?: string; percentage?: { value?: number }; percent?: number };
    abort?: { httpStatus?: number; percentage?: { value?: number } };
  };
  headers?: IstioHeaders;
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: IstioHttpRoute[];
  exportTo?: string[];
}

export interface RouteContext {
  workload: Workload;
  /** `<namespace>/<name>` of the Istio Gateway being compiled, or "mesh" for sidecars. */
  gateway: string;
  /** The destination port this table serves. */
  port: number;
  /** The port a destination without one goes to. */
  defaultPort: (host: string, listenerPort: number) => number;
}

function stringMatch(m: IstioStringMatch | undefined, ignoreCase = false): StringMatch | undefined {
  if (!m) return undefined;
  const out: StringMatch = {};
  if (m.exact !== undefined) out.exact = m.exact;
  else if (m.prefix !== undefined) out.prefix = m.prefix;
  else if (m.regex !== undefined) out.regex = m.regex;
  else return undefined;
  if (ignoreCase) out.ignoreCase = true;
  return out;
}

function keyMatches(map: Record<string, IstioStringMatch> | undefined, invert: boolean, lowerCaseNames: boolean): KeyMatch[] {
  return Object.entries(map ?? {}).map(([name, m]) => {
    const value = stringMatch(m);
    // An empty match `{}` means "present with any value".
    const km: KeyMatch = { name: lowerCaseNames ? name.toLowerCase() : name, ...(value ? { value } : { present: true }) };
    if (invert) km.invert = true;
    return km;
  });
}

/** Istio gateway names in a VirtualService: short names are relative to its namespace. */
export function qualifyGateway(name: string, namespace: string): string {
  return name === "mesh" || name.includes("/") ? name : `${namespace}/${name}`;
}

/** The match entries of a rule that can hold for this proxy, as router matches. undefined = rule never applies. */
function compileMatches(matches: IstioMatch[] | undefined, vsNamespace: string, ctx: RouteContext): RouteMatch[] | undefined {
  if (!matches?.length) return [];
  const kept: RouteMatch[] = [];
  for (const m of matches) {
    if (m.port !== undefined && m.port !== ctx.port) continue;
    if (m.sourceNamespace !== undefined && m.sourceNamespace !== ctx.workload.namespace) continue;
    if (m.sourceLabels && !Object.entries(m.sourceLabels).every(([k, v]) => ctx.workload.labels[k] === v)) continue;
    if (m.gateways && !m.gateways.map((g) => qualifyGateway(g, vsNamespace)).includes(ctx.gateway)) continue;
    const rm: RouteMatch = {};
    const uri = stringMatch(m.uri, m.ignoreUriCase);
    if (uri) rm.uri = uri;
    const method = stringMatch(m.method);
    if (method) rm.method = method;
    const authority = stringMatch(m.authority);
    if (authority) rm.authority = authority;
    const headers = [...keyMatches(m.headers, false, true), ...keyMatches(m.withoutHeaders, true, true)];
    if (headers.length) rm.headers = headers;
    const query = keyMatches(m.queryParams, false, false);
    if (query.length) rm.queryParams = query;
    kept.push(rm);
  }
  return kept.length > 0 ? kept : undefined;
}

export function headerOps(ops: IstioHeaders["request"]): HeaderOps | undefined {
  if (!ops) return undefined;
  const out: HeaderOps = {};
  if (ops.set && Object.keys(ops.set).length) out.set = Object.entries(ops.set).map(([k, v]) => [k.toLowerCase(), v]);
  if (ops.add && Object.keys(ops.add).length) out.add = Object.entries(ops.add).map(([k, v]) => [k.toLowerCase(), v]);
  if (ops.remove?.length) out.remove = ops.remove.map((k) => k.toLowerCase());
  return Object.keys(out).length ? out : undefined;
}

function percent(p: { percentage?: { value?: number }; percent?: number } | undefined): number {
  return p?.percentage?.value ?? p?.percent ?? 100;
}

function compileRule(rule: IstioHttpRoute, index: number, vs: KubeObject, ctx: RouteContext): Route | undefined {
  const namespace = vs.metadata.namespace ?? "default";
  const matches = compileMatches(rule.match, namespace, ctx);
  if (!matches) return undefined;
  const route: Route = { origin: { kind: "VirtualService", namespace, name: vs.metadata.name, rule: index }, matches };
  if (rule.redirect) {
    const r = rule.redirect;
    route.redirect = { status: r.redirectCode ?? 301, ...(r.uri ? { uri: r.uri } : {}), ...(r.authority ? { authority: r.authority } : {}), ...(r.scheme ? { scheme: r.scheme } : {}), ...(r.port ? { port: r.port } : {}) };
  } else if (rule.directResponse) {
    const body = rule.directResponse.body?.string ?? (rule.directResponse.body?.bytes ? atob(rule.directResponse.body.bytes) : undefined);
    route.directResponse = { status: rule.directResponse.status, ...(body !== undefined ? { body } : {}) };
  } else {
    const lone = (rule.route ?? []).length === 1;
    route.destinations = (rule.route ?? []).map((d): WeightedCluster => {
      const host = resolveHost(d.destination.host, namespace);
      const port = d.destination.port?.number ?? ctx.defaultPort(host, ctx.port);
      const wc: WeightedCluster = { cluster: outboundCluster(port, d.destination.subset ?? "", host), weight: lone ? 1 : (d.weight ?? 0) };
      const req = headerOps(d.headers?.request);
      const res = headerOps(d.headers?.response);
      if (req) wc.requestHeaders = req;
      if (res) wc.responseHeaders = res;
      return wc;
    });
  }
  const req = headerOps(rule.headers?.request);
  const res = headerOps(rule.headers?.response);
  if (req) route.requestHeaders = req;
  if (res) route.responseHeaders = res;
  if (rule.rewrite) {
    const rw = rule.rewrite;
    route.rewrite = {
      ...(rw.uri !== undefined ? { uri: rw.uri } : {}),
      ...(rw.uriRegexRewrite ? { uriRegex: { match: rw.uriRegexRewrite.match, substitution: rw.uriRegexRewrite.rewrite } } : {}),
      ...(rw.authority ? { authority: rw.authority } : {}),
    };
  }
  if (rule.fault) {
    route.fault = {};
    if (rule.fault.delay) route.fault.delay = { fixedDelayMs: durationMs(rule.fault.delay.fixedDelay) ?? 0, percent: percent(rule.fault.delay) };
    if (rule.fault.abort) route.fault.abort = { httpStatus: rule.fault.abort.httpStatus ?? 503, percent: percent(rule.fault.abort) };
  }
  const timeout = durationMs(rule.timeout);
  if (timeout !== undefined) route.timeoutMs = timeout;
  if (rule.retries) {
    const perTry = durationMs(rule.retries.perTryTimeout);
    route.retries = { attempts: rule.retries.attempts ?? 0, ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}), ...(rule.retries.retryOn ? { retryOn: rule.retries.retryOn } : {}) };
  }
  return route;
}

/** The routes one VirtualService contributes to a proxy's table for `ctx.port`. */
export function compileVirtualServiceRoutes(vs: KubeObject, ctx: RouteContext): Route[] {
  return (specOf<VirtualServiceSpec>(vs).http ?? []).flatMap((rule, i) => compileRule(rule, i, vs, ctx) ?? []);
}

/** Is the VirtualService visible to clients in `namespace` (exportTo)? */
export function virtualServiceVisible(vs: KubeObject, namespace: string): boolean {
  return exportedTo(specOf<VirtualServiceSpec>(vs).exportTo, vs.metadata.namespace, namespace);
}

/** The gateways a VirtualService binds to, qualified; no `gateways` means the mesh. */
export function boundGateways(vs: KubeObject): string[] {
  const gws = specOf<VirtualServiceSpec>(vs).gateways;
  return gws?.length ? gws.map((g) => qualifyGateway(g, vs.metadata.namespace ?? "default")) : ["mesh"];
}
