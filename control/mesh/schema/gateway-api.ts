// gateway.networking.k8s.io/v1: GatewayClass, Gateway, HTTPRoute.
//
// Structure and rules from kubernetes-sigs/gateway-api apis/v1 (gatewayclass_types.go, gateway_types.go,
// httproute_types.go, shared_types.go) as their kubebuilder markers generate the standard-channel CRDs:
// enums, lengths, patterns, min/max, maxItems, list-map keys (no duplicates) and the CEL x-kubernetes-
// validations, each reported at the field it is about. Defaults are not applied to the object, but the
// CEL rules are evaluated as the API server would, on the defaulted values (e.g. a backendRef without
// kind is a Service, a path match without type is a PathPrefix).
// Experimental-channel fields that Istio implements (HTTPRoute rules[].retry, rules[].sessionPersistence)
// are accepted; other experimental fields (ExternalAuth filter, useDefaultGateways, defaultScope) are not.
import { z } from "zod";
import { customResource } from "./meta.ts";
import { regexError } from "./networking.ts";
import { isIP } from "./security.ts";
import { labelSelector, portNumber, reportDuplicates } from "./core.ts";

const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SECTION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const CONTROLLER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

const group = z.string().max(253).regex(GROUP, "must be empty or a lowercase DNS subdomain such as gateway.networking.k8s.io");
const kind = z.string().min(1).max(63).regex(KIND, "must be a kind name such as Service");
const objectName = z.string().min(1).max(253);
const namespace = z.string().min(1).max(63).regex(NAMESPACE, "must be a lowercase RFC 1123 label");
const sectionName = z.string().min(1).max(253).regex(SECTION_NAME, "must be a lowercase RFC 1123 subdomain");
const hostname = z.string().min(1).max(253).regex(HOSTNAME, "must be a lowercase DNS name, optionally starting with '*.'");
const preciseHostname = z.string().min(1).max(253).regex(PRECISE_HOSTNAME, "must be a lowercase DNS name without wildcards");
const headerName = z.string().min(1).max(256).regex(HEADER_NAME, "must be an HTTP header name (RFC 7230 token)");
const duration = z.string().regex(DURATION, "must be a Gateway API duration such as 10s, 500ms or 1h30m (GEP-2257)");

/** GEP-2257 duration in milliseconds. */
function durationMs(s: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const m of s.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}

function issue(ctx: z.RefinementCtx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

// ---------------------------------------------------------------------------------------------
// shared_types.go / object_reference_types.go

const parentReference = z.strictObject({
  group: group.optional(), // default gateway.networking.k8s.io
  kind: kind.optional(), // default Gateway
  namespace: namespace.optional(),
  name: objectName,
  sectionName: sectionName.optional(),
  port: portNumber.optional(),
});
type ParentReference = z.infer<typeof parentReference>;

/** BackendObjectReference fields; a Service (the default kind, core group) needs a port. */
const backendObjectFields = {
  group: group.optional(), // default ""
  kind: kind.optional(), // default Service
  name: objectName,
  namespace: namespace.optional(),
  port: portNumber.optional(),
};

function requirePortForService(ref: { group?: string; kind?: string; port?: number }, ctx: z.RefinementCtx): void {
  if ((ref.group ?? "") === "" && (ref.kind ?? "Service") === "Service" && ref.port === undefined)
    issue(ctx, ["port"], "must have port for Service reference");
}

const backendObjectReference = z.strictObject(backendObjectFields).superRefine(requirePortForService);

const secretObjectReference = z.strictObject({
  group: group.optional(), // default ""
  kind: kind.optional(), // default Secret
  name: objectName,
  namespace: namespace.optional(),
});

const localObjectReference = z.strictObject({ group, kind, name: objectName });

// ---------------------------------------------------------------------------------------------
// HTTPRoute filters

const headerValue = z.strictObject({ name: headerName, value: z.string().min(1).max(4096) });

const headerFilter = z
  .strictObject({
    set: z.array(headerValue).max(16).optional(),
    add: z.array(headerValue).max(16).optional(),
    remove: z.array(z.string()).max(16).optional(),
  })
  .superRefine((f, ctx) => {
    reportDuplicates(ctx, f.set, (h) => h.name, (i) => ["set", i, "name"], "header name");
    reportDuplicates(ctx, f.add, (h) => h.name, (i) => ["add", i, "name"], "header name");
    reportDuplicates(ctx, f.remove, (h) => h, (i) => ["remove", i], "header name");
  });

const pathModifier = z
  .strictObject({
    type: z.enum(["ReplaceFullPath", "ReplacePrefixMatch"]),
    replaceFullPath: z.string().max(1024).optional(),
    replacePrefixMatch: z.string().max(1024).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === "ReplaceFullPath" && p.replaceFullPath === undefined)
      issue(ctx, ["replaceFullPath"], "replaceFullPath must be specified when type is set to 'ReplaceFullPath'");
    if (p.replaceFullPath !== undefined && p.type !== "ReplaceFullPath")
      issue(ctx, ["replaceFullPath"], "type must be 'ReplaceFullPath' when replaceFullPath is set");
    if (p.type === "ReplacePrefixMatch" && p.replacePrefixMatch === undefined)
      issue(ctx, ["replacePrefixMatch"], "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'");
    if (p.replacePrefixMatch !== undefined && p.type !== "ReplacePrefixMatch")
      issue(ctx, ["replacePrefixMatch"], "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
  });

const requestRedirect = z.strictObject({
  scheme: z.enum(["http", "https"]).optional(),
  hostname: preciseHostname.optional(),
  path: pathModifier.optional(),
  port: portNumber.optional(),
  statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).optional(),
});

const urlRewrite = z.strictObject({
  hostname: preciseHostname.optional(),
  path: pathModifier.optional(),
});

const requestMirror = z
  .strictObject({
    backendRef: backendObjectReference,
    percent: z.number().int().min(0).max(100).optional(),
    fraction: z
      .strictObject({
        numerator: z.number().int().min(0),
        denominator: z.number().int().min(1).optional(), // default 100
      })
      .superRefine((f, ctx) => {
        if (f.numerator > (f.denominator ?? 100))
          issue(ctx, ["numerator"], "numerator must be less than or equal to denominator");
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (m.percent !== undefined && m.fraction !== undefined)
      issue(ctx, ["fraction"], "only one of percent or fraction may be specified in HTTPRequestMirrorFilter");
  });

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;
const ORIGIN = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;

function starAlone(list: readonly string[] | undefined, path: PropertyKey[], what: string, ctx: z.RefinementCtx): void {
  if (list && list.includes("*") && list.length > 1) issue(ctx, path, `${what} cannot contain '*' alongside other values`);
}

const cors = z
  .strictObject({
    allowOrigins: z.array(z.string().min(1).max(253).regex(ORIGIN, "must be '*' or an origin such as https://*.example.com:8443")).max(64).optional(),
    allowCredentials: z.boolean().optional(),
    allowMethods: z.array(z.enum([...HTTP_METHODS, "*"])).max(9).optional(),
    allowHeaders: z.array(headerName).max(64).optional(),
    exposeHeaders: z.array(headerName).max(64).optional(),
    maxAge: z.number().int().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    starAlone(c.allowOrigins, ["allowOrigins"], "allowOrigins", ctx);
    starAlone(c.allowMethods, ["allowMethods"], "allowMethods", ctx);
    starAlone(c.allowHeaders, ["allowHeaders"], "allowHeaders", ctx);
    for (const f of ["allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders"] as const)
      reportDuplicates(ctx, c[f] as string[] | undefined, (v) => v, (i) => [f, i], "value");
  });

const FILTER_FIELDS = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestMirror: "requestMirror",
  RequestRedirect: "requestRedirect",
  URLRewrite: "urlRewrite",
  ExtensionRef: "extensionRef",
  CORS: "cors",
} as const;
type FilterType = keyof typeof FILTER_FIELDS;

const httpRouteFilter = z
  .strictObject({
    type: z.enum(Object.keys(FILTER_FIELDS) as [FilterType, ...FilterType[]]),
    requestHeaderModifier: headerFilter.optional(),
    responseHeaderModifier: headerFilter.optional(),
    requestMirror: requestMirror.optional(),
    requestRedirect: requestRedirect.optional(),
    urlRewrite: urlRewrite.optional(),
    extensionRef: localObjectReference.optional(),
    cors: cors.optional(),
  })
  .superRefine((f, ctx) => {
    for (const [type, field] of Object.entries(FILTER_FIELDS) as [FilterType, (typeof FILTER_FIELDS)[FilterType]][]) {
      if (f.type === type && f[field] === undefined)
        issue(ctx, [field], `filter.${field} must be specified for ${type} filter.type`);
      if (f.type !== type && f[field] !== undefined)
        issue(ctx, [field], `filter.${field} must be nil if the filter.type is not ${type} (it is ${f.type})`);
    }
  });
type HTTPRouteFilter = z.infer<typeof httpRouteFilter>;

function checkFilterList(filters: HTTPRouteFilter[] | undefined, ctx: z.RefinementCtx, field: PropertyKey[]): void {
  if (!filters) return;
  if (filters.some((f) => f.type === "RequestRedirect") && filters.some((f) => f.type === "URLRewrite"))
    issue(ctx, field, "may specify either a RequestRedirect or a URLRewrite filter, but not both");
  for (const type of ["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"]) {
    const at = filters.flatMap((f, i) => (f.type === type ? [i] : []));
    for (const i of at.slice(1)) issue(ctx, [...field, i, "type"], `${type} filter cannot be repeated`);
  }
}

const filterList = z
  .array(httpRouteFilter)
  .max(16)
  .superRefine((filters, ctx) => checkFilterList(filters, ctx, []));

// ---------------------------------------------------------------------------------------------
// HTTPRoute matches, backends, rules

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

const pathMatch = z
  .strictObject({
    type: z.enum(["Exact", "PathPrefix", "RegularExpression"]).optional(), // default PathPrefix
    value: z.string().max(1024).optional(), // default "/"
  })
  .superRefine((p, ctx) => {
    const type = p.type ?? "PathPrefix";
    const value = p.value ?? "/";
    if (type === "RegularExpression") return regexIssue(ctx, value);
    const bad = (message: string) => issue(ctx, ["value"], `${message} when type is ${type}`);
    if (!value.startsWith("/"))
      return issue(ctx, ["value"], `must be an absolute path starting with '/' when type is ${type}, got "${value}"`);
    if (value.includes("//")) bad("must not contain '//'");
    if (value.includes("/./")) bad("must not contain '/./'");
    if (value.includes("/../")) bad("must not contain '/../'");
    if (value.includes("%2f") || value.includes("%2F")) bad("must not contain '%2f'");
    if (value.includes("#")) bad("must not contain '#'");
    if (value.endsWith("/..")) bad("must not end with '/..'");
    if (value.endsWith("/.")) bad("must not end with '/.'");
    if (!PATH_CHARS.test(value)) bad("must only contain valid URI path characters");
  });

/** A RegularExpression value must compile in the filters (implementation-specific syntax: ours is RE2's). */
function regexIssue(ctx: z.RefinementCtx, value: string): void {
  const error = regexError(value);
  if (error) issue(ctx, ["value"], error);
}

const headerMatch = z
  .strictObject({
    type: z.enum(["Exact", "RegularExpression"]).optional(),
    name: headerName,
    value: z.string().min(1).max(4096),
  })
  .superRefine((m, ctx) => (m.type === "RegularExpression" ? regexIssue(ctx, m.value) : undefined));

const queryParamMatch = z
  .strictObject({
    type: z.enum(["Exact", "RegularExpression"]).optional(),
    name: headerName,
    value: z.string().min(1).max(1024),
  })
  .superRefine((m, ctx) => (m.type === "RegularExpression" ? regexIssue(ctx, m.value) : undefined));

const httpRouteMatch = z
  .strictObject({
    path: pathMatch.optional(),
    headers: z.array(headerMatch).max(16).optional(),
    queryParams: z.array(queryParamMatch).max(16).optional(),
    method: z.enum(HTTP_METHODS).optional(),
  })
  .superRefine((m, ctx) => {
    reportDuplicates(ctx, m.headers, (h) => h.name, (i) => ["headers", i, "name"], "header name");
    reportDuplicates(ctx, m.queryParams, (q) => q.name, (i) => ["queryParams", i, "name"], "query parameter name");
  });
type HTTPRouteMatch = z.infer<typeof httpRouteMatch>;

const httpBackendRef = z
  .strictObject({
    ...backendObjectFields,
    weight: z.number().int().min(0).max(1_000_000).optional(), // default 1
    filters: filterList.optional(),
  })
  .superRefine(requirePortForService);

const httpRouteTimeouts = z
  .strictObject({ request: duration.optional(), backendRequest: duration.optional() })
  .superRefine((t, ctx) => {
    if (t.request === undefined || t.backendRequest === undefined) return;
    if (!DURATION.test(t.request) || !DURATION.test(t.backendRequest)) return;
    const request = durationMs(t.request);
    if (request !== 0 && durationMs(t.backendRequest) > request)
      issue(ctx, ["backendRequest"], "backendRequest timeout cannot be longer than request timeout");
  });

const httpRouteRetry = z
  .strictObject({
    codes: z.array(z.number().int().min(400).max(599)).optional(),
    attempts: z.number().int().min(1).optional(),
    backoff: duration.optional(),
  })
  .superRefine((r, ctx) => reportDuplicates(ctx, r.codes, String, (i) => ["codes", i], "status code"));

const sessionPersistence = z
  .strictObject({
    absoluteTimeout: duration.optional(),
    type: z.enum(["Cookie", "Header"]).optional(), // default Cookie
    cookie: z
      .strictObject({
        name: headerName.optional(),
        path: z.string().max(1024).optional(),
        lifetimeType: z.enum(["Permanent", "Session"]).optional(),
      })
      .optional(),
    header: z.strictObject({ name: headerName }).optional(),
  })
  .superRefine((s, ctx) => {
    const type = s.type ?? "Cookie";
    if (s.cookie?.lifetimeType === "Permanent" && s.absoluteTimeout === undefined)
      issue(ctx, ["absoluteTimeout"], "absoluteTimeout must be specified when cookie lifetimeType is Permanent");
    if (s.cookie !== undefined && type !== "Cookie") issue(ctx, ["cookie"], "cookie must be nil if type is not Cookie");
    if (s.cookie === undefined && type === "Cookie") issue(ctx, ["cookie"], "cookie must be specified for Cookie type");
    if (s.header !== undefined && type !== "Header") issue(ctx, ["header"], "header must be nil if type is not Header");
    if (s.header === undefined && type === "Header") issue(ctx, ["header"], "header must be specified for Header type");
  });

/** With matches defaulted to [{path: {type: PathPrefix, value: "/"}}]: is there exactly one PathPrefix match? */
function onePrefixMatch(matches: HTTPRouteMatch[] | undefined): boolean {
  if (matches === undefined) return true;
  return matches.length === 1 && (matches[0].path === undefined || (matches[0].path.type ?? "PathPrefix") === "PathPrefix");
}

function replacesPrefix(f: HTTPRouteFilter): boolean {
  const path = f.requestRedirect?.path ?? f.urlRewrite?.path;
  return path?.type === "ReplacePrefixMatch" && path.replacePrefixMatch !== undefined;
}

const httpRouteRule = z
  .strictObject({
    name: sectionName.optional(),
    matches: z.array(httpRouteMatch).max(64).optional(),
    filters: filterList.optional(),
    backendRefs: z.array(httpBackendRef).max(16).optional(),
    timeouts: httpRouteTimeouts.optional(),
    retry: httpRouteRetry.optional(),
    sessionPersistence: sessionPersistence.optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.backendRefs?.length ?? 0) > 0)
      (rule.filters ?? []).forEach((f, i) => {
        if (f.requestRedirect !== undefined)
          issue(ctx, ["filters", i], "a RequestRedirect filter must not be used together with backendRefs");
      });
    const prefixRewrites = [
      ...(rule.filters ?? []).map((f, i) => ({ f, path: ["filters", i] as PropertyKey[] })),
      ...(rule.backendRefs ?? []).flatMap((b, j) =>
        (b.filters ?? []).map((f, i) => ({ f, path: ["backendRefs", j, "filters", i] as PropertyKey[] })),
      ),
    ].filter(({ f }) => replacesPrefix(f));
    if (prefixRewrites.length > 0 && !onePrefixMatch(rule.matches))
      issue(
        ctx,
        rule.matches ? ["matches"] : prefixRewrites[0].path,
        "when using a filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
      );
  });

const httpRouteSpec = z
  .strictObject({
    parentRefs: z.array(parentReference).max(32).optional(),
    hostnames: z.array(hostname).max(16).optional(),
    rules: z.array(httpRouteRule).min(1).max(16).optional(), // default: one rule matching PathPrefix "/"
  })
  .superRefine((spec, ctx) => {
    checkParentRefs(spec.parentRefs, ctx);
    const total = (spec.rules ?? []).reduce((n, r) => n + (r.matches?.length ?? 1), 0);
    if (total > 128)
      issue(ctx, ["rules"], `the total number of matches across all rules must be at most 128, found ${total}`);
  });

/**
 * Two references to the same parent must be told apart by sectionName and/or port, set consistently
 * (both or neither) and with different values. This is the experimental channel's form of the rule; the
 * standard channel ignores port, and would reject a GAMMA route attached to two ports of one Service,
 * which Istio supports (its own conversion tests do it).
 */
function checkParentRefs(refs: ParentReference[] | undefined, ctx: z.RefinementCtx): void {
  const parentKey = (p: ParentReference) =>
    `${p.group ?? "gateway.networking.k8s.io"}/${p.kind ?? "Gateway"}/${p.namespace ?? ""}/${p.name}`;
  (refs ?? []).forEach((p, i) => {
    for (let j = 0; j < i; j++) {
      const q = refs![j];
      if (parentKey(p) !== parentKey(q)) continue;
      if (!p.sectionName !== !q.sectionName || !p.port !== !q.port) {
        issue(
          ctx,
          ["parentRefs", i],
          `sectionName or port must be specified (consistently) when parentRefs includes 2 or more references to the same parent (see parentRefs[${j}])`,
        );
        return;
      }
      if ((p.sectionName ?? "") === (q.sectionName ?? "") && (p.port ?? 0) === (q.port ?? 0)) {
        issue(
          ctx,
          ["parentRefs", i],
          `duplicate sectionName or port must be unique when parentRefs includes 2 or more references to the same parent (same as parentRefs[${j}])`,
        );
        return;
      }
    }
  });
}

export const httpRouteSchema = customResource(httpRouteSpec);

// ---------------------------------------------------------------------------------------------
// Gateway

const routeNamespaces = z
  .strictObject({
    from: z.enum(["All", "Selector", "Same"]).optional(), // default Same
    selector: labelSelector.optional(),
  })
  .superRefine((n, ctx) => {
    // Not a CRD rule, but a Selector without a selector selects nothing: a mistake.
    if (n.from === "Selector" && n.selector === undefined)
      issue(ctx, ["selector"], "selector must be specified when from is Selector");
  });

const listenerTLS = z
  .strictObject({
    mode: z.enum(["Terminate", "Passthrough"]).optional(), // default Terminate
    certificateRefs: z.array(secretObjectReference).max(64).optional(),
    options: z.record(z.string(), z.string().max(4096)).optional(),
  })
  .superRefine((tls, ctx) => {
    if (tls.options && Object.keys(tls.options).length > 16) issue(ctx, ["options"], "must have at most 16 entries");
    if ((tls.mode ?? "Terminate") === "Terminate" && !tls.certificateRefs?.length && !Object.keys(tls.options ?? {}).length)
      issue(ctx, ["certificateRefs"], "certificateRefs or options must be specified when mode is Terminate");
  });

const PROTOCOL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/;

const listener = z.strictObject({
  name: sectionName,
  hostname: hostname.optional(),
  port: portNumber,
  protocol: z
    .string()
    .min(1)
    .max(255)
    .regex(PROTOCOL, "must be HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed protocol such as example.com/proto"),
  tls: listenerTLS.optional(),
  allowedRoutes: z
    .strictObject({
      namespaces: routeNamespaces.optional(),
      kinds: z.array(z.strictObject({ group: group.optional(), kind })).max(8).optional(),
    })
    .optional(),
});
type Listener = z.infer<typeof listener>;

const ADDRESS_TYPE = /^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

const gatewayAddress = z
  .strictObject({
    type: z.string().min(1).max(253).regex(ADDRESS_TYPE, "must be IPAddress, Hostname, NamedAddress or a domain-prefixed type").optional(), // default IPAddress
    value: z.string().max(253).optional(),
  })
  .superRefine((a, ctx) => {
    const type = a.type ?? "IPAddress";
    if (a.value === undefined) return;
    if (type === "IPAddress" && (a.value.includes("%") || !isIP(a.value)))
      issue(ctx, ["value"], `must be an IPv4 or IPv6 address for type IPAddress, got "${a.value}"`);
    if (type === "Hostname" && !HOSTNAME.test(a.value))
      issue(ctx, ["value"], `must be a lowercase DNS name, optionally starting with '*.', for type Hostname`);
  });

const caCertificateRefs = z.array(z.strictObject({ group, kind, name: objectName, namespace: namespace.optional() })).min(1).max(16);
const frontendTLSValidation = z.strictObject({
  caCertificateRefs,
  mode: z.enum(["AllowValidOnly", "AllowInsecureFallback"]).optional(),
});

const gatewayTLS = z.strictObject({
  backend: z.strictObject({ clientCertificateRef: secretObjectReference.optional() }).optional(),
  frontend: z
    .strictObject({
      default: z.strictObject({ validation: frontendTLSValidation.optional() }),
      perPort: z
        .array(z.strictObject({ port: portNumber, tls: z.strictObject({ validation: frontendTLSValidation.optional() }) }))
        .max(64)
        .superRefine((ports, ctx) => reportDuplicates(ctx, ports, (p) => String(p.port), (i) => [i, "port"], "port"))
        .optional(),
    })
    .optional(),
});

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

function infraMap(max: number, maxValue: number, valuePattern?: RegExp) {
  let value = z.string().max(maxValue);
  if (valuePattern) value = value.regex(valuePattern, "must be a valid label value");
  return z.record(z.string(), value).superRefine((m, ctx) => {
    if (Object.keys(m).length > max) issue(ctx, [], `must have at most ${max} entries`);
    for (const key of Object.keys(m))
      if (!LABEL_KEY.test(key) || key.split("/")[0].length >= 253)
        issue(ctx, [key], "key must be an optional DNS subdomain prefix and '/' followed by a name of up to 63 characters");
  });
}

const gatewayInfrastructure = z.strictObject({
  labels: infraMap(8, 63, /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/).optional(),
  annotations: infraMap(16, 4096).optional(),
  parametersRef: localObjectReference.optional(),
});

function checkListeners(listeners: Listener[], ctx: z.RefinementCtx): void {
  const at = (i: number, ...rest: PropertyKey[]) => ["listeners", i, ...rest];
  reportDuplicates(ctx, listeners, (l) => l.name, (i) => at(i, "name"), "listener name");
  reportDuplicates(
    ctx,
    listeners,
    (l) => `${l.port}/${l.protocol}/${l.hostname ?? ""}`,
    (i) => at(i),
    "combination of port, protocol and hostname",
  );
  listeners.forEach((l, i) => {
    if (["HTTP", "TCP", "UDP"].includes(l.protocol) && l.tls !== undefined)
      issue(ctx, at(i, "tls"), `tls must not be specified for protocol ${l.protocol}`);
    if (l.protocol === "HTTPS" && l.tls?.mode !== undefined && l.tls.mode !== "Terminate")
      issue(ctx, at(i, "tls", "mode"), "tls mode must be Terminate for protocol HTTPS");
    if (l.protocol === "TLS" && l.tls?.mode === undefined)
      issue(ctx, at(i, "tls", "mode"), "tls mode must be set for protocol TLS");
    if (["TCP", "UDP"].includes(l.protocol) && l.hostname)
      issue(ctx, at(i, "hostname"), `hostname must not be specified for protocol ${l.protocol}`);
  });
}

const gatewaySpec = z
  .strictObject({
    gatewayClassName: z.string().min(1).max(253),
    listeners: z.array(listener).min(1).max(64),
    addresses: z.array(gatewayAddress).max(16).optional(),
    infrastructure: gatewayInfrastructure.optional(),
    allowedListeners: z
      .strictObject({
        namespaces: z
          .strictObject({
            from: z.enum(["All", "Selector", "Same", "None"]).optional(),
            selector: labelSelector.optional(),
          })
          .optional(),
      })
      .optional(),
    tls: gatewayTLS.optional(),
  })
  .superRefine((spec, ctx) => {
    checkListeners(spec.listeners, ctx);
    for (const type of ["IPAddress", "Hostname"])
      reportDuplicates(
        ctx,
        spec.addresses,
        (a) => ((a.type ?? "IPAddress") === type && a.value !== undefined ? a.value : undefined),
        (i) => ["addresses", i, "value"],
        `${type} value`,
      );
  });

export const k8sGatewaySchema = customResource(gatewaySpec);

// ---------------------------------------------------------------------------------------------
// GatewayClass

const gatewayClassSpec = z.strictObject({
  controllerName: z
    .string()
    .min(1)
    .max(253)
    .regex(CONTROLLER_NAME, "must be a domain-prefixed path such as istio.io/gateway-controller"),
  parametersRef: z.strictObject({ group, kind, name: objectName, namespace: namespace.optional() }).optional(),
  description: z.string().max(64).optional(),
});

export const gatewayClassSchema = customResource(gatewayClassSpec);

// ---------------------------------------------------------------------------------------------
// ReferenceGrant (referencegrant_types.go): lets objects of `from` (group, kind, namespace) refer
// to objects of `to` (group, kind, optionally one name) in the grant's own namespace.

const referenceGrantSpec = z.strictObject({
  from: z.array(z.strictObject({ group, kind, namespace })).min(1).max(16),
  to: z.array(z.strictObject({ group, kind, name: objectName.optional() })).min(1).max(16),
});

export const referenceGrantSchema = customResource(referenceGrantSpec);
