// Istio's VirtualService rule-reachability checks (pkg/config/validation/validation.go,
// analyzeUnreachable{HTTP,TCP,TLS}Rules, surfaced by istioctl's schema analyzer):
// - a rule after a rule without matches can never be used (IST0130);
// - a match identical to an earlier one (ignoring its name) is not used (IST0131), and a rule
//   whose matches all are is not used (IST0130);
// - HTTP only: a URI prefix match covered by an earlier, shorter prefix with the same other
//   conditions is not used (IST0131, "overlapping").
import { specOf } from "../config.ts";
import type { IstioMatch, IstioStringMatch } from "../compile/virtual-services.ts";
import { subjectOf, type AnalysisInput, type Finding, type Subject } from "./finding.ts";
import { virtualServiceIneffectiveMatch, virtualServiceUnreachableRule } from "./messages.ts";

type Match = IstioMatch & { name?: string };

interface Rule {
  name?: string;
  match?: Match[];
}

/** Go's JSON of a proto message: zero values omitted; keys sorted so equal matches compare equal. */
function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || v === null || v === false || v === "" || v === 0) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    // Empty maps are omitted; an empty IstioStringMatch inside a map (`present`) is kept.
    if (top && typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    out[key] = canonical(v, false);
  }
  return out;
}

function matchKey(match: Match, http: boolean): string {
  const { name: _name, ...rest } = match;
  return JSON.stringify(canonical(http ? rest : match));
}

function routeName(rule: Rule, i: number, http: boolean): string {
  return http && rule.name ? JSON.stringify(rule.name) : `#${i}`;
}

function requestName(match: Match, j: number, http: boolean): string {
  return http && match.name ? JSON.stringify(match.name) : `#${j}`;
}

interface PrefixMatch {
  route: string;
  match: string;
  field: string;
  prefix: string;
  port: number;
  method: string;
  authority: string;
  headers: Map<string, string>;
  queryParams: Map<string, string>;
  withoutHeaders: Map<string, string>;
}

function exactOrPrefix(m: IstioStringMatch | undefined): string {
  if (m?.exact) return `exact:${m.exact}`;
  if (m?.prefix) return `prefix:${m.prefix}`;
  return "";
}

function conditionMap(map: Record<string, IstioStringMatch> | undefined): Map<string, string> {
  return new Map(Object.entries(map ?? {}).map(([k, v]) => [k, exactOrPrefix(v)]));
}

/** genMatchHTTPRoutes: only matches with a URI prefix take part in the overlap check. */
function prefixMatch(route: string, match: string, field: string, m: Match): PrefixMatch | undefined {
  if (!m.uri?.prefix) return undefined;
  return {
    route,
    match,
    field,
    prefix: m.uri.prefix,
    port: m.port ?? 0,
    method: exactOrPrefix(m.method) || "exact:GET",
    authority: exactOrPrefix(m.authority),
    headers: conditionMap(m.headers),
    queryParams: conditionMap(m.queryParams),
    withoutHeaders: conditionMap(m.withoutHeaders),
  };
}

/** A condition of the earlier match `a` covers the later `b`'s (Istio's test: equal, or a has b's as prefix). */
function covers(a: string, b: string): boolean {
  return a === b || a.startsWith(b);
}

function mapsCovered(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const other = b.get(k);
    if (other === undefined || !covers(v, other)) return false;
  }
  return true;
}

/** coveredValidation: does earlier match `a` take every request later match `b` would? */
function covered(a: PrefixMatch, b: PrefixMatch): boolean {
  return (
    b.prefix.startsWith(a.prefix) &&
    a.port === b.port &&
    covers(a.method, b.method) &&
    covers(a.authority, b.authority) &&
    mapsCovered(a.headers, b.headers) &&
    mapsCovered(a.queryParams, b.queryParams) &&
    mapsCovered(a.withoutHeaders, b.withoutHeaders)
  );
}

function analyzeRules(subject: Subject, section: "http" | "tcp" | "tls", rules: Rule[], out: Finding[]): void {
  const http = section === "http";
  const seen = new Map<string, number>();
  const prefixes: PrefixMatch[] = [];
  let catchAll = -1;
  rules.forEach((rule, i) => {
    const route = routeName(rule, i, http);
    const field = `spec.${section}[${i}]`;
    const matches = rule.match ?? [];
    if (matches.length === 0) {
      if (catchAll >= 0) out.push(virtualServiceUnreachableRule(subject, route, "only the last rule can have no matches", field));
      catchAll = i;
      return;
    }
    if (catchAll >= 0) {
      // Istio reports this once per match; istioctl prints identical messages once.
      out.push(virtualServiceUnreachableRule(subject, route, "route without matches defined before", field));
      return;
    }
    let duplicates = 0;
    matches.forEach((m, j) => {
      const key = matchKey(m, http);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        out.push(virtualServiceIneffectiveMatch(subject, route, requestName(m, j, http), routeName(rules[earlier], earlier, http), `${field}.match[${j}]`));
        duplicates++;
        return;
      }
      seen.set(key, i);
      const p = http ? prefixMatch(route, requestName(m, j, http), `${field}.match[${j}]`, m) : undefined;
      if (p) prefixes.push(p);
    });
    if (duplicates === matches.length) out.push(virtualServiceUnreachableRule(subject, route, "all matches used by prior rules", field));
  });
  prefixes.forEach((a, i) => {
    for (const b of prefixes.slice(i + 1))
      if (b.prefix !== a.prefix && covered(a, b))
        out.push(virtualServiceIneffectiveMatch(subject, b.route, `${b.match} of prefix ${b.prefix}`, `${a.match} of prefix ${a.prefix} on ${a.route}`, b.field));
  });
}

export function analyzeUnreachableRules({ config }: AnalysisInput): Finding[] {
  const out: Finding[] = [];
  for (const vs of config.virtualServices) {
    const spec = specOf<{ http?: Rule[]; tcp?: Rule[]; tls?: Rule[] }>(vs);
    for (const section of ["http", "tcp", "tls"] as const) analyzeRules(subjectOf(vs), section, spec[section] ?? [], out);
  }
  return out;
}
