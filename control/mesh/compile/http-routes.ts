// Gateway API HTTPRoute rules → routes. Matches default to PathPrefix "/"; backendRefs go to
// the Service's cluster (weights default to 1); a rule with no valid backend (none, an unknown
// kind, a Service that does not exist, one in another namespace that no ReferenceGrant permits)
// answers 500, as the Gateway API requires. Ordering across routes follows the Gateway API
// precedence rules.
import { specOf } from "../config.ts";
import { CLUSTER_DOMAIN } from "../hosts.ts";
import type { KubeObject } from "../kinds/types.ts";
import type { HeaderOps, KeyMatch, Route, RouteMatch, StringMatch, WeightedCluster } from "../snapshot.ts";
import { outboundCluster } from "./clusters.ts";
import { durationMs } from "./durations.ts";
import { GATEWAY_GROUP, referencePermitted } from "./reference-grants.ts";

interface ValueMatch {
  type?: "Exact" | "RegularExpression";
  name: string;
  value: string;
}

interface HeaderFilter {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

interface PathModifier {
  type: "ReplaceFullPath" | "ReplacePrefixMatch";
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

interface RouteFilter {
  type: string;
  requestHeaderModifier?: HeaderFilter;
  responseHeaderModifier?: HeaderFilter;
  requestRedirect?: { scheme?: string; hostname?: string; path?: PathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: PathModifier };
}

interface HTTPRouteRule {
  matches?: { path?: { type?: "Exact" | "PathPrefix" | "RegularExpression"; value?: string }; headers?: ValueMatch[]; queryParams?: ValueMatch[]; method?: string }[];
  filters?: RouteFilter[];
  backendRefs?: { name: string; namespace?: string; port?: number; weight?: number; kind?: string; group?: string; filters?: RouteFilter[] }[];
  timeouts?: { request?: string; backendRequest?: string };
}

export interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPRouteSpec {
  parentRefs?: ParentRef[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

function pathMatch(path: NonNullable<NonNullable<HTTPRouteRule["matches"]>[number]["path"]>): StringMatch {
  const value = path.value ?? "/";
  switch (path.type ?? "PathPrefix") {
    case "Exact":
      return { exact: value };
    case "RegularExpression":
      return { regex: value };
    default:
      return value === "/" ? { prefix: "/" } : { segmentPrefix: value.replace(/\/$/, "") };
  }
}

function valueMatches(list: ValueMatch[] | undefined, lowerCase: boolean): KeyMatch[] {
  return (list ?? []).map((m) => ({
    name: lowerCase ? m.name.toLowerCase() : m.name,
    value: m.type === "RegularExpression" ? { regex: m.value } : { exact: m.value },
  }));
}

function headerOps(f: HeaderFilter | undefined): HeaderOps | undefined {
  if (!f) return undefined;
  const out: HeaderOps = {};
  if (f.set?.length) out.set = f.set.map((h) => [h.name.toLowerCase(), h.value]);
  if (f.add?.length) out.add = f.add.map((h) => [h.name.toLowerCase(), h.value]);
  if (f.remove?.length) out.remove = f.remove.map((h) => h.toLowerCase());
  return Object.keys(out).length ? out : undefined;
}

function compileMatches(rule: HTTPRouteRule): RouteMatch[] {
  const matches = rule.matches?.length ? rule.matches : [{}];
  return matches.map((m) => {
    const rm: RouteMatch = { uri: pathMatch(m.path ?? {}) };
    if (m.method) rm.method = { exact: m.method };
    const headers = valueMatches(m.headers, true);
    if (headers.length) rm.headers = headers;
    const query = valueMatches(m.queryParams, false);
    if (query.length) rm.queryParams = query;
    return rm;
  });
}

/** What compiling an HTTPRoute's rules needs to know besides the route. */
export interface HttpRouteContext {
  /** The mesh's services by hostname: a backendRef to a Service not among them is invalid. */
  servicesByHost: ReadonlyMap<string, unknown>;
  /** A backendRef to another namespace needs one of these to permit it. */
  referenceGrants: readonly KubeObject[];
  /** The Gateway listener the rules serve (redirects take their default port from it); none for mesh (GAMMA) routes. */
  listener?: { port: number; protocol: string };
}

const WELL_KNOWN_PORTS: Record<string, number> = { http: 80, https: 443 };

/**
 * The Location's port (HTTPRequestRedirectFilter.port): as set; else the redirect scheme's
 * well-known port; else the listener's. The router leaves a scheme's well-known port out.
 */
function redirectPort(r: NonNullable<RouteFilter["requestRedirect"]>, listener: HttpRouteContext["listener"]): number | undefined {
  if (r.port !== undefined) return r.port;
  if (!listener) return undefined;
  return (r.scheme ? WELL_KNOWN_PORTS[r.scheme.toLowerCase()] : undefined) ?? listener.port;
}

function applyFilters(route: Route, filters: RouteFilter[] | undefined, listener: HttpRouteContext["listener"]): void {
  for (const f of filters ?? []) {
    if (f.type === "RequestHeaderModifier") route.requestHeaders = headerOps(f.requestHeaderModifier);
    else if (f.type === "ResponseHeaderModifier") route.responseHeaders = headerOps(f.responseHeaderModifier);
    else if (f.type === "RequestRedirect" && f.requestRedirect) {
      const r = f.requestRedirect;
      const port = redirectPort(r, listener);
      route.redirect = {
        status: r.statusCode ?? 302,
        ...(r.scheme ? { scheme: r.scheme } : {}),
        ...(r.hostname ? { authority: r.hostname } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(r.path?.type === "ReplaceFullPath" ? { uri: r.path.replaceFullPath } : r.path?.type === "ReplacePrefixMatch" ? { prefix: r.path.replacePrefixMatch } : {}),
      };
    } else if (f.type === "URLRewrite" && f.urlRewrite) {
      const p = f.urlRewrite.path;
      route.rewrite = {
        ...(p?.type === "ReplaceFullPath" ? { fullPath: p.replaceFullPath } : p?.type === "ReplacePrefixMatch" ? { uri: p.replacePrefixMatch } : {}),
        ...(f.urlRewrite.hostname ? { authority: f.urlRewrite.hostname } : {}),
      };
    }
  }
}

const ROUTE_REFERRER = (namespace: string) => ({ group: GATEWAY_GROUP, kind: "HTTPRoute", namespace });

/** The routes of one HTTPRoute. */
export function compileHttpRouteRules(route: KubeObject, ctx: HttpRouteContext): Route[] {
  const namespace = route.metadata.namespace ?? "default";
  return (specOf<HTTPRouteSpec>(route).rules ?? []).map((rule, index): Route => {
    const compiled: Route = { origin: { kind: "HTTPRoute", namespace, name: route.metadata.name, rule: index }, matches: compileMatches(rule) };
    applyFilters(compiled, rule.filters, ctx.listener);
    if (!compiled.redirect) {
      const backends = (rule.backendRefs ?? [])
        .filter((b) => (b.kind ?? "Service") === "Service" && (b.group ?? "") === "")
        .filter((b) => referencePermitted(ctx.referenceGrants, ROUTE_REFERRER(namespace), { group: "", kind: "Service", namespace: b.namespace ?? namespace, name: b.name }))
        .map((b) => ({ ref: b, host: `${b.name}.${b.namespace ?? namespace}.svc.${CLUSTER_DOMAIN}` }))
        .filter((b) => ctx.servicesByHost.has(b.host));
      if (backends.length === 0) compiled.directResponse = { status: 500 };
      else
        compiled.destinations = backends.map(({ ref: b, host }): WeightedCluster => {
          const wc: WeightedCluster = { cluster: outboundCluster(b.port ?? 80, "", host), weight: b.weight ?? 1 };
          const f: Route = { origin: compiled.origin, matches: [] };
          applyFilters(f, b.filters, ctx.listener);
          if (f.requestHeaders) wc.requestHeaders = f.requestHeaders;
          if (f.responseHeaders) wc.responseHeaders = f.responseHeaders;
          return wc;
        });
    }
    const timeout = durationMs(rule.timeouts?.request);
    if (timeout !== undefined) compiled.timeoutMs = timeout;
    return compiled;
  });
}

/** Gateway API precedence within one host: exact path, longest prefix, method, more headers, more query params. */
function matchRank(m: RouteMatch): number[] {
  const path = m.uri?.exact !== undefined ? 2 : m.uri?.regex !== undefined ? 0 : 1;
  const len = (m.uri?.exact ?? m.uri?.segmentPrefix ?? m.uri?.prefix ?? m.uri?.regex ?? "").length;
  return [path, len, m.method ? 1 : 0, m.headers?.length ?? 0, m.queryParams?.length ?? 0];
}

/**
 * Splits routes into one route per match and orders them by precedence (stable: on ties the
 * order given, i.e. the oldest HTTPRoute and then rule order, wins).
 */
export function orderByPrecedence(routes: Route[]): Route[] {
  const split = routes.flatMap((r) => (r.matches.length <= 1 ? [r] : r.matches.map((m) => ({ ...r, matches: [m] }))));
  const keyed = split.map((r, i) => ({ r, i, rank: matchRank(r.matches[0] ?? {}) }));
  keyed.sort((a, b) => {
    for (let k = 0; k < a.rank.length; k++) if (a.rank[k] !== b.rank[k]) return b.rank[k] - a.rank[k];
    return a.i - b.i;
  });
  return keyed.map((k) => k.r);
}
