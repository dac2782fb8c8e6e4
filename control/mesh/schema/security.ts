// security.istio.io (v1 and v1beta1 share one schema): PeerAuthentication, AuthorizationPolicy,
// RequestAuthentication.
//
// Structure: istio/api security/v1beta1/{peer_authentication,authorization_policy,request_authentication}.proto
// and type/v1beta1/selector.proto (WorkloadSelector, PolicyTargetReference), with the CRD's structural
// validations (enums, min/max lengths, patterns, maxItems, CEL rules) from the generated CRDs.
// Semantics: istio/istio pkg/config/validation/validation.go (ValidatePeerAuthentication,
// ValidateAuthorizationPolicy, ValidateRequestAuthentication) and pkg/config/security/security.go,
// as refinements that report the exact field at fault. Where the CRD and istiod's webhook disagree we
// reject what either rejects, as a cluster running both would.
import { z } from "zod";
import { isPathTemplate, parsePathTemplate, pathTemplateError } from "../../../filters/lib/path-template.ts";
import { customResource } from "./meta.ts";

// ---------------------------------------------------------------------------------------------
// IP addresses and prefixes, parsed the way Go's net/netip does (istiod uses netip.ParseAddr and
// netip.ParsePrefix): IPv4 is four decimal octets without leading zeros; IPv6 allows one "::",
// an embedded IPv4 tail and (for addresses, not prefixes) a zone.

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string, allowZone: boolean): boolean {
  const pct = s.indexOf("%");
  if (pct >= 0) {
    if (!allowZone || pct === s.length - 1) return false;
    s = s.slice(0, pct);
  }
  let groups = 8;
  // An embedded IPv4 address takes the place of the last two groups.
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(s.slice(lastColon + 1))) return false;
    s = s.slice(0, lastColon + 1) + "0";
    groups = 7;
  }
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const halves = s.split("::");
  if (halves.length > 2) return false;
  if (halves.length === 2) {
    const head = halves[0] === "" ? [] : halves[0].split(":");
    const tail = halves[1] === "" ? [] : halves[1].split(":");
    return head.length + tail.length < groups && [...head, ...tail].every((g) => hex.test(g));
  }
  const all = s.split(":");
  return all.length === groups && all.every((g) => hex.test(g));
}

/** A single IPv4 or IPv6 address (netip.ParseAddr). */
export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s, true);
}

/** An address prefix such as `10.0.0.0/8` or `2001:db8::/32` (netip.ParsePrefix; host bits may be set). */
export function isCIDR(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return false;
  if (isIPv4(addr)) return Number(bits) <= 32;
  if (isIPv6(addr, false)) return Number(bits) <= 128;
  return false;
}

// ---------------------------------------------------------------------------------------------
// type/v1beta1/selector.proto

/** WorkloadSelector: Istio accepts any label text here but forbids empty keys and wildcards. */
export const workloadSelector = z.strictObject({
  matchLabels: z
    .record(z.string(), z.string().max(63))
    .superRefine((labels, ctx) => {
      const entries = Object.entries(labels);
      if (entries.length > 4096) ctx.addIssue({ code: "custom", path: [], message: "must have at most 4096 labels" });
      for (const [key, value] of entries) {
        if (key === "") ctx.addIssue({ code: "custom", path: [key], message: "key must not be empty" });
        if (key.includes("*"))
          ctx.addIssue({ code: "custom", path: [key], message: `wildcard not allowed in label key match "${key}"` });
        if (value.includes("*"))
          ctx.addIssue({ code: "custom", path: [key], message: `wildcard not allowed in label value match "${value}"` });
      }
    })
    .optional(),
});

const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

// istiod's allowedTargetRefs (validatePolicyTargetReference): group "" is the core group.
const ALLOWED_TARGET_REFS = [
  { group: "", kind: "Service" },
  { group: "networking.istio.io", kind: "ServiceEntry" },
  { group: "gateway.networking.k8s.io", kind: "Gateway" },
  { group: "gateway.networking.k8s.io", kind: "GatewayClass" },
];

/** PolicyTargetReference; only same-namespace references are supported. */
export const policyTargetReference = z
  .strictObject({
    group: z.string().max(253).regex(GROUP, "must be empty or a lowercase DNS subdomain").optional(),
    kind: z.string().min(1).max(63).regex(KIND, "must be an alphanumeric kind name such as Service"),
    name: z.string().min(1).max(253),
    namespace: z.string().optional(),
  })
  .superRefine((ref, ctx) => {
    if (ref.namespace !== undefined && ref.namespace !== "")
      ctx.addIssue({
        code: "custom",
        path: ["namespace"],
        message: "cross namespace referencing is not currently supported; leave namespace unset",
      });
    const group = ref.group === "core" ? "" : (ref.group ?? "");
    if (!GROUP.test(ref.group ?? "") || !KIND.test(ref.kind)) return; // already reported by the patterns
    if (!ALLOWED_TARGET_REFS.some((a) => a.group === group && a.kind === ref.kind))
      ctx.addIssue({
        code: "custom",
        path: ["kind"],
        message: `targetRef must be to one of ${ALLOWED_TARGET_REFS.map((a) => `${a.group || "core"}/${a.kind}`).join(", ")} but was ${ref.group ?? ""}/${ref.kind}`,
      });
  });

/** selector, targetRef and targetRefs are mutually exclusive: report every one after the first. */
function oneOfSelectorType(
  spec: { selector?: unknown; targetRef?: unknown; targetRefs?: unknown },
  ctx: z.RefinementCtx,
): void {
  const set = (["selector", "targetRef", "targetRefs"] as const).filter((f) => spec[f] !== undefined);
  for (const field of set.slice(1))
    ctx.addIssue({
      code: "custom",
      path: [field],
      message: `only one of targetRefs or selector can be set (${set.join(" and ")} are set)`,
    });
}

// ---------------------------------------------------------------------------------------------
// PeerAuthentication

const mtlsMode = z.enum(["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]);
const mutualTLS = z.strictObject({ mode: mtlsMode.optional() });

const peerAuthenticationSpec = z
  .strictObject({
    selector: workloadSelector.optional(),
    mtls: mutualTLS.optional(),
    // map<uint32, MutualTLS>: the JSON keys are port numbers.
    portLevelMtls: z.record(z.string(), mutualTLS).optional(),
  })
  .superRefine((spec, ctx) => {
    const ports = spec.portLevelMtls;
    if (ports === undefined) return;
    const keys = Object.keys(ports);
    if (keys.length === 0)
      ctx.addIssue({ code: "custom", path: ["portLevelMtls"], message: "must have at least 1 port when set" });
    if (Object.keys(spec.selector?.matchLabels ?? {}).length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["portLevelMtls"],
        message:
          "portLevelMtls requires selector: mesh- and namespace-wide peer authentication cannot have port level mTLS; add selector.matchLabels",
      });
    for (const key of keys)
      if (!/^[0-9]+$/.test(key) || Number(key) < 1 || Number(key) > 65535)
        ctx.addIssue({
          code: "custom",
          path: ["portLevelMtls", key],
          message: `port must be between 1-65535, got "${key}"`,
        });
  });

export const peerAuthenticationSchema = customResource(peerAuthenticationSpec);

// ---------------------------------------------------------------------------------------------
// AuthorizationPolicy

const stringList = z.array(z.string());

const source = z.strictObject({
  principals: stringList.optional(),
  notPrincipals: stringList.optional(),
  requestPrincipals: stringList.optional(),
  notRequestPrincipals: stringList.optional(),
  namespaces: stringList.optional(),
  notNamespaces: stringList.optional(),
  serviceAccounts: z.array(z.string().max(320)).max(16).optional(),
  notServiceAccounts: z.array(z.string().max(320)).max(16).optional(),
  ipBlocks: stringList.optional(),
  notIpBlocks: stringList.optional(),
  remoteIpBlocks: stringList.optional(),
  notRemoteIpBlocks: stringList.optional(),
  trustDomains: stringList.optional(),
  notTrustDomains: stringList.optional(),
});
type Source = z.infer<typeof source>;

const operation = z.strictObject({
  hosts: stringList.optional(),
  notHosts: stringList.optional(),
  ports: stringList.optional(),
  notPorts: stringList.optional(),
  methods: stringList.optional(),
  notMethods: stringList.optional(),
  paths: stringList.optional(),
  notPaths: stringList.optional(),
});
type Operation = z.infer<typeof operation>;

const condition = z.strictObject({
  key: z.string(),
  values: stringList.optional(),
  notValues: stringList.optional(),
});

const rule = z.strictObject({
  from: z.array(z.strictObject({ source })).max(512).optional(),
  to: z.array(z.strictObject({ operation })).optional(),
  when: z.array(condition).optional(),
});

type Issue = { path: PropertyKey[]; message: string };

function emptyValues(values: string[] | undefined): Issue[] {
  return (values ?? []).flatMap((v, i) => (v === "" ? [{ path: [i], message: "empty value not allowed" }] : []));
}

function ipValues(values: string[] | undefined): Issue[] {
  return (values ?? []).flatMap((v, i) => {
    if (v === "") return [];
    if (v.includes("/")) return isCIDR(v) ? [] : [{ path: [i], message: `bad CIDR range "${v}"` }];
    return isIP(v) ? [] : [{ path: [i], message: `bad IP address "${v}"` }];
  });
}

function portValues(values: string[] | undefined): Issue[] {
  return (values ?? []).flatMap((v, i) =>
    v === "" || (/^[0-9]+$/.test(v) && Number(v) <= 65535)
      ? []
      : [{ path: [i], message: `bad port "${v}": must be a number between 0 and 65535` }],
  );
}

// security.CheckWildcardValues: at most one '*', only at the start or the end.
function wildcardValues(values: string[] | undefined): Issue[] {
  return (values ?? []).flatMap((v, i) => {
    const count = v.split("*").length - 1;
    if (count > 1) return [{ path: [i], message: `at most one wildcard is allowed: "${v}"` }];
    if (count === 1 && v !== "*" && !v.startsWith("*") && !v.endsWith("*"))
      return [{ path: [i], message: `wildcard is only allowed at the start or end: "${v}"` }];
    return [];
  });
}

function trustDomainValues(values: string[] | undefined): Issue[] {
  const wild = wildcardValues(values);
  const slash = (values ?? []).flatMap((v, i) =>
    v.includes("/") ? [{ path: [i], message: `trust domain must not contain '/': "${v}"` }] : [],
  );
  return [...wild, ...slash];
}

// security.CheckServiceAccount: "sa" or "namespace/sa", no wildcards.
function serviceAccountValues(values: string[] | undefined): Issue[] {
  return (values ?? []).flatMap((v, i) => {
    if (v === "") return [];
    if (v.includes("*")) return [{ path: [i], message: `wildcard not allowed: "${v}"` }];
    const parts = v.split("/");
    if (parts.length > 2 || parts.some((p) => p === ""))
      return [{ path: [i], message: `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${v}"` }];
    return [];
  });
}

// security.CheckValidPathTemplate, with the authz filter's own parser (filters/lib/path-template.ts):
// a template is accepted exactly when the filter can enforce it. Outside templates, '{' and '}'
// are refused as Istio does.
function pathTemplateValues(values: string[] | undefined): Issue[] {
  return (values ?? []).flatMap((path, i) => {
    if (isPathTemplate(path)) return parsePathTemplate(path) ? [] : [{ path: [i], message: pathTemplateError }];
    if (/[{}]/.test(path)) return [{ path: [i], message: `invalid path template "${path}": '{' or '}' outside a whole-segment {*} or {**}` }];
    return [];
  });
}

function report(ctx: z.RefinementCtx, prefix: PropertyKey[], issues: Issue[]): void {
  for (const issue of issues) ctx.addIssue({ code: "custom", path: [...prefix, ...issue.path], message: issue.message });
}

// security.ValidateAttribute: the condition keys Istio knows, and what their values must look like.
function mapKeyOk(key: string): boolean {
  const open = key.indexOf("[");
  return key.endsWith("]") && open > 0 && open < key.length - 2;
}

type KeyCheck = { keyError?: string; values?: (v: string[] | undefined) => Issue[] };

function conditionKey(key: string): KeyCheck {
  const mapKey = (): KeyCheck => (mapKeyOk(key) ? {} : { keyError: `bad key "${key}": should have format a[b]` });
  if (key.startsWith("request.headers")) return mapKey();
  if (key.startsWith("request.auth.claims")) return mapKey();
  if (key.startsWith("experimental.envoy.filters.")) return mapKey();
  switch (key) {
    case "source.ip":
    case "remote.ip":
    case "destination.ip":
      return { values: ipValues };
    case "destination.port":
      return { values: portValues };
    case "source.serviceAccount":
      return { values: serviceAccountValues };
    case "source.trustDomain":
      return { values: wildcardValues };
    case "source.namespace":
    case "source.principal":
    case "request.auth.principal":
    case "request.auth.audiences":
    case "request.auth.presenter":
    case "connection.sni":
      return {};
    case "destination.namespace":
      return { keyError: `attribute ${key} is replaced by the policy's metadata.namespace` };
    case "destination.name":
    case "destination.user":
      return { keyError: `deprecated attribute ${key}: only supported in v1alpha1` };
  }
  if (key.startsWith("destination.labels")) return { keyError: `attribute ${key} is replaced by the workload selector` };
  return {
    keyError:
      `unknown attribute "${key}"; supported: request.headers[<name>], source.ip, remote.ip, source.namespace, ` +
      "source.principal, source.serviceAccount, source.trustDomain, request.auth.principal, request.auth.audiences, " +
      "request.auth.presenter, request.auth.claims[<name>], destination.ip, destination.port, connection.sni, " +
      "experimental.envoy.filters.*[<name>]",
  };
}

const SOURCE_FIELDS = Object.keys(source.shape) as (keyof Source)[];
const OPERATION_FIELDS = Object.keys(operation.shape) as (keyof Operation)[];
// Source fields a CUSTOM action cannot match on (the ext_authz filter runs before peer authentication data).
const CUSTOM_UNSUPPORTED_SOURCE: (keyof Source)[] = [
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
  "trustDomains",
  "notTrustDomains",
  "principals",
  "notPrincipals",
  "requestPrincipals",
  "notRequestPrincipals",
];

const authorizationPolicySpec = z
  .strictObject({
    selector: workloadSelector.optional(),
    targetRef: policyTargetReference.optional(),
    targetRefs: z.array(policyTargetReference).max(16).optional(),
    rules: z.array(rule).max(512).optional(),
    action: z.enum(["ALLOW", "DENY", "AUDIT", "CUSTOM"]).optional(),
    provider: z.strictObject({ name: z.string().optional() }).optional(),
  })
  .superRefine((spec, ctx) => {
    oneOfSelectorType(spec, ctx);
    const custom = spec.action === "CUSTOM";

    if (custom && spec.rules === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rules"],
        message:
          "CUSTOM action without rules is meaningless as it will never be triggered; add an empty rule {} to trigger it for every request",
      });
    if (custom && !spec.provider?.name)
      ctx.addIssue({
        code: "custom",
        path: spec.provider ? ["provider", "name"] : ["provider"],
        message: "provider.name must be set for the CUSTOM action (an extension provider from the mesh config)",
      });
    if (!custom && spec.provider !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["provider"],
        message: `provider must only be used with the CUSTOM action, found action ${spec.action ?? "ALLOW"}`,
      });
    if (spec.action === "DENY" && spec.rules === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rules"],
        message:
          "DENY action without rules is meaningless as it will never be triggered; add an empty rule {} to trigger it for every request",
      });

    (spec.rules ?? []).forEach((r, i) => {
      const at = (...rest: PropertyKey[]) => ["rules", i, ...rest];
      if (r.from !== undefined && r.from.length === 0)
        ctx.addIssue({ code: "custom", path: at("from"), message: "must not be empty; omit from to match any source" });
      r.from?.forEach(({ source: src }, j) => {
        const here = at("from", j, "source");
        if (SOURCE_FIELDS.every((f) => (src[f]?.length ?? 0) === 0))
          ctx.addIssue({ code: "custom", path: here, message: "must not be empty" });
        if (
          (src.serviceAccounts !== undefined || src.notServiceAccounts !== undefined) &&
          (src.principals !== undefined ||
            src.notPrincipals !== undefined ||
            src.namespaces !== undefined ||
            src.notNamespaces !== undefined)
        ) {
          const field = src.serviceAccounts !== undefined ? "serviceAccounts" : "notServiceAccounts";
          ctx.addIssue({
            code: "custom",
            path: [...here, field],
            message: "Cannot set serviceAccounts with namespaces or principals; put them in separate from entries",
          });
        }
        for (const f of SOURCE_FIELDS) report(ctx, [...here, f], emptyValues(src[f]));
        for (const f of ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"] as const)
          report(ctx, [...here, f], ipValues(src[f]));
        for (const f of ["serviceAccounts", "notServiceAccounts"] as const)
          report(ctx, [...here, f], serviceAccountValues(src[f]));
        for (const f of ["trustDomains", "notTrustDomains"] as const)
          report(ctx, [...here, f], trustDomainValues(src[f]));
        if (custom)
          for (const f of CUSTOM_UNSUPPORTED_SOURCE)
            if ((src[f]?.length ?? 0) > 0)
              ctx.addIssue({ code: "custom", path: [...here, f], message: `${f} is not supported with the CUSTOM action` });
      });

      if (r.to !== undefined && r.to.length === 0)
        ctx.addIssue({ code: "custom", path: at("to"), message: "must not be empty; omit to to match any operation" });
      r.to?.forEach(({ operation: op }, j) => {
        const here = at("to", j, "operation");
        if (OPERATION_FIELDS.every((f) => (op[f]?.length ?? 0) === 0))
          ctx.addIssue({ code: "custom", path: here, message: "must not be empty" });
        for (const f of OPERATION_FIELDS) report(ctx, [...here, f], emptyValues(op[f]));
        report(ctx, [...here, "ports"], portValues(op.ports));
        report(ctx, [...here, "notPorts"], portValues(op.notPorts));
        report(ctx, [...here, "paths"], pathTemplateValues(op.paths));
        report(ctx, [...here, "notPaths"], pathTemplateValues(op.notPaths));
      });

      if (r.when !== undefined && r.when.length === 0)
        ctx.addIssue({ code: "custom", path: at("when"), message: "must not be empty; omit when to match any request" });
      r.when?.forEach((c, j) => {
        const here = at("when", j);
        if (c.key === "") {
          ctx.addIssue({ code: "custom", path: [...here, "key"], message: "must not be empty" });
          return;
        }
        if ((c.values?.length ?? 0) === 0 && (c.notValues?.length ?? 0) === 0) {
          ctx.addIssue({
            code: "custom",
            path: [...here, "values"],
            message: `at least one of values or notValues must be set for key ${c.key}`,
          });
        }
        const check = conditionKey(c.key);
        if (check.keyError) ctx.addIssue({ code: "custom", path: [...here, "key"], message: check.keyError });
        report(ctx, [...here, "values"], emptyValues(c.values));
        report(ctx, [...here, "notValues"], emptyValues(c.notValues));
        if (check.values) {
          report(ctx, [...here, "values"], check.values(c.values));
          report(ctx, [...here, "notValues"], check.values(c.notValues));
        }
        if (
          custom &&
          (["source.namespace", "source.serviceAccount", "source.trustDomain", "source.principal"].includes(c.key) ||
            c.key.startsWith("request.auth."))
        )
          ctx.addIssue({
            code: "custom",
            path: [...here, "key"],
            message: `${c.key} is not supported with the CUSTOM action`,
          });
      });
    });
  });

export const authorizationPolicySchema = customResource(authorizationPolicySpec);

// ---------------------------------------------------------------------------------------------
// RequestAuthentication

const HEADER_NAME = /^[-_A-Za-z0-9]*$/; // emptiness is reported by min(1)
// A protobuf Duration as JSON ("5s", "1.5s", "100ms", "1m"); Kubernetes' CEL duration() also takes h/m/us/ns.
const DURATION = /^([0-9]+(\.[0-9]+)?(h|m|s|ms|us|µs|ns))+$/;

function durationMs(s: string): number {
  let total = 0;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, "µs": 1e-3, ns: 1e-6 };
  for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}

function isJwksUri(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

const jwksUri = z
  .string()
  .min(1)
  .max(2048)
  .refine(isJwksUri, "url must be a valid URL with scheme http:// or https://");

const jwtRule = z
  .strictObject({
    // Without an issuer (istiod's rule: issuer or jwksUri), Envoy's provider takes a token of any issuer.
    issuer: z.string().optional(),
    audiences: z.array(z.string().min(1, "audience must be a non-empty string")).optional(),
    jwksUri: jwksUri.optional(),
    jwks_uri: jwksUri.optional(), // the CRD's alternative spelling (kubebuilder altName)
    // istiod parses the inline JWKS (jwk.Parse); we check that it is a JSON object (a key or a key set).
    jwks: z
      .string()
      .refine((s) => {
        try {
          const v: unknown = JSON.parse(s);
          return typeof v === "object" && v !== null && !Array.isArray(v);
        } catch {
          return false;
        }
      }, "jwks must be a JSON Web Key Set (a JSON object)")
      .optional(),
    fromHeaders: z
      .array(z.strictObject({ name: z.string().min(1, "header name must be non-empty"), prefix: z.string().optional() }))
      .optional(),
    fromParams: z.array(z.string().min(1, "query parameter name must be non-empty")).optional(),
    fromCookies: z.array(z.string().min(1, "cookie name must be non-empty")).optional(),
    outputPayloadToHeader: z.string().optional(),
    forwardOriginalToken: z.boolean().optional(),
    outputClaimToHeaders: z
      .array(
        z.strictObject({
          header: z.string().min(1).regex(HEADER_NAME, "must be an HTTP header name (letters, digits, '-' and '_')"),
          claim: z.string().min(1),
        }),
      )
      .optional(),
    timeout: z
      .string()
      .refine((s) => DURATION.test(s) && durationMs(s) >= 1, "must be a valid duration greater than 1ms, such as 5s")
      .optional(),
    spaceDelimitedClaims: z.array(z.string().min(1)).max(64).optional(),
    presence: z.enum(["OPTIONAL", "REQUIRED"]).optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.issuer && !r.jwksUri && !r.jwks_uri) ctx.addIssue({ code: "custom", path: ["issuer"], message: "issuer or jwksUri must be non-empty string" });
    const keySources = (["jwksUri", "jwks_uri", "jwks"] as const).filter((f) => r[f] !== undefined);
    for (const field of keySources.slice(1))
      ctx.addIssue({ code: "custom", path: [field], message: "only one of jwks or jwksUri can be set" });
  });

const requestAuthenticationSpec = z
  .strictObject({
    selector: workloadSelector.optional(),
    targetRef: policyTargetReference.optional(),
    targetRefs: z.array(policyTargetReference).max(16).optional(),
    jwtRules: z.array(jwtRule).max(4096).optional(),
  })
  .superRefine(oneOfSelectorType);

export const requestAuthenticationSchema = customResource(requestAuthenticationSpec);
