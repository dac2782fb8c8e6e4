// AuthorizationPolicy and RequestAuthentication → the inbound tables of one workload.
// Evaluation (CUSTOM → DENY → ALLOW) happens in the authz filter; here we only select and normalise.
import { specOf } from "../config.ts";
import type { KubeObject } from "../kinds/types.ts";
import type { Registry, Workload } from "../registry/types.ts";
import type { AuthzCondition, AuthzOperation, AuthzPolicy, AuthzRule, AuthzSource, AuthzTable, JwtRule } from "../snapshot.ts";
import { applicablePolicies } from "./selection.ts";

interface AuthorizationPolicySpec {
  action?: "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";
  provider?: { name: string };
  rules?: { from?: { source?: AuthzSource }[]; to?: { operation?: AuthzOperation }[]; when?: AuthzCondition[] }[];
}

interface RequestAuthenticationSpec {
  jwtRules?: (Omit<JwtRule, "origin"> & { jwks_uri?: string })[];
}

function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

function compileRule(rule: NonNullable<AuthorizationPolicySpec["rules"]>[number]): AuthzRule {
  return {
    from: (rule.from ?? []).map((f) => compact({ ...(f.source ?? {}) })),
    to: (rule.to ?? []).map((t) => compact({ ...(t.operation ?? {}) })),
    when: (rule.when ?? []).map((w) => compact({ key: w.key, values: w.values, notValues: w.notValues })),
  };
}

export function compileAuthorization(policies: KubeObject[], workload: Workload, registry: Registry): AuthzTable {
  const table: AuthzTable = { custom: [], deny: [], allow: [], audit: [] };
  for (const p of applicablePolicies(policies, workload, registry)) {
    const spec = specOf<AuthorizationPolicySpec>(p);
    const compiled: AuthzPolicy = { name: `${p.metadata.namespace}/${p.metadata.name}`, rules: (spec.rules ?? []).map(compileRule) };
    if (spec.provider) compiled.provider = spec.provider.name;
    const action = spec.action ?? "ALLOW";
    table[action.toLowerCase() as keyof AuthzTable].push(compiled);
  }
  return table;
}

export function compileJwtRules(policies: KubeObject[], workload: Workload, registry: Registry): JwtRule[] {
  return applicablePolicies(policies, workload, registry).flatMap((p) =>
    // jwks_uri is the CRD's other spelling of jwksUri.
    (specOf<RequestAuthenticationSpec>(p).jwtRules ?? []).map(({ jwks_uri, ...r }) =>
      compact({ origin: `${p.metadata.namespace}/${p.metadata.name}`, ...r, jwksUri: r.jwksUri ?? jwks_uri }),
    ),
  );
}
