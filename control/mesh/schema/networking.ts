// Istio networking.istio.io kinds: VirtualService, DestinationRule, Gateway, ServiceEntry, WorkloadEntry, Sidecar.
//
// Structure follows istio/api networking/v1alpha3/*.proto (v1 and v1beta1 share it; JSON names are camelCase) and
// the generated CRD schema (kubernetes/customresourcedefinitions.gen.yaml, including its CEL rules). The semantic
// rules come from istio/istio pkg/config/validation/validation.go (ValidateVirtualService, ValidateDestinationRule,
// ValidateGateway, ValidateServiceEntry, ValidateWorkloadEntry, ValidateSidecar) and run as refinements, each
// reporting at the path of the offending field. Istio warnings (as opposed to errors) are not reported.
import { z } from "zod";
import { compileProgram, regexError as regexSyntaxError } from "../../../filters/lib/regex-syntax.ts";
import { customResource, labelMap, stringMap } from "./meta.ts";

// ---------------------------------------------------------------------------------------------------------------
// Reporting helpers

interface Ctx {
  addIssue(issue: { code: "custom"; path: PropertyKey[]; message: string }): void;
}

function fail(ctx: Ctx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

/** Reports `message` (if any) at `path`. */
function check(ctx: Ctx, path: PropertyKey[], message: string | undefined): void {
  if (message) fail(ctx, path, message);
}

/** The keys of `obj` among `keys` that are set. */
function setKeys<T extends object>(obj: T, keys: readonly (keyof T)[]): (keyof T)[] {
  return keys.filter((k) => obj[k] !== undefined);
}

function onlyOne<T extends object>(ctx: Ctx, obj: T, keys: readonly (keyof T & string)[]): void {
  const set = setKeys(obj, keys) as string[];
  if (set.length > 1) fail(ctx, [set[1]], `only one of ${keys.join(", ")} may be set (found ${set.join(" and ")})`);
}

// ---------------------------------------------------------------------------------------------------------------
// Names, hosts and addresses (istio pkg/config/labels, pkg/config/validation/agent)

const LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
const DNS_LABEL_RE = new RegExp(`^${LABEL}$`);
const WILDCARD_LABEL_RE = new RegExp(`^(\\*|(\\*|\\*-)?${LABEL})$`);

/** Istio's DNS-1123 label test (letters of either case, digits, '-'; at most 63 characters). */
function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL_RE.test(s);
}

function dnsPreconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name.length === 0) return "empty domain name not allowed";
  return undefined;
}

/** Checks the labels of `domain`; errors name `whole`, the full name `domain` was taken from. */
function dnsLabels(domain: string, whole = domain): string | undefined {
  const parts = domain.split(".");
  const tld = parts[parts.length - 1];
  if (/^[+-]?[0-9]+$/.test(tld)) return `domain name "${whole}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === "") return undefined; // a trailing dot is allowed: "istio.io."
    if (!isDnsLabel(parts[i])) return `domain name "${whole}" invalid (label "${parts[i]}" invalid)`;
  }
  return undefined;
}

/** A fully-qualified (or short) DNS name without wildcards. */
function fqdnError(name: string): string | undefined {
  return dnsPreconditions(name) ?? dnsLabels(name);
}

/** A DNS name that may carry a wildcard in its first label: `*`, `*.example.com`, `*-foo.example.com`. */
function wildcardDomainError(domain: string): string | undefined {
  const pre = dnsPreconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf(".");
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!(first.length <= 63 && WILDCARD_LABEL_RE.test(first))) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : dnsLabels(domain.slice(dot + 1), domain);
}

/** Hosts of a VirtualService bound to a gateway: also accepts the auto-generated SNI form outbound_.<port>_._.<host>. */
function gatewayVsHostError(sni: boolean, domain: string): string | undefined {
  const pre = dnsPreconditions(domain);
  if (pre) return pre;
  if (sni && domain.startsWith("outbound_")) {
    const parts = domain.split("_");
    const format = "outbound_.<port>_._.<hostname>";
    if (parts.length < 4) return `domain name ${domain} invalid, should follow '${format}' format`;
    const port = parts[1].replace(/^\.+|\.+$/g, "");
    const hostname = parts[3].replace(/^\.+|\.+$/g, "");
    if (!/[0-9]/.test(port)) return `domain name "${domain}" invalid (label "${port}" invalid). should follow ${format} format`;
    if (!/[a-zA-Z]/.test(hostname)) return `domain name "${domain}" invalid (label "${hostname}" invalid). should follow ${format} format`;
    return undefined;
  }
  return wildcardDomainError(domain);
}

function isWildcarded(host: string): boolean {
  return host.startsWith("*");
}

/** istio host.Name.Matches: equal, or one wildcard covers the other. */
function hostsOverlap(a: string, b: string): boolean {
  const aw = isWildcarded(a);
  const bw = isWildcarded(b);
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** istio host.Name.SubsetOf: every name `a` matches is also matched by `b`. */
function hostSubsetOf(a: string, b: string): boolean {
  const aw = isWildcarded(a);
  const bw = isWildcarded(b);
  if (aw && bw) return a.length >= b.length && a.slice(1).endsWith(b.slice(1));
  if (aw) return false;
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string, allowZone = true): boolean {
  let addr = s;
  const pct = addr.indexOf("%");
  if (pct >= 0) {
    if (!allowZone || pct === addr.length - 1) return false;
    addr = addr.slice(0, pct);
  }
  const halves = addr.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | undefined => (part === "" ? [] : part.split(":"));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return false;
  const all = [...left, ...right];
  let count = all.length;
  // An embedded IPv4 address may close the address and counts as two groups.
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!isIPv4(last)) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

function ipAddressError(addr: string): string | undefined {
  return isIP(addr) ? undefined : `${addr} is not a valid IP`;
}

/** An IP address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`). */
function ipSubnetError(subnet: string): string | undefined {
  if (subnet.split("/").length === 2) {
    const [addr, bits] = subnet.split("/");
    const max = isIPv4(addr) ? 32 : isIPv6(addr, false) ? 128 : -1;
    if (max < 0 || !/^(0|[1-9][0-9]*)$/.test(bits) || Number(bits) > max) return `${subnet} is not a valid CIDR block`;
    return undefined;
  }
  return ipAddressError(subnet);
}

/** The part after `unix://`. */
function unixAddressError(addr: string): string | undefined {
  if (addr.length === 0) return "unix address must not be empty";
  if (addr.startsWith("@")) return undefined; // abstract socket
  if (!addr.startsWith("/") || addr.endsWith("/")) return `${addr} is not an absolute path to a file`;
  return undefined;
}

const UNIX_PREFIX = "unix://";

function partialWildcardError(host: string): string | undefined {
  if (host.includes("*") && host.length !== 1 && !host.startsWith("*.")) return `partial wildcard "${host}" not allowed`;
  return undefined;
}

/** The `dnsName` part of a Gateway or Sidecar host. */
function sidecarOrGatewayHostnameErrors(hostname: string, isGateway: boolean): string[] {
  const errs: string[] = [];
  if (hostname !== "*" && !hostname.includes(".")) errs.push("short names (non FQDN) are not allowed");
  const err = wildcardDomainError(hostname);
  if (err && !(isGateway && isIP(hostname))) errs.push(err); // a Gateway may also name an IP address
  const partial = partialWildcardError(hostname);
  if (partial) errs.push(partial);
  return errs;
}

/** `namespace/dnsName` (Sidecar egress, Gateway servers); a Gateway also accepts a bare dnsName. */
function namespaceSlashHostErrors(host: string, isGateway: boolean): string[] {
  const slash = host.indexOf("/");
  if (slash < 0) {
    if (isGateway) return sidecarOrGatewayHostnameErrors(host, true);
    return [`host "${host}" must be of form namespace/dnsName`];
  }
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  const errs: string[] = [];
  if (ns.length === 0 || name.length === 0) errs.push("config namespace and dnsName in host entry cannot be empty");
  if (!isGateway) {
    const bare = ns.replace(/^~/, "");
    if (bare !== "" && bare !== "*" && bare !== "." && !isDnsLabel(bare)) errs.push(`invalid namespace value "${ns}" in sidecar`);
  } else if (ns !== "*" && ns !== "." && !isDnsLabel(ns)) {
    errs.push(`invalid namespace value "${ns}" in gateway`);
  }
  return [...errs, ...sidecarOrGatewayHostnameErrors(name, isGateway)];
}

/** Gateway references in a VirtualService: `name`, `namespace/name`, legacy `name.namespace...`, or `mesh`. */
function gatewayNameError(name: string): string | undefined {
  const slash = name.indexOf("/");
  if (slash < 0) return fqdnError(name);
  const ns = name.slice(0, slash);
  const gw = name.slice(slash + 1);
  if (ns.length === 0 || gw.length === 0) return "config namespace and gateway name cannot be empty";
  if (!isDnsLabel(ns)) return `invalid value for namespace: "${ns}"`;
  if (!isDnsLabel(gw)) return `invalid value for gateway name: "${gw}"`;
  return undefined;
}

function subsetNameError(name: string): string | undefined {
  if (name.length === 0) return "subset name cannot be empty";
  if (!isDnsLabel(name)) return `subset name is invalid: ${name} (must be a DNS-1123 label)`;
  return undefined;
}

function portNameError(name: string): string | undefined {
  return isDnsLabel(name) ? undefined : `invalid port name: ${name} (must be a DNS-1123 label)`;
}

// pkg/config/protocol: names are matched case-insensitively.
const PROTOCOLS = new Map<string, string>([
  ["tcp", "TCP"],
  ["udp", "UDP"],
  ["grpc", "GRPC"],
  ["grpc-web", "GRPC-Web"],
  ["http", "HTTP"],
  ["http_proxy", "HTTP_PROXY"],
  ["http2", "HTTP2"],
  ["https", "HTTPS"],
  ["tls", "TLS"],
  ["mongo", "Mongo"],
  ["redis", "Redis"],
  ["mysql", "MySQL"],
]);
const parseProtocol = (p: string | undefined): string | undefined => PROTOCOLS.get((p ?? "").toLowerCase());
const isHttpProtocol = (p: string | undefined) => ["HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-Web"].includes(parseProtocol(p) ?? "");
const isTlsProtocol = (p: string | undefined) => ["HTTPS", "TLS"].includes(parseProtocol(p) ?? "");
const SUPPORTED_PROTOCOLS = "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, UDP, MONGO, REDIS, MYSQL";

/** An empty protocol means "sniff". */
function protocolError(p: string | undefined): string | undefined {
  if (p === undefined || p === "" || parseProtocol(p)) return undefined;
  return `unsupported protocol: ${p}; supported protocols are ${SUPPORTED_PROTOCOLS}`;
}

// HTTP header names (RFC 7230 tchar) and values.
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([":method", ":scheme", ":authority", ":path", ":status"]);
const isJwtClaimRoute = (name: string) => /^@request\.auth\.claims[.[]/.test(name);
const isInternalHeader = (name: string) => name.startsWith(":") || name.toLowerCase() === "host";
const isAuthorityHeader = (name: string) => name.toLowerCase() === ":authority" || name.toLowerCase() === "host";

function matchHeaderNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (isJwtClaimRoute(name) || PSEUDO_HEADERS.has(name)) return undefined;
  return HEADER_NAME_RE.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

/** Header names for request add/set: may rewrite the authority (`host`, `:authority`), no other pseudo-header. */
function requestSetHeaderNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (isInternalHeader(name) && !isAuthorityHeader(name)) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

/** Header names for request removal and any response operation. */
function headerOperationNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (name.toLowerCase() === "host") return `invalid header "${name}": cannot set Host header`;
  if (isInternalHeader(name)) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

function corsHeaderNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (name === "*" || HEADER_NAME_RE.test(name)) return undefined;
  return `header name ${name} is not a valid header name`;
}

/** Values may hold Envoy %VARIABLE% expressions; a lone `%` must be written `%%`. (Simplified from Istio.) */
function headerValueError(value: string): string | undefined {
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return `header value configuration ${JSON.stringify(value)} is invalid: control characters are not allowed`;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== "%") continue;
    if (value[i + 1] === "%") {
      i++;
      continue;
    }
    const close = value.indexOf("%", i + 1);
    if (close < 0) return "header value configuration: invalid header configuration. Un-escaped %";
    i = close;
  }
  return undefined;
}

/**
 * Istio's regex length cap, then the filters' own compiler (filters/lib/regex-syntax.ts, the code
 * every proxy compiles the config with): a regex is accepted exactly when the data plane can run it.
 */
export function regexError(re: string): string | undefined {
  if (re.length > 1024) return "regex is too large, max length allowed is 1024";
  if (compileProgram(re, false)) return undefined;
  return `invalid regex ${JSON.stringify(re)}: ${regexSyntaxError}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
}

// Durations: Go/CEL style strings ("1s", "0.5s", "1h30m", "250ms").
const DURATION_RE = /^([0-9]+(\.[0-9]+)?(h|m|s|ms|us|µs|μs|ns))+$/;
const UNIT_NS: Record<string, number> = { h: 3.6e12, m: 6e10, s: 1e9, ms: 1e6, us: 1e3, "µs": 1e3, "μs": 1e3, ns: 1 };

function durationNanos(s: string): number | undefined {
  if (!DURATION_RE.test(s)) return undefined;
  let total = 0;
  for (const [, num, unit] of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|us|µs|μs|ns|h|m|s)/g)) total += Math.round(Number(num) * UNIT_NS[unit]);
  return total;
}

/** Any well-formed duration, including 0s. */
const anyDuration = z.string().regex(DURATION_RE, 'must be a duration such as "1s", "0.5s", "250ms" or "1h30m"');

/** Istio's ValidateDuration: at least 1ms, at millisecond precision. */
const duration = anyDuration.superRefine((s, ctx) => {
  const ns = durationNanos(s);
  if (ns === undefined) return;
  if (ns < 1e6) fail(ctx, [], "duration must be greater than 1ms");
  else if (ns % 1e6 !== 0) fail(ctx, [], "only durations to ms precision are supported");
});

// ---------------------------------------------------------------------------------------------------------------
// Scalars

const uint32 = z.uint32();
const int32 = z.int32();
const uint64 = z.int().min(0);
/** A port number that must be set. */
const port = z.int().min(1, "port must be between 1-65535").max(65535, "port must be between 1-65535");
/** A port where 0 means "not set" (protobuf default). */
const optionalPort = z.int().min(0, "port must be between 1-65535").max(65535, "port must be between 1-65535");
const nonNegativeInt32 = (what: string) => int32.min(0, `${what} must be non-negative`);
const percentInt = z.int().min(0, "percentage must be in range 0..100").max(100, "percentage must be in range 0..100");

const percentage = z.strictObject({ value: z.number() });

/** Fault injection: 0, or in [0.0001, 100]. */
const faultPercentage = percentage.superRefine((p, ctx) => {
  if (p.value < 0 || p.value > 100 || (p.value > 0 && p.value < 0.0001))
    fail(ctx, ["value"], `percentage ${p.value} is neither 0.0, nor in range [0.0001, 100.0]`);
});

const mirrorPercentage = z.strictObject({
  value: z.number().min(0, "mirror percentage must have a min value of 0").max(100, "mirror percentage must have a max value of 100"),
});

/** Selector labels of a Sidecar or ServiceEntry (networking WorkloadSelector: `labels`). */
const selectorLabels = z.record(z.string(), z.string().max(63)).superRefine((labels, ctx) => {
  if (Object.keys(labels).length > 256) fail(ctx, [], "must have at most 256 labels");
  for (const [k, v] of Object.entries(labels)) {
    if (k === "") fail(ctx, [k], `empty key is not supported in selector: "${k}=${v}"`);
    if (k.includes("*") || v.includes("*")) fail(ctx, [k], `wildcard is not supported in selector: "${k}=${v}"`);
  }
});
const workloadSelector = z.strictObject({ labels: selectorLabels.optional() });
/** istio.type.v1beta1.WorkloadSelector (DestinationRule): `matchLabels`. */
const typeWorkloadSelector = z.strictObject({ matchLabels: selectorLabels.optional() });

// ---------------------------------------------------------------------------------------------------------------
// Shared VirtualService pieces

interface StringMatchRules {
  /** The match must name one of exact/prefix/regex (Istio treats an empty header match as "present"). */
  required?: boolean;
  /** `prefix: ""` is meaningful for URIs only. */
  emptyPrefixOk?: boolean;
  /** withoutHeaders: `regex: "*"` means "header present", not a regex. */
  starRegexOk?: boolean;
  /** CORS allowOrigins: the value must be non-empty whatever the match type. */
  nonEmpty?: boolean;
}

const STRING_MATCH_KEYS = ["exact", "prefix", "regex"] as const;

function stringMatch(rules: StringMatchRules) {
  return z
    .strictObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() })
    .superRefine((m, ctx) => {
      const set = setKeys(m, STRING_MATCH_KEYS);
      if (set.length > 1) fail(ctx, [set[1]], `only one of exact, prefix or regex may be set (found ${set.join(" and ")})`);
      if (set.length === 0 && rules.required) fail(ctx, [], "exactly one of exact, prefix or regex must be set");
      if (rules.nonEmpty && set.length === 1 && m[set[0]] === "") fail(ctx, [set[0]], `'' is not a valid match value for CORS allow origins`);
      if (m.prefix === "" && !rules.emptyPrefixOk && !rules.nonEmpty) fail(ctx, ["prefix"], "prefix string match should not be empty");
      if (m.regex !== undefined && !(rules.starRegexOk && m.regex === "*")) {
        if (m.regex === "") {
          if (!rules.nonEmpty) fail(ctx, ["regex"], "regex string match should not be empty");
        } else check(ctx, ["regex"], regexError(m.regex));
      }
    });
}

const uriMatch = stringMatch({ required: true, emptyPrefixOk: true });
const requestPartMatch = stringMatch({ required: true });
const headerMatch = stringMatch({});
const withoutHeaderMatch = stringMatch({ starRegexOk: true });
const originMatch = stringMatch({ required: true, nonEmpty: true });

const portSelector = z.strictObject({ number: port });

const destination = z
  .strictObject({ host: z.string(), subset: z.string().optional(), port: portSelector.optional() })
  .superRefine((d, ctx) => {
    if (d.host === "*") fail(ctx, ["host"], "invalid destination host *: a destination must name a service");
    else check(ctx, ["host"], wildcardDomainError(d.host));
    if (d.subset !== undefined) check(ctx, ["subset"], subsetNameError(d.subset));
  });

function headerOperations(direction: "request" | "response") {
  const setName = direction === "request" ? requestSetHeaderNameError : headerOperationNameError;
  const values = z.record(z.string(), z.string());
  return z
    .strictObject({ set: values.optional(), add: values.optional(), remove: z.array(z.string()).optional() })
    .superRefine((ops, ctx) => {
      for (const field of ["set", "add"] as const)
        for (const [name, value] of Object.entries(ops[field] ?? {})) {
          check(ctx, [field, name], setName(name));
          check(ctx, [field, name], headerValueError(value));
        }
      (ops.remove ?? []).forEach((name, i) => check(ctx, ["remove", i], headerOperationNameError(name)));
    });
}

const headers = z.strictObject({ request: headerOperations("request").optional(), response: headerOperations("response").optional() });

const weight = int32.min(0, "weight must be non-negative");

/** A list of weighted destinations: when there are several, their weights may not all be zero. */
function weightedRoutes<T extends z.ZodType<{ weight?: number }>>(item: T) {
  return z.array(item).superRefine((routes, ctx) => {
    const total = routes.reduce((sum, r) => sum + (r.weight ?? 0), 0);
    if (routes.length > 1 && total === 0)
      fail(ctx, [], "total destination weight = 0: with several destinations, at least one weight must be positive");
  });
}

const httpRouteDestination = z.strictObject({ destination, weight: weight.optional(), headers: headers.optional() });
const routeDestination = z.strictObject({ destination, weight: weight.optional() });

function checkGatewayNames(ctx: Ctx, path: PropertyKey[], names: string[] | undefined): void {
  (names ?? []).forEach((name, i) => check(ctx, [...path, i], gatewayNameError(name)));
}

function checkSourceNamespace(ctx: Ctx, ns: string | undefined): void {
  if (ns !== undefined && ns !== "" && !isDnsLabel(ns)) fail(ctx, ["sourceNamespace"], `sourceNamespace match ${ns} is invalid`);
}

const httpMatchRequest = z
  .strictObject({
    name: z.string().optional(),
    uri: uriMatch.optional(),
    scheme: requestPartMatch.optional(),
    method: requestPartMatch.optional(),
    authority: requestPartMatch.optional(),
    headers: z.record(z.string(), headerMatch).optional(),
    port: optionalPort.optional(),
    sourceLabels: labelMap.optional(),
    gateways: z.array(z.string()).optional(),
    queryParams: z.record(z.string(), headerMatch).optional(),
    ignoreUriCase: z.boolean().optional(),
    withoutHeaders: z.record(z.string(), withoutHeaderMatch).optional(),
    sourceNamespace: z.string().optional(),
    statPrefix: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    for (const field of ["headers", "withoutHeaders"] as const)
      for (const name of Object.keys(m[field] ?? {})) check(ctx, [field, name], matchHeaderNameError(name));
    checkGatewayNames(ctx, ["gateways"], m.gateways);
    checkSourceNamespace(ctx, m.sourceNamespace);
  });

const httpRedirect = z
  .strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    port: optionalPort.optional(),
    derivePort: z.enum(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]).optional(),
    scheme: z.string().optional(),
    redirectCode: uint32.optional(),
    prefixRewrite: z.string().optional(),
  })
  .superRefine((r, ctx) => {
    onlyOne(ctx, r, ["port", "derivePort"]);
    if (r.uri && r.prefixRewrite) fail(ctx, ["prefixRewrite"], "redirect may only specify one of uri or prefixRewrite");
    if (!r.uri && !r.prefixRewrite && !r.authority && r.port === undefined && r.derivePort === undefined && !r.scheme)
      fail(ctx, [], "redirect must specify uri, prefixRewrite, authority, scheme, port or derivePort");
    if (r.redirectCode && (r.redirectCode < 300 || r.redirectCode > 399))
      fail(ctx, ["redirectCode"], `${r.redirectCode} is not a valid redirect code, must be 3xx`);
    if (r.scheme && r.scheme !== "http" && r.scheme !== "https") fail(ctx, ["scheme"], 'invalid redirect scheme, must be "http" or "https"');
  });

const MB = 1024 * 1024;
const httpDirectResponse = z.strictObject({
  status: z.int().min(200, "HTTP status must be in range 200-599").max(599, "HTTP status must be in range 200-599"),
  body: z
    .strictObject({ string: z.string().optional(), bytes: z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, "must be base64-encoded").optional() })
    .superRefine((b, ctx) => {
      onlyOne(ctx, b, ["string", "bytes"]);
      const size = b.string !== undefined ? new TextEncoder().encode(b.string).length : Math.floor(((b.bytes ?? "").length * 3) / 4);
      if (size > MB) fail(ctx, [], "large direct_responses may impact control plane performance, must be less than 1MB");
    })
    .optional(),
});

const delegate = z.strictObject({ name: z.string().optional(), namespace: z.string().optional() });

const httpRewrite = z
  .strictObject({
    uri: z.string().optional(),
    authority: z.string().optional(),
    uriRegexRewrite: z.strictObject({ match: z.string().optional(), rewrite: z.string().optional() }).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.uri && r.uriRegexRewrite) fail(ctx, ["uriRegexRewrite"], "rewrite may only contain one of uri or uriRegexRewrite");
    if (!r.uri && !r.uriRegexRewrite && !r.authority) fail(ctx, [], "rewrite must specify at least one of uri, uriRegexRewrite or authority");
    const rr = r.uriRegexRewrite;
    if (rr) {
      if (!rr.match || !rr.rewrite) fail(ctx, ["uriRegexRewrite"], "uriRegexRewrite requires both rewrite and match fields to be specified");
      if (rr.match) check(ctx, ["uriRegexRewrite", "match"], regexError(rr.match));
    }
  });

// Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies; a known HTTP status code is accepted too.
const RETRY_ON = new Set([
  "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
  "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
  "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
]);
// Status codes Go's net/http knows (http.StatusText != "").
const HTTP_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

const httpRetry = z
  .strictObject({
    attempts: int32.min(0, "attempts cannot be negative").optional(),
    perTryTimeout: duration.optional(),
    retryOn: z.string().optional(),
    retryRemoteLocalities: z.boolean().optional(),
    retryIgnorePreviousHosts: z.boolean().optional(),
    backoff: duration.optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.attempts && (r.perTryTimeout !== undefined || r.retryOn || r.retryRemoteLocalities !== undefined))
      fail(ctx, ["attempts"], "http retry policy configured when attempts are set to 0 (disabled): set attempts to at least 1");
    if (r.retryOn)
      for (const policy of r.retryOn.split(","))
        if (!RETRY_ON.has(policy) && !(/^[0-9]+$/.test(policy) && HTTP_STATUS_CODES.has(Number(policy))))
          fail(ctx, ["retryOn"], `"${policy}" is not a valid retryOn policy`);
  });

const GRPC_STATUS = new Set([
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
  "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]);

const faultDelay = z
  .strictObject({
    percent: percentInt.optional(), // deprecated: use percentage
    fixedDelay: duration.optional(),
    exponentialDelay: duration.optional(),
    percentage: faultPercentage.optional(),
  })
  .superRefine((d, ctx) => {
    onlyOne(ctx, d, ["fixedDelay", "exponentialDelay"]);
    if (d.exponentialDelay !== undefined) fail(ctx, ["exponentialDelay"], "exponentialDelay not supported yet");
  });

const faultAbort = z
  .strictObject({
    httpStatus: int32.optional(),
    grpcStatus: z.string().optional(),
    http2Error: z.string().optional(),
    percentage: faultPercentage.optional(),
  })
  .superRefine((a, ctx) => {
    onlyOne(ctx, a, ["httpStatus", "grpcStatus", "http2Error"]);
    if (a.httpStatus !== undefined && (a.httpStatus < 200 || a.httpStatus > 599))
      fail(ctx, ["httpStatus"], `HTTP status ${a.httpStatus} is not in range 200-599`);
    if (a.grpcStatus !== undefined && !GRPC_STATUS.has(a.grpcStatus))
      fail(ctx, ["grpcStatus"], `gRPC status "${a.grpcStatus}" is not supported; use a code name such as "NOT_FOUND" or "UNAVAILABLE"`);
    if (a.http2Error !== undefined) fail(ctx, ["http2Error"], "HTTP/2 abort fault injection not supported yet");
  });

const httpFault = z
  .strictObject({ delay: faultDelay.optional(), abort: faultAbort.optional() })
  .superRefine((f, ctx) => {
    if (!f.delay && !f.abort) fail(ctx, [], "HTTP fault injection must have an abort and/or a delay");
  });

const CORS_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"]);

const corsPolicy = z
  .strictObject({
    allowOrigin: z.array(z.string()).optional(), // deprecated: use allowOrigins
    allowOrigins: z.array(originMatch).optional(),
    allowMethods: z.array(z.string()).optional(),
    allowHeaders: z.array(z.string()).optional(),
    exposeHeaders: z.array(z.string()).optional(),
    maxAge: duration.optional(),
    allowCredentials: z.boolean().optional(),
    unmatchedPreflights: z.enum(["UNSPECIFIED", "FORWARD", "IGNORE"]).optional(),
  })
  .superRefine((c, ctx) => {
    (c.allowMethods ?? []).forEach((m, i) => {
      if (!CORS_METHODS.has(m)) fail(ctx, ["allowMethods", i], `"${m}" is not a supported HTTP method`);
    });
    for (const field of ["allowHeaders", "exposeHeaders"] as const)
      (c[field] ?? []).forEach((name, i) => check(ctx, [field, i], corsHeaderNameError(name)));
    const ns = c.maxAge === undefined ? undefined : durationNanos(c.maxAge);
    if (ns !== undefined && ns % 1e9 !== 0) fail(ctx, ["maxAge"], "max_age duration is accurate only to seconds precision");
  });

const httpMirrorPolicy = z.strictObject({ destination, percentage: mirrorPercentage.optional() });

const deprecatedMirrorPercent = z.int().min(0).max(100, "mirror_percent must have a max value of 100");

const httpRoute = z
  .strictObject({
    name: z.string().optional(),
    match: z.array(httpMatchRequest).optional(),
    route: weightedRoutes(httpRouteDestination).optional(),
    redirect: httpRedirect.optional(),
    directResponse: httpDirectResponse.optional(),
    delegate: delegate.optional(),
    rewrite: httpRewrite.optional(),
    timeout: duration.optional(),
    retries: httpRetry.optional(),
    fault: httpFault.optional(),
    mirror: destination.optional(),
    mirrors: z.array(httpMirrorPolicy).optional(),
    mirrorPercent: deprecatedMirrorPercent.optional(), // deprecated: use mirrorPercentage
    mirror_percent: deprecatedMirrorPercent.optional(), // the CRD's alternative spelling of mirrorPercent
    mirrorPercentage: mirrorPercentage.optional(),
    corsPolicy: corsPolicy.optional(),
    headers: headers.optional(),
  })
  .superRefine((r, ctx) => {
    const hasRoute = (r.route?.length ?? 0) > 0;
    if (r.delegate) {
      // A root route hands the request to the delegate VirtualService: it may not route by itself.
      if (r.redirect) fail(ctx, ["redirect"], "root HTTP route (with delegate) must not specify redirect");
      if (r.route) fail(ctx, ["route"], "root HTTP route (with delegate) must not specify route");
      return;
    }
    const exclusive = (present: "redirect" | "directResponse") => {
      const name = present === "redirect" ? "redirect" : "directResponse";
      if (hasRoute) fail(ctx, [present], `HTTP route cannot contain both route and ${name}`);
      if (r.fault) fail(ctx, [present], `HTTP route cannot contain both fault and ${name}`);
      if (r.rewrite) fail(ctx, [present], `HTTP route cannot contain both rewrite and ${name}`);
    };
    if (r.redirect) {
      exclusive("redirect");
      if (r.directResponse) fail(ctx, ["directResponse"], "HTTP route cannot contain both redirect and directResponse");
    } else if (r.directResponse) exclusive("directResponse");
    else if (!hasRoute) fail(ctx, ["route"], "HTTP route needs one of route, redirect, directResponse or delegate");
    if (r.mirror && (r.mirrors?.length ?? 0) > 0) fail(ctx, ["mirrors"], "HTTP route cannot contain both mirror and mirrors");

    if (r.redirect?.prefixRewrite)
      (r.match ?? []).forEach((m, i) => {
        if (m.uri && m.uri.prefix === undefined)
          fail(ctx, ["match", i, "uri"], "redirect prefixRewrite requires all URI matches to use prefix match type");
      });

    // The authority may be rewritten in one place only.
    let authority = r.rewrite?.authority || undefined;
    for (const op of ["set", "add"] as const)
      for (const [name, value] of Object.entries(r.headers?.request?.[op] ?? {})) {
        if (!isAuthorityHeader(name)) continue;
        if (authority !== undefined)
          fail(ctx, ["headers", "request", op, name], `authority header cannot be set multiple times: have "${authority}", attempting to set "${value}"`);
        else authority = value;
      }
  });

const tlsMatchAttributes = z
  .strictObject({
    sniHosts: z.array(z.string()),
    destinationSubnets: z.array(z.string()).optional(),
    port: optionalPort.optional(),
    sourceLabels: labelMap.optional(),
    gateways: z.array(z.string()).optional(),
    sourceNamespace: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.sniHosts.length === 0) fail(ctx, ["sniHosts"], "TLS match must have at least one SNI host");
    (m.destinationSubnets ?? []).forEach((s, i) => check(ctx, ["destinationSubnets", i], ipSubnetError(s)));
    checkGatewayNames(ctx, ["gateways"], m.gateways);
    checkSourceNamespace(ctx, m.sourceNamespace);
  });

const l4MatchAttributes = z
  .strictObject({
    destinationSubnets: z.array(z.string()).optional(),
    port: optionalPort.optional(),
    sourceSubnet: z.string().optional(),
    sourceLabels: labelMap.optional(),
    gateways: z.array(z.string()).optional(),
    sourceNamespace: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    (m.destinationSubnets ?? []).forEach((s, i) => check(ctx, ["destinationSubnets", i], ipSubnetError(s)));
    checkGatewayNames(ctx, ["gateways"], m.gateways);
    checkSourceNamespace(ctx, m.sourceNamespace);
  });

const tlsRoute = z
  .strictObject({ match: z.array(tlsMatchAttributes), route: weightedRoutes(routeDestination).optional() })
  .superRefine((r, ctx) => {
    if (r.match.length === 0) fail(ctx, ["match"], "TLS route must have at least one match condition");
    if ((r.route?.length ?? 0) === 0) fail(ctx, ["route"], "TLS route is required: add at least one route destination");
  });

const tcpRoute = z
  .strictObject({ match: z.array(l4MatchAttributes).optional(), route: weightedRoutes(routeDestination).optional() })
  .superRefine((r, ctx) => {
    if ((r.route?.length ?? 0) === 0) fail(ctx, ["route"], "TCP route is required: add at least one route destination");
  });

const exportTo = z.array(z.string());

const virtualServiceSpec = z
  .strictObject({
    hosts: z.array(z.string()).optional(),
    gateways: z.array(z.string()).optional(),
    http: z.array(httpRoute).optional(),
    tls: z.array(tlsRoute).optional(),
    tcp: z.array(tcpRoute).optional(),
    exportTo: exportTo.optional(),
  })
  .superRefine((vs, ctx) => {
    const hosts = vs.hosts ?? [];
    const gateways = vs.gateways ?? [];
    const isDelegate = hosts.length === 0;
    if (isDelegate) {
      // Without hosts, this is a delegate VirtualService, only reachable from a root's http[].delegate.
      if (gateways.length > 0) fail(ctx, ["gateways"], "delegate virtual service (no hosts) must have no gateways specified");
      if (vs.tls?.length) fail(ctx, ["tls"], "delegate virtual service (no hosts) must have no tls route specified");
      if (vs.tcp?.length) fail(ctx, ["tcp"], "delegate virtual service (no hosts) must have no tcp route specified");
      vs.http?.forEach((r, i) => {
        if (r.delegate) fail(ctx, ["http", i, "delegate"], "delegate HTTP route cannot contain delegate");
      });
    }
    checkGatewayNames(ctx, ["gateways"], vs.gateways);
    const appliesToGateway = gateways.length > 0 && !gateways.includes("mesh");
    const appliesToMesh = !appliesToGateway;

    if (!appliesToGateway)
      vs.http?.forEach((r, i) =>
        r.match?.forEach((m, j) => {
          for (const field of ["headers", "withoutHeaders"] as const)
            for (const key of Object.keys(m[field] ?? {}))
              if (isJwtClaimRoute(key))
                fail(ctx, ["http", i, "match", j, field, key], `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways`);
        }),
      );

    const sni = (vs.tls ?? []).some((t) => t.match.some((m) => m.sniHosts.length > 0));
    let allHostsValid = true;
    hosts.forEach((h, i) => {
      const err = appliesToGateway ? gatewayVsHostError(sni, h) : wildcardDomainError(h);
      if (err) {
        if (!isIP(h)) {
          fail(ctx, ["hosts", i], err);
          allHostsValid = false;
        }
      } else if (appliesToMesh && h === "*") {
        fail(ctx, ["hosts", i], "wildcard host * is not allowed for virtual services bound to the mesh gateway");
        allHostsValid = false;
      }
    });
    if (allHostsValid)
      for (let i = 0; i < hosts.length; i++)
        for (let j = i + 1; j < hosts.length; j++)
          if (hostsOverlap(hosts[i], hosts[j])) fail(ctx, ["hosts", j], `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`);

    if (!vs.http?.length && !vs.tcp?.length && !vs.tls?.length) fail(ctx, [], "http, tcp or tls must be provided in virtual service");

    // Every SNI host must be served by one of the VirtualService's hosts.
    vs.tls?.forEach((route, i) =>
      route.match.forEach((m, j) =>
        m.sniHosts.forEach((sniHost, k) => {
          const path = ["tls", i, "match", j, "sniHosts", k];
          const err = appliesToGateway ? gatewayVsHostError(true, sniHost) : wildcardDomainError(sniHost);
          if (err) {
            if (!isIP(sniHost)) fail(ctx, path, err);
          } else if (!hosts.some((h) => hostSubsetOf(sniHost, h)))
            fail(ctx, path, `SNI host "${sniHost}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(", ")}]`);
        }),
      ),
    );
  });

/** exportTo entries: `.`, `*`, a namespace, or (ServiceEntry only) `~`; needs the object's own namespace. */
function checkExportTo(
  ctx: Ctx,
  namespace: string,
  entries: string[] | undefined,
  opts: { serviceEntry?: boolean; withWorkloadSelector?: boolean } = {},
): void {
  if (!entries || entries.length === 0) return;
  const path = (i: number) => ["spec", "exportTo", i];
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const key = e === "." ? namespace : e;
    if (seen.has(key)) {
      fail(ctx, path(i), key !== e ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${e}`);
      return;
    }
    if (e === "~" && !opts.serviceEntry) fail(ctx, path(i), "exportTo ~ (none) is not allowed for Istio configuration objects");
    else if (e !== "~" && e !== "." && e !== "*" && !isDnsLabel(e)) fail(ctx, path(i), "only ., *, or a valid DNS 1123 label is allowed as exportTo entry");
    else seen.add(key);
  });
  if (opts.withWorkloadSelector && seen.size > 0) {
    if (!seen.has(namespace)) fail(ctx, ["spec", "exportTo"], "destination rule with workload selector cannot have exportTo beyond current namespace");
    else if (seen.size > 1) fail(ctx, ["spec", "exportTo"], "destination rule with workload selector cannot have multiple entries in exportTo");
  }
  if (seen.has("*") && entries.length > 1) fail(ctx, ["spec", "exportTo"], "cannot have both public (*) and non-public exportTo values for a resource");
  if (seen.has("~") && entries.length > 1) fail(ctx, ["spec", "exportTo"], "cannot export service entry to no one (~) and someone");
}

export const virtualServiceSchema = customResource(virtualServiceSpec).superRefine((vs, ctx) =>
  checkExportTo(ctx, vs.metadata.namespace ?? "", vs.spec.exportTo),
);

// ---------------------------------------------------------------------------------------------------------------
// DestinationRule

const tcpSettings = z.strictObject({
  maxConnections: nonNegativeInt32("max connections").optional(),
  connectTimeout: duration.optional(),
  tcpKeepalive: z.strictObject({ probes: uint32.optional(), time: duration.optional(), interval: duration.optional() }).optional(),
  maxConnectionDuration: duration.optional(),
  // "0s" disables the idle timeout.
  idleTimeout: anyDuration
    .superRefine((s, ctx) => {
      const ns = durationNanos(s);
      // Anything under 1ms (such as "0s") disables the timeout and is not checked further.
      if (ns !== undefined && ns >= 1e6 && ns % 1e6 !== 0) fail(ctx, [], "only durations to ms precision are supported");
    })
    .optional(),
});

const httpSettings = z
  .strictObject({
    http1MaxPendingRequests: nonNegativeInt32("http1 max pending requests").optional(),
    http2MaxRequests: nonNegativeInt32("http2 max requests").optional(),
    maxRequestsPerConnection: nonNegativeInt32("max requests per connection").optional(),
    maxRetries: nonNegativeInt32("max retries").optional(),
    idleTimeout: duration.optional(),
    h2UpgradePolicy: z.enum(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"]).optional(),
    useClientProtocol: z.boolean().optional(),
    maxConcurrentStreams: nonNegativeInt32("max concurrent streams").optional(),
    http2KeepAlive: z.strictObject({ interval: duration, timeout: duration }).optional(),
  })
  .superRefine((h, ctx) => {
    if (h.h2UpgradePolicy === "UPGRADE" && h.useClientProtocol)
      fail(ctx, ["useClientProtocol"], "use client protocol must not be true when h2UpgradePolicy is UPGRADE");
  });

const connectionPool = z
  .strictObject({ tcp: tcpSettings.optional(), http: httpSettings.optional() })
  .superRefine((c, ctx) => {
    if (!c.tcp && !c.http) fail(ctx, [], "connection pool must have at least one field (tcp or http)");
  });

const outlierDetection = z
  .strictObject({
    consecutiveErrors: int32.optional(), // deprecated: use consecutive5xxErrors / consecutiveGatewayErrors
    splitExternalLocalOriginErrors: z.boolean().optional(),
    consecutiveLocalOriginFailures: uint32.optional(),
    consecutiveGatewayErrors: uint32.optional(),
    consecutive5xxErrors: uint32.optional(),
    interval: duration.optional(),
    baseEjectionTime: duration.optional(),
    maxEjectionPercent: percentInt.optional(),
    minHealthPercent: percentInt.optional(),
    outlierDetectionHttpErrorCodes: z.array(z.int().min(100, "must be an HTTP status code (100-599)").max(599, "must be an HTTP status code (100-599)")).optional(),
  })
  .superRefine((o, ctx) => {
    if (!o.splitExternalLocalOriginErrors && (o.consecutiveLocalOriginFailures ?? 0) > 0)
      fail(ctx, ["consecutiveLocalOriginFailures"], "consecutiveLocalOriginFailures is set, but splitExternalLocalOriginErrors is false");
  });

const clientTls = z
  .strictObject({
    mode: z.enum(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]).optional(),
    clientCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    credentialName: z.string().optional(),
    subjectAltNames: z.array(z.string()).optional(),
    sni: z.string().optional(),
    insecureSkipVerify: z.boolean().optional(),
    caCrl: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.insecureSkipVerify) {
      if (t.mode === "SIMPLE" && (t.caCertificates || t.credentialName || t.subjectAltNames?.length))
        fail(ctx, ["insecureSkipVerify"], "cannot specify caCertificates or credentialName or subjectAltNames when insecureSkipVerify is set true");
      if (t.mode === "MUTUAL" && (t.caCertificates || t.subjectAltNames?.length))
        fail(ctx, ["insecureSkipVerify"], "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is set true");
    }
    if ((t.mode === "SIMPLE" || t.mode === "MUTUAL") && t.credentialName) {
      if (t.clientCertificate || t.caCertificates || t.privateKey || t.caCrl)
        fail(ctx, ["credentialName"], "cannot specify client certificates or CA certificate or CA CRL if credentialName is set");
      return;
    }
    if (t.mode === "MUTUAL") {
      if (!t.clientCertificate) fail(ctx, ["clientCertificate"], "client certificate required for mutual tls");
      if (!t.privateKey) fail(ctx, ["privateKey"], "private key required for mutual tls");
    }
  });

const TOPOLOGY_LABELS = new Set(["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"]);

/** Localities are region[/zone[/subzone]] with at most one trailing `*`, and may not overlap. */
function localitiesError(localities: string[]): string | undefined {
  const seen = new Map<string, Map<string, Set<string>>>();
  for (const loc of localities) {
    const stars = loc.split("*").length - 1;
    if (stars > 1 || (stars === 1 && !loc.endsWith("*"))) return `locality ${loc} wildcard '*' number can not exceed 1 and must be in the end`;
    if (seen.has("*")) return `locality ${loc} overlap with previous specified ones`;
    const items = loc.split("/");
    if (items.length > 3) items.splice(2, items.length, items.slice(2).join("/"));
    if (items.some((s) => s === "")) return `locality ${loc} must not contain empty region/zone/subzone info`;
    const [region, zone, subzone] = items;
    const zones = seen.get(region);
    if (items.length === 1) {
      if (zones) return `locality ${loc} overlap with previous specified ones`;
      seen.set(region, new Map([["*", new Set(["*"])]]));
    } else if (items.length === 2) {
      if (zones && (zones.has("*") || zones.has(zone))) return `locality ${loc} overlap with previous specified ones`;
      if (zones) zones.set(zone, new Set(["*"]));
      else seen.set(region, new Map([[zone, new Set(["*"])]]));
    } else {
      if (zones?.has("*")) return `locality ${loc} overlap with previous specified ones`;
      const subzones = zones?.get(zone);
      if (subzones && (subzones.has("*") || subzones.has(subzone))) return `locality ${loc} overlap with previous specified ones`;
      if (subzones) subzones.add(subzone);
      else if (zones) zones.set(zone, new Set([subzone]));
      else seen.set(region, new Map([[zone, new Set([subzone])]]));
    }
  }
  return undefined;
}

const failover = z.strictObject({ from: z.string().optional(), to: z.string().optional() });

function checkFailover(ctx: Ctx, list: z.infer<typeof failover>[] | undefined, what: string): void {
  (list ?? []).forEach((f, i) => {
    const from = f.from ?? "";
    const to = f.to ?? "";
    if (from === to) fail(ctx, ["failover", i], `${what} failover settings must specify different regions`);
    if (from.includes("/") || to.includes("/")) fail(ctx, ["failover", i], `${what} failover only specifies a region`);
    if (from.includes("*") || to.includes("*")) fail(ctx, ["failover", i], `${what} failover region should not contain '*' wildcard`);
  });
}

const localityLbSetting = z
  .strictObject({
    distribute: z.array(z.strictObject({ from: z.string().optional(), to: z.record(z.string(), uint32).optional() })).optional(),
    failover: z.array(failover).optional(),
    failoverPriority: z.array(z.string()).optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((lb, ctx) => {
    if (lb.distribute?.length && lb.failover?.length) {
      fail(ctx, ["failover"], "can not simultaneously specify 'distribute' and 'failover'");
      return;
    }
    if (lb.failover?.length)
      (lb.failoverPriority ?? []).forEach((label, i) => {
        if (TOPOLOGY_LABELS.has(label))
          fail(ctx, ["failoverPriority", i], `can not simultaneously set 'failover' and topology label '${label}' in 'failoverPriority'`);
      });
    (lb.distribute ?? []).forEach((d, i) => {
      const weights = Object.values(d.to ?? {});
      if (weights.some((w) => w <= 0 || w > 100)) fail(ctx, ["distribute", i, "to"], "locality weight must be in range [1, 100]");
      else {
        const total = weights.reduce((a, b) => a + b, 0);
        if (total !== 100) fail(ctx, ["distribute", i, "to"], `total locality weight ${total} != 100`);
        else check(ctx, ["distribute", i, "to"], localitiesError(Object.keys(d.to ?? {})));
      }
    });
    check(ctx, ["distribute"], localitiesError((lb.distribute ?? []).map((d) => d.from ?? "")));
    checkFailover(ctx, lb.failover, "locality lb");
  });

const zoneAwareLbSetting = z
  .strictObject({
    enabled: z.boolean().optional(),
    failover: z.array(failover).optional(),
    failoverPriority: z.array(z.string()).optional(),
    minClusterSize: z.int().min(1).optional(),
  })
  .superRefine((lb, ctx) => {
    (lb.failoverPriority ?? []).forEach((label, i) => {
      if (TOPOLOGY_LABELS.has(label))
        fail(ctx, ["failoverPriority", i], `'failoverPriority' for zone aware lb must not use topology label '${label}'; region- and zone-level routing are handled automatically`);
    });
    checkFailover(ctx, lb.failover, "zone aware lb");
  });

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

const consistentHash = z
  .strictObject({
    httpHeaderName: z.string().optional(),
    httpCookie: z
      .strictObject({
        name: z.string(),
        path: z.string().optional(),
        ttl: anyDuration.optional(),
        attributes: z.array(z.strictObject({ name: z.string(), value: z.string().optional() })).optional(),
      })
      .superRefine((c, ctx) => {
        if (c.name === "") fail(ctx, ["name"], "name required for httpCookie");
        const names = new Set<string>();
        (c.attributes ?? []).forEach((a, i) => {
          if (a.name === "") fail(ctx, ["attributes", i, "name"], "cookie attribute name cannot be empty");
          else if (names.has(a.name)) fail(ctx, ["attributes", i, "name"], `duplicate cookie attribute name: ${a.name}`);
          names.add(a.name);
        });
      })
      .optional(),
    useSourceIp: z.boolean().optional(),
    httpQueryParameterName: z.string().optional(),
    ringHash: z.strictObject({ minimumRingSize: uint64.optional() }).optional(),
    maglev: z.strictObject({ tableSize: uint64.optional() }).optional(),
    minimumRingSize: uint64.optional(), // deprecated: use ringHash.minimumRingSize
  })
  .superRefine((h, ctx) => {
    onlyOne(ctx, h, ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"]);
    onlyOne(ctx, h, ["ringHash", "maglev"]);
    if (h.minimumRingSize && (h.ringHash || h.maglev))
      fail(ctx, ["minimumRingSize"], "only one of minimumRingSize or maglev/ringHash can be specified");
    if (h.maglev) {
      const size = h.maglev.tableSize ?? 0;
      if (size === 0) fail(ctx, ["maglev", "tableSize"], "tableSize must be set for maglev");
      else if (size >= 5000011) fail(ctx, ["maglev", "tableSize"], "tableSize must be less than 5000011 for maglev");
      else if (!isPrime(size)) fail(ctx, ["maglev", "tableSize"], "tableSize must be a prime number for maglev");
    }
  });

const loadBalancer = z
  .strictObject({
    simple: z.enum(["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"]).optional(),
    consistentHash: consistentHash.optional(),
    localityLbSetting: localityLbSetting.optional(),
    zoneAwareLbSetting: zoneAwareLbSetting.optional(),
    warmupDurationSecs: duration.optional(), // deprecated: use warmup
    warmup: z
      .strictObject({
        duration,
        minimumPercent: z.number().min(0, "minimumPercent must be in range 0..100").max(100, "minimumPercent value should be less than or equal to 100").optional(),
        aggression: z.number().gt(0, "aggression should be greater than 0").optional(),
      })
      .optional(),
  })
  .superRefine((lb, ctx) => {
    onlyOne(ctx, lb, ["simple", "consistentHash"]);
    onlyOne(ctx, lb, ["warmupDurationSecs", "warmup"]);
    onlyOne(ctx, lb, ["localityLbSetting", "zoneAwareLbSetting"]);
  });

const tunnel = z
  .strictObject({ protocol: z.string().optional(), targetHost: z.string(), targetPort: port })
  .superRefine((t, ctx) => {
    if (t.protocol && t.protocol !== "CONNECT" && t.protocol !== "POST") fail(ctx, ["protocol"], 'tunnel protocol must be "CONNECT" or "POST"');
    if (fqdnError(t.targetHost) && !isIP(t.targetHost))
      fail(ctx, ["targetHost"], `tunnel target host must be valid FQDN or IP address: ${fqdnError(t.targetHost)}`);
  });

const policyParts = {
  loadBalancer: loadBalancer.optional(),
  connectionPool: connectionPool.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTls.optional(),
};

const portTrafficPolicy = z.strictObject({ port: portSelector.optional(), ...policyParts }).superRefine((p, ctx) => {
  if (!p.port) fail(ctx, ["port"], "portLevelSettings entry must have a port");
  if (!p.loadBalancer && !p.connectionPool && !p.outlierDetection && !p.tls)
    fail(ctx, [], "port traffic policy must have at least one of loadBalancer, connectionPool, outlierDetection or tls");
});

const trafficPolicy = z
  .strictObject({
    ...policyParts,
    portLevelSettings: z.array(portTrafficPolicy).max(4096).optional(),
    tunnel: tunnel.optional(),
    proxyProtocol: z.strictObject({ version: z.enum(["V1", "V2"]).optional() }).optional(),
    retryBudget: z
      .strictObject({
        percent: z.number().min(0).max(100).optional(),
        minRetryConcurrency: uint32.optional(),
        budgetInterval: anyDuration.optional(),
      })
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (Object.values(p).every((v) => v === undefined)) fail(ctx, [], "traffic policy must have at least one field");
    if (p.tunnel && p.proxyProtocol) fail(ctx, ["proxyProtocol"], "tunnel and proxyProtocol must not be set together");
  });

const subset = z
  .strictObject({ name: z.string(), labels: labelMap.optional(), trafficPolicy: trafficPolicy.optional() })
  .superRefine((s, ctx) => check(ctx, ["name"], subsetNameError(s.name)));

const destinationRuleSpec = z
  .strictObject({
    host: z.string(),
    trafficPolicy: trafficPolicy.optional(),
    subsets: z.array(subset).optional(),
    exportTo: exportTo.optional(),
    workloadSelector: typeWorkloadSelector.optional(),
  })
  .superRefine((dr, ctx) => {
    check(ctx, ["host"], wildcardDomainError(dr.host));
    const names = new Set<string>();
    (dr.subsets ?? []).forEach((s, i) => {
      if (names.has(s.name)) fail(ctx, ["subsets", i, "name"], `subset name must be unique: ${s.name}`);
      names.add(s.name);
    });
  });

export const destinationRuleSchema = customResource(destinationRuleSpec).superRefine((dr, ctx) =>
  checkExportTo(ctx, dr.metadata.namespace ?? "", dr.spec.exportTo, { withWorkloadSelector: dr.spec.workloadSelector !== undefined }),
);

// ---------------------------------------------------------------------------------------------------------------
// Gateway

const TLS_VERSIONS = ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"] as const;

/** Server-side TLS (Gateway servers, Sidecar ingress listeners). */
const serverTls = z
  .strictObject({
    httpsRedirect: z.boolean().optional(),
    mode: z.enum(["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"]).optional(),
    serverCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
    caCrl: z.string().optional(),
    credentialName: z.string().optional(),
    credentialNames: z.array(z.string()).min(1).max(2).optional(),
    caCertCredentialName: z.string().optional(),
    tlsCertificates: z
      .array(z.strictObject({ serverCertificate: z.string().optional(), privateKey: z.string().optional(), caCertificates: z.string().optional() }))
      .min(1)
      .max(2)
      .optional(),
    subjectAltNames: z.array(z.string()).optional(),
    verifyCertificateSpki: z.array(z.string()).optional(),
    verifyCertificateHash: z.array(z.string()).optional(),
    minProtocolVersion: z.enum(TLS_VERSIONS).optional(),
    maxProtocolVersion: z.enum(TLS_VERSIONS).optional(),
    cipherSuites: z.array(z.string()).optional(),
    insecureSkipVerify: z.boolean().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.mode === "ISTIO_MUTUAL") {
      const fields = ["serverCertificate", "privateKey", "caCertificates", "tlsCertificates", "credentialName", "credentialNames"] as const;
      for (const f of fields) {
        const v = t[f];
        if (v !== undefined && v.length > 0) fail(ctx, [f], `ISTIO_MUTUAL TLS cannot have associated ${f}`);
      }
      return;
    }
    const sources = [
      t.serverCertificate && t.privateKey ? "serverCertificate/privateKey" : "",
      t.credentialName ? "credentialName" : "",
      t.credentialNames?.length ? "credentialNames" : "",
      t.tlsCertificates?.length ? "tlsCertificates" : "",
    ].filter(Boolean);
    if (sources.length > 1)
      fail(ctx, [sources[1].split("/")[0]], `only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified (found ${sources.join(" and ")})`);
    const simpleOrMutual = t.mode === "SIMPLE" || t.mode === "MUTUAL" || t.mode === "OPTIONAL_MUTUAL";
    if (simpleOrMutual && (t.credentialName || t.credentialNames?.length)) return; // certificates come from the credential
    if (simpleOrMutual) {
      const prefix = t.mode === "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
      if (t.mode !== "SIMPLE" && !t.caCertificates) fail(ctx, ["caCertificates"], `${prefix} requires a client CA bundle`);
      if (t.tlsCertificates?.length)
        t.tlsCertificates.forEach((c, i) => {
          if (!c.serverCertificate) fail(ctx, ["tlsCertificates", i, "serverCertificate"], `${prefix} requires a server certificate`);
          if (!c.privateKey) fail(ctx, ["tlsCertificates", i, "privateKey"], `${prefix} requires a private key`);
        });
      else {
        if (!t.serverCertificate) fail(ctx, ["serverCertificate"], `${prefix} requires a server certificate (or a credentialName)`);
        if (!t.privateKey) fail(ctx, ["privateKey"], `${prefix} requires a private key (or a credentialName)`);
      }
    }
    if (t.caCrl) {
      if (t.credentialName) fail(ctx, ["caCrl"], "CRL is not supported with credentialName. CRL has to be specified in the credential");
      if (t.mode === "SIMPLE") fail(ctx, ["caCrl"], "CRL is not supported with SIMPLE TLS");
    }
  });

const gatewayPort = z.strictObject({ number: uint32, protocol: z.string(), name: z.string(), targetPort: uint32.optional() });

/** `bind` of a listener: an IP address or `unix://path`; port 0 goes with (and only with) a unix socket. */
function checkBind(ctx: Ctx, portNumber: number | undefined, bind: string | undefined): void {
  if (!bind) return;
  if (bind.startsWith(UNIX_PREFIX)) {
    check(ctx, ["bind"], unixAddressError(bind.slice(UNIX_PREFIX.length)));
    if (portNumber) fail(ctx, ["port", "number"], "port number must be 0 for unix domain socket");
  } else check(ctx, ["bind"], ipAddressError(bind));
}

const server = z
  .strictObject({
    port: gatewayPort,
    bind: z.string().optional(),
    hosts: z.array(z.string()),
    tls: serverTls.optional(),
    defaultEndpoint: z.string().optional(),
    name: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.hosts.length === 0) fail(ctx, ["hosts"], "server config must contain at least one host");
    s.hosts.forEach((h, i) => namespaceSlashHostErrors(h, true).forEach((e) => fail(ctx, ["hosts", i], e)));
    const p = s.port;
    let portOk = true;
    const portFail = (path: PropertyKey[], message: string) => {
      fail(ctx, path, message);
      portOk = false;
    };
    if (!parseProtocol(p.protocol)) portFail(["port", "protocol"], `invalid protocol "${p.protocol}", supported protocols are ${SUPPORTED_PROTOCOLS}`);
    if ((p.number > 0 || !(s.bind ?? "").startsWith(UNIX_PREFIX)) && (p.number < 1 || p.number > 65535))
      portFail(["port", "number"], "port must be between 1-65535");
    if (p.targetPort) portFail(["port", "targetPort"], "targetPort has no impact on Gateways");
    if (p.name === "") portFail(["port", "name"], "port name must be set");
    checkBind(ctx, p.number, s.bind);
    if (!portOk) return;
    if (isTlsProtocol(p.protocol) && !s.tls) fail(ctx, ["tls"], "server must have TLS settings for HTTPS/TLS protocols");
    else if (!isTlsProtocol(p.protocol) && s.tls) {
      const passthrough = (s.tls.mode ?? "PASSTHROUGH") === "PASSTHROUGH" || s.tls.mode === "AUTO_PASSTHROUGH";
      if (!isHttpProtocol(p.protocol)) fail(ctx, ["tls"], "server cannot have TLS settings for non HTTPS/TLS ports");
      else if (!passthrough || s.tls.caCertificates || s.tls.privateKey || s.tls.serverCertificate)
        fail(ctx, ["tls"], "server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)");
    }
  });

const gatewaySpec = z
  .strictObject({ servers: z.array(server).optional(), selector: stringMap.optional() })
  .superRefine((g, ctx) => {
    if (!g.servers?.length) fail(ctx, ["servers"], "gateway must have at least one server");
    const names = new Set<string>();
    (g.servers ?? []).forEach((s, i) => {
      if (names.has(s.port.name)) fail(ctx, ["servers", i, "port", "name"], `port names in servers must be unique: duplicate name ${s.port.name}`);
      names.add(s.port.name);
    });
  });

export const gatewaySchema = customResource(gatewaySpec).superRefine((gw, ctx) => {
  const name = gw.metadata.name;
  if (name !== undefined && !isDnsLabel(name)) fail(ctx, ["metadata", "name"], `invalid gateway name: "${name}" (must be a DNS-1123 label, no dots)`);
});

// ---------------------------------------------------------------------------------------------------------------
// WorkloadEntry (also the endpoints of a ServiceEntry)

const workloadEntryFields = z
  .strictObject({
    address: z.string().max(256).optional(),
    ports: z.record(z.string(), port).optional(),
    labels: labelMap.optional(),
    network: z.string().max(2048).optional(),
    locality: z.string().max(2048).optional(),
    weight: uint32.optional(),
    serviceAccount: z.string().max(253).optional(),
  })
  .superRefine((we, ctx) => {
    if (!we.address && !we.network) fail(ctx, ["address"], "Address is required: set address (or network)");
    const addr = we.address ?? "";
    if (addr.startsWith(UNIX_PREFIX)) {
      const path = addr.slice(UNIX_PREFIX.length);
      if (!path.startsWith("/") && !path.startsWith("@")) fail(ctx, ["address"], "UDS must be an absolute path or abstract socket");
      else if (addr.endsWith("/")) fail(ctx, ["address"], "UDS may not be a dir");
      if (we.ports) fail(ctx, ["ports"], "UDS may not include ports");
    }
    const names = Object.keys(we.ports ?? {});
    if (names.length > 128) fail(ctx, ["ports"], "must have at most 128 ports");
    for (const name of names) check(ctx, ["ports", name], portNameError(name));
  });

/** Address checks that depend on where the entry is used (Istio's validateWorkloadEntry). */
function checkEndpointAddress(ctx: Ctx, path: PropertyKey[], address: string | undefined, allowFqdn: boolean): void {
  if (!address || address.startsWith(UNIX_PREFIX) || isIP(address)) return;
  if (!allowFqdn) fail(ctx, [...path, "address"], `endpoint address "${address}" is not a valid IP address`);
  else if (fqdnError(address)) fail(ctx, [...path, "address"], `endpoint address "${address}" is not a valid FQDN or an IP address`);
}

export const workloadEntrySchema = customResource(
  workloadEntryFields.superRefine((we, ctx) => checkEndpointAddress(ctx, [], we.address, true)),
);

// ---------------------------------------------------------------------------------------------------------------
// ServiceEntry

const servicePort = z.strictObject({
  number: port,
  protocol: z.string().max(256).optional(),
  name: z.string().max(256),
  targetPort: port.optional(),
});

const serviceEntrySpec = z
  .strictObject({
    hosts: z.array(z.string()).min(1, "service entry must have at least one host").max(256),
    addresses: z.array(z.string().max(64)).max(256).optional(),
    ports: z.array(servicePort).max(256).optional(),
    location: z.enum(["MESH_EXTERNAL", "MESH_INTERNAL"]).optional(),
    resolution: z.enum(["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"]).optional(),
    endpoints: z.array(workloadEntryFields).max(4096).optional(),
    workloadSelector: workloadSelector.optional(),
    exportTo: exportTo.optional(),
    subjectAltNames: z.array(z.string()).optional(),
  })
  .superRefine((se, ctx) => {
    const resolution = se.resolution ?? "NONE";
    if (se.workloadSelector && se.endpoints) fail(ctx, ["endpoints"], "only one of workloadSelector or endpoints can be set");

    se.hosts.forEach((h, i) => {
      if (h === "*") fail(ctx, ["hosts", i], "hostname cannot be wildcard: a service entry host must name a service");
      else check(ctx, ["hosts", i], wildcardDomainError(h));
    });

    let cidr = false;
    (se.addresses ?? []).forEach((a, i) => {
      cidr ||= a.includes("/");
      check(ctx, ["addresses", i], ipSubnetError(a));
    });
    if (cidr && resolution !== "NONE" && resolution !== "STATIC")
      fail(ctx, ["addresses"], "CIDR addresses are allowed only for NONE/STATIC resolution types");

    const portNames = new Set<string>();
    const portNumbers = new Set<number>();
    (se.ports ?? []).forEach((p, i) => {
      if (portNames.has(p.name)) fail(ctx, ["ports", i, "name"], `Duplicate value: service entry port name "${p.name}" already defined`);
      if (portNumbers.has(p.number)) fail(ctx, ["ports", i, "number"], `port number cannot be duplicated: service entry port ${p.number} already defined`);
      portNames.add(p.name);
      portNumbers.add(p.number);
      check(ctx, ["ports", i, "name"], portNameError(p.name));
      check(ctx, ["ports", i, "protocol"], protocolError(p.protocol));
    });

    const endpoints = se.endpoints ?? [];
    const checkEndpointPorts = (we: z.infer<typeof workloadEntryFields>, i: number) => {
      for (const [name, number] of Object.entries(we.ports ?? {}))
        if (!portNames.has(name)) fail(ctx, ["endpoints", i, "ports", name], `endpoint port ${number} is not defined by the service entry (no port named "${name}")`);
    };
    switch (resolution) {
      case "NONE":
        if (se.endpoints) fail(ctx, ["endpoints"], "NONE mode cannot set endpoints: no endpoints should be provided for resolution type NONE");
        break;
      case "STATIC":
        endpoints.forEach((we, i) => {
          checkEndpointAddress(ctx, ["endpoints", i], we.address, false);
          checkEndpointPorts(we, i);
          if ((we.address ?? "").startsWith(UNIX_PREFIX) && portNames.size !== 1)
            fail(ctx, ["endpoints", i, "address"], "exactly 1 service port required for unix endpoints");
        });
        break;
      case "DNS":
      case "DNS_ROUND_ROBIN": {
        if (endpoints.length === 0) {
          const bad = se.hosts.findIndex((h) => fqdnError(h));
          if (bad >= 0)
            fail(ctx, ["hosts", bad], `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}: ${fqdnError(se.hosts[bad])}`);
        }
        if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1)
          fail(ctx, ["endpoints"], "DNS_ROUND_ROBIN mode cannot have multiple endpoints: there must only be 0 or 1 endpoint");
        endpoints.forEach((we, i) => {
          // A DNS endpoint is resolved: a unix socket is neither a name nor an address.
          if (we.address?.startsWith(UNIX_PREFIX)) fail(ctx, ["endpoints", i, "address"], `endpoint address "${we.address}" is not a valid FQDN or an IP address`);
          else checkEndpointAddress(ctx, ["endpoints", i], we.address, true);
          checkEndpointPorts(we, i);
        });
        break;
      }
      case "DYNAMIC_DNS":
        se.hosts.forEach((h, i) => {
          if (!isWildcarded(h)) fail(ctx, ["hosts", i], "host must be wildcarded for resolution mode DYNAMIC_DNS");
        });
        if (se.addresses?.length) fail(ctx, ["addresses"], "addresses cannot be set for resolution type DYNAMIC_DNS");
        if (endpoints.length) fail(ctx, ["endpoints"], "endpoints cannot be set for resolution type DYNAMIC_DNS");
        (se.ports ?? []).forEach((p, i) => {
          if (!["HTTP", "TLS", "GRPC", "HTTP2"].includes(parseProtocol(p.protocol) ?? ""))
            fail(ctx, ["ports", i, "protocol"], "only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS");
        });
        break;
    }

    // Several hosts on one plain-TCP port cannot be told apart (unless resolution is NONE).
    if (resolution !== "NONE" && se.hosts.length > 1) {
      const i = (se.ports ?? []).findIndex((p) => !isHttpProtocol(p.protocol) && !isTlsProtocol(p.protocol));
      if (i >= 0) fail(ctx, ["ports", i, "protocol"], "multiple hosts provided with non-HTTP, non-TLS ports");
    }
  });

/** istiod's usesWaypoint: the istio.io/use-waypoint label names a waypoint (not empty, not "none"). */
const usesWaypoint = (labels: Record<string, string> | undefined) => {
  const waypoint = labels?.["istio.io/use-waypoint"];
  return !!waypoint && waypoint.toLowerCase() !== "none";
};

export const serviceEntrySchema = customResource(serviceEntrySpec).superRefine((se, ctx) => {
  checkExportTo(ctx, se.metadata.namespace ?? "", se.spec.exportTo, { serviceEntry: true });
  if (se.spec.resolution === "DYNAMIC_DNS" && se.spec.location === "MESH_INTERNAL" && usesWaypoint(se.metadata.labels))
    fail(ctx, ["spec", "location"], "location MESH_INTERNAL with resolution type DYNAMIC_DNS is not supported when using waypoints");
});

// ---------------------------------------------------------------------------------------------------------------
// Sidecar

const sidecarPort = z.strictObject({
  number: uint32.optional(),
  protocol: z.string().optional(),
  name: z.string().optional(),
  targetPort: uint32.optional(), // deprecated, has no effect
});

const captureMode = z.enum(["DEFAULT", "IPTABLES", "NONE"]);

function checkSidecarPort(ctx: Ctx, p: z.infer<typeof sidecarPort>): void {
  if (p.name) check(ctx, ["port", "name"], portNameError(p.name));
  check(ctx, ["port", "protocol"], protocolError(p.protocol));
  if (p.targetPort) fail(ctx, ["port", "targetPort"], "targetPort has no impact on Sidecars");
}

const ingressListener = z
  .strictObject({
    port: sidecarPort,
    bind: z.string().optional(),
    captureMode: captureMode.optional(),
    defaultEndpoint: z.string().optional(),
    tls: serverTls.optional(),
    connectionPool: connectionPool.optional(),
  })
  .superRefine((l, ctx) => {
    checkSidecarPort(ctx, l.port);
    const n = l.port.number ?? 0;
    if (n < 1 || n > 65535) fail(ctx, ["port", "number"], "port must be between 1-65535");
    if (l.bind) check(ctx, ["bind"], ipAddressError(l.bind));
    if (l.defaultEndpoint) {
      const ep = l.defaultEndpoint;
      if (ep.startsWith(UNIX_PREFIX)) check(ctx, ["defaultEndpoint"], unixAddressError(ep.slice(UNIX_PREFIX.length)));
      else {
        const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(ep);
        const host = m ? (m[1] ?? m[2]) : undefined;
        if (!m) fail(ctx, ["defaultEndpoint"], `address ${ep}: missing port in address (expected 127.0.0.1:<port>)`);
        else if (host !== "" && !["127.0.0.1", "0.0.0.0", "::1", "::"].includes(host!))
          fail(ctx, ["defaultEndpoint"], "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset");
        else if (!/^[0-9]+$/.test(m[3]) || Number(m[3]) < 1 || Number(m[3]) > 65535)
          fail(ctx, ["defaultEndpoint"], `sidecar: defaultEndpoint port (${m[3]}) must be a number between 1-65535`);
      }
    }
    if (l.tls) {
      const t = l.tls;
      if (t.subjectAltNames?.length) fail(ctx, ["tls", "subjectAltNames"], "sidecar: subjectAltNames is not supported in ingress tls");
      if (t.httpsRedirect) fail(ctx, ["tls", "httpsRedirect"], "sidecar: httpsRedirect is not supported");
      if (t.credentialName) fail(ctx, ["tls", "credentialName"], "sidecar: credentialName is not currently supported");
      if (t.credentialNames?.length) fail(ctx, ["tls", "credentialNames"], "sidecar: credentialNames is not currently supported");
      if (t.tlsCertificates?.length) fail(ctx, ["tls", "tlsCertificates"], "sidecar: tlsCertificates is not currently supported");
      if (t.mode === "ISTIO_MUTUAL" || t.mode === "AUTO_PASSTHROUGH") fail(ctx, ["tls", "mode"], `cannot set mode to ${t.mode} in sidecar ingress tls`);
      if (!isTlsProtocol(l.port.protocol)) fail(ctx, ["tls"], "server cannot have TLS settings for non HTTPS/TLS ports");
    }
  });

const egressListener = z
  .strictObject({
    port: sidecarPort.optional(),
    bind: z.string().optional(),
    captureMode: captureMode.optional(),
    hosts: z.array(z.string()),
  })
  .superRefine((l, ctx) => {
    if (l.port) {
      checkSidecarPort(ctx, l.port);
      const n = l.port.number ?? 0;
      if (n === 0) {
        // Port 0: the listener is a unix domain socket.
        if (!(l.bind ?? "").startsWith(UNIX_PREFIX)) fail(ctx, ["bind"], "sidecar: ports with 0 value must have a unix domain socket bind address");
        else check(ctx, ["bind"], unixAddressError(l.bind!.slice(UNIX_PREFIX.length)));
        if (l.captureMode && l.captureMode !== "DEFAULT" && l.captureMode !== "NONE")
          fail(ctx, ["captureMode"], "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners");
      } else {
        if (n > 65535) fail(ctx, ["port", "number"], "port must be between 1-65535");
        if (l.bind) check(ctx, ["bind"], ipAddressError(l.bind));
      }
    }
    if (l.hosts.length === 0) fail(ctx, ["hosts"], "sidecar: egress listener must contain at least one host");
    l.hosts.forEach((h, i) => namespaceSlashHostErrors(h, false).forEach((e) => fail(ctx, ["hosts", i], e)));
  });

const sidecarSpec = z
  .strictObject({
    workloadSelector: workloadSelector.optional(),
    ingress: z.array(ingressListener).optional(),
    egress: z.array(egressListener).optional(),
    inboundConnectionPool: connectionPool.optional(),
    outboundTrafficPolicy: z
      .strictObject({ mode: z.enum(["REGISTRY_ONLY", "ALLOW_ANY"]).optional(), egressProxy: destination.optional() })
      .superRefine((tp, ctx) => {
        if (!tp.egressProxy) return;
        if (tp.mode !== "ALLOW_ANY") fail(ctx, ["egressProxy"], "sidecar: egressProxy must be set only with ALLOW_ANY outboundTrafficPolicy mode");
        else {
          check(ctx, ["egressProxy", "host"], fqdnError(tp.egressProxy.host));
          if (!tp.egressProxy.port) fail(ctx, ["egressProxy", "port"], "sidecar: egressProxy port must be set");
        }
      })
      .optional(),
  })
  .superRefine((sc, ctx) => {
    if (!sc.egress?.length && !sc.ingress?.length && !sc.outboundTrafficPolicy && !sc.inboundConnectionPool) {
      fail(ctx, [], "sidecar: empty configuration provided: set ingress, egress, outboundTrafficPolicy or inboundConnectionPool");
      return;
    }
    const ingressPorts = new Set<number>();
    (sc.ingress ?? []).forEach((l, i) => {
      const n = l.port.number ?? 0;
      if (ingressPorts.has(n)) fail(ctx, ["ingress", i, "port", "number"], "sidecar: ports on IP bound listeners must be unique");
      ingressPorts.add(n);
    });
    const egressPorts = new Set<number>();
    const udsBinds = new Set<string>();
    const egress = sc.egress ?? [];
    let catchAll = false;
    egress.forEach((l, i) => {
      if (!l.port) {
        // At most one catch-all listener (no port), and it comes last.
        if (catchAll) fail(ctx, ["egress", i, "port"], "sidecar: egress can have only one listener with empty port");
        else if (i !== egress.length - 1) fail(ctx, ["egress", i, "port"], "sidecar: the egress listener with empty port should be the last listener in the list");
        else catchAll = true;
        return;
      }
      const n = l.port.number ?? 0;
      if (n === 0) {
        if (udsBinds.has(l.bind ?? "")) fail(ctx, ["egress", i, "bind"], "sidecar: unix domain socket values for listeners must be unique");
        udsBinds.add(l.bind ?? "");
      } else {
        if (egressPorts.has(n)) fail(ctx, ["egress", i, "port", "number"], "sidecar: ports on IP bound listeners must be unique");
        egressPorts.add(n);
      }
    });
  });

export const sidecarSchema = customResource(sidecarSpec);
