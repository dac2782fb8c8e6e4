// The authz filter's compiled form of FilterConfig.authz (control/mesh/snapshot.ts AuthzConfig):
// mTLS modes by port and AuthorizationPolicy rules with Istio's value semantics (exact,
// "prefix*", "*suffix", "*" = any non-empty), CIDR blocks parsed, `when` keys resolved to
// request attributes. Built once per accepted config; anything malformed rejects the config.
import { JsonObject, JsonValue } from "../lib/json";
import { Cidr, istioPath, istioValue, parseCidr, StringMatcher } from "../lib/match";
import { pathTemplateError } from "../lib/path-template";
import { SlotNames, toLowerAscii } from "../lib/request";
import { Reader } from "../lib/schema";

export const enum Mode { Permissive, Strict, Disable }
export const enum Action { Custom, Deny, Allow, Audit }

/** Attribute a `when` condition reads. */
export const enum Key {
  Header, // slot
  SourceIp,
  RemoteIp,
  DestinationIp,
  SourceNamespace,
  SourcePrincipal,
  AuthPrincipal,
  AuthAudiences, // slot (aud claim)
  AuthPresenter, // slot (azp claim)
  AuthClaim, // slot (claim path)
  DestinationPort,
  Sni,
  Unsupported,
}

/** Where Envoy's jwt_authn puts the verified payload (its `payload_in_metadata`). */
export const JWT_METADATA: string[] = ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload"];

export class Source {
  principals: StringMatcher[] = [];
  notPrincipals: StringMatcher[] = [];
  requestPrincipals: StringMatcher[] = [];
  notRequestPrincipals: StringMatcher[] = [];
  namespaces: StringMatcher[] = [];
  notNamespaces: StringMatcher[] = [];
  ipBlocks: Cidr[] = [];
  notIpBlocks: Cidr[] = [];
  remoteIpBlocks: Cidr[] = [];
  notRemoteIpBlocks: Cidr[] = [];
}

export class Operation {
  hosts: StringMatcher[] = [];
  notHosts: StringMatcher[] = [];
  ports: i64[] = [];
  notPorts: i64[] = [];
  methods: StringMatcher[] = [];
  notMethods: StringMatcher[] = [];
  paths: StringMatcher[] = [];
  notPaths: StringMatcher[] = [];
}

export class Condition {
  key: Key = Key.Unsupported;
  slot: i32 = -1;
  values: StringMatcher[] = [];
  notValues: StringMatcher[] = [];
  cidrs: Cidr[] = [];
  notCidrs: Cidr[] = [];
  ports: i64[] = [];
  notPorts: i64[] = [];
  /** For an unsupported key: what the condition evaluates to (Istio: ignored in DENY/CUSTOM
   * policies, so the rule matches more; never matches in ALLOW/AUDIT policies). */
  unsupportedHolds: bool = false;
}

export class Rule {
  from: Source[] = [];
  to: Operation[] = [];
  when: Condition[] = [];
}

export class Policy {
  name: string = "";
  provider: string = "";
  rules: Rule[] = [];
}

export class AuthzTable {
  mode: Mode = Mode.Permissive;
  portModes: Map<i64, Mode> = new Map();
  custom: Policy[] = [];
  deny: Policy[] = [];
  allow: Policy[] = [];
  audit: Policy[] = [];
  slots: SlotNames = new SlotNames();
  issSlot: i32 = -1;
  subSlot: i32 = -1;
}

export function readAuthzTable(r: Reader, v: JsonValue | null): AuthzTable | null {
  const t = new AuthzTable();
  t.issSlot = t.slots.property(claimPath(["iss"]));
  t.subSlot = t.slots.property(claimPath(["sub"]));
  const root = r.object(v, "authz");
  const mtls = r.child(root, "mtls", "authz", true);
  if (mtls !== null) {
    t.mode = readMode(r, mtls, "authz.mtls");
    const ports = r.array(mtls, "ports", "authz.mtls", false);
    for (let i = 0; i < ports.length; i++) {
      const p = "authz.mtls.ports[" + i.toString() + "]";
      const o = r.object(ports[i], p);
      const port = <i64>r.int(o, "port", p, 1, 65535, 0, true);
      t.portModes.set(port, readMode(r, o, p));
    }
  }
  const policies = r.child(root, "policies", "authz", true);
  if (policies !== null) {
    t.custom = readPolicies(r, t, policies.get("custom"), "authz.policies.custom", Action.Custom);
    t.deny = readPolicies(r, t, policies.get("deny"), "authz.policies.deny", Action.Deny);
    t.allow = readPolicies(r, t, policies.get("allow"), "authz.policies.allow", Action.Allow);
    t.audit = readPolicies(r, t, policies.get("audit"), "authz.policies.audit", Action.Audit);
  }
  r.array(root, "jwt", "authz", false); // verified by Envoy's jwt_authn, not here
  return r.ok() ? t : null;
}

function readMode(r: Reader, o: JsonObject, path: string): Mode {
  const m = r.string(o, "mode", path);
  if (m == "STRICT") return Mode.Strict;
  if (m == "PERMISSIVE") return Mode.Permissive;
  if (m == "DISABLE") return Mode.Disable;
  r.fail(path + ".mode", "must be STRICT, PERMISSIVE or DISABLE");
  return Mode.Permissive;
}

function readPolicies(r: Reader, t: AuthzTable, v: JsonValue | null, path: string, action: Action): Policy[] {
  const out = new Array<Policy>(0);
  if (v === null) {
    r.fail(path, "is required");
    return out;
  }
  const items = v.asArray();
  if (items === null) {
    r.fail(path, "must be an array");
    return out;
  }
  for (let i = 0; i < items.items.length && r.ok(); i++) {
    const p = path + "[" + i.toString() + "]";
    const o = r.object(items.items[i], p);
    const policy = new Policy();
    policy.name = r.string(o, "name", p);
    const provider = r.optString(o, "provider", p);
    policy.provider = provider === null ? "" : provider;
    const rules = r.array(o, "rules", p, true);
    for (let j = 0; j < rules.length; j++) policy.rules.push(readRule(r, t, rules[j], p + ".rules[" + j.toString() + "]", action));
    out.push(policy);
  }
  return out;
}

function readRule(r: Reader, t: AuthzTable, v: JsonValue, path: string, action: Action): Rule {
  const o = r.object(v, path);
  const rule = new Rule();
  const from = r.array(o, "from", path, false);
  for (let i = 0; i < from.length; i++) rule.from.push(readSource(r, from[i], path + ".from[" + i.toString() + "]"));
  const to = r.array(o, "to", path, false);
  for (let i = 0; i < to.length; i++) rule.to.push(readOperation(r, to[i], path + ".to[" + i.toString() + "]"));
  const when = r.array(o, "when", path, false);
  for (let i = 0; i < when.length; i++) rule.when.push(readCondition(r, t, when[i], path + ".when[" + i.toString() + "]", action));
  return rule;
}

function values(r: Reader, o: JsonObject, key: string, path: string, ignoreCase: bool): StringMatcher[] {
  const list = r.strings(o, key, path);
  const out = new Array<StringMatcher>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = istioValue(list[i], ignoreCase);
  return out;
}

/** `paths`/`notPaths`: Istio values or path templates; a template the filter cannot enforce rejects the config. */
function pathValues(r: Reader, o: JsonObject, key: string, path: string): StringMatcher[] {
  const list = r.strings(o, key, path);
  const out = new Array<StringMatcher>(0);
  for (let i = 0; i < list.length; i++) {
    const m = istioPath(list[i]);
    if (m === null) r.fail(path + "." + key + "[" + i.toString() + "]", pathTemplateError);
    else out.push(m);
  }
  return out;
}

function cidrs(r: Reader, list: string[], path: string): Cidr[] {
  const out = new Array<Cidr>(0);
  for (let i = 0; i < list.length; i++) {
    const c = parseCidr(list[i]);
    if (c === null) r.fail(path + "[" + i.toString() + "]", "is not an IP address or CIDR block");
    else out.push(c);
  }
  return out;
}

function ports(r: Reader, list: string[], path: string): i64[] {
  const out = new Array<i64>(0);
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    let n: i64 = 0;
    let ok = s.length > 0 && s.length <= 5;
    for (let k = 0; k < s.length && ok; k++) {
      const d = s.charCodeAt(k) - 0x30;
      if (d < 0 || d > 9) ok = false;
      else n = n * 10 + d;
    }
    if (!ok || n < 1 || n > 65535) r.fail(path + "[" + i.toString() + "]", "must be a port number");
    else out.push(n);
  }
  return out;
}

function readSource(r: Reader, v: JsonValue, path: string): Source {
  const o = r.object(v, path);
  const s = new Source();
  s.principals = values(r, o, "principals", path, false);
  s.notPrincipals = values(r, o, "notPrincipals", path, false);
  s.requestPrincipals = values(r, o, "requestPrincipals", path, false);
  s.notRequestPrincipals = values(r, o, "notRequestPrincipals", path, false);
  s.namespaces = values(r, o, "namespaces", path, false);
  s.notNamespaces = values(r, o, "notNamespaces", path, false);
  s.ipBlocks = cidrs(r, r.strings(o, "ipBlocks", path), path + ".ipBlocks");
  s.notIpBlocks = cidrs(r, r.strings(o, "notIpBlocks", path), path + ".notIpBlocks");
  s.remoteIpBlocks = cidrs(r, r.strings(o, "remoteIpBlocks", path), path + ".remoteIpBlocks");
  s.notRemoteIpBlocks = cidrs(r, r.strings(o, "notRemoteIpBlocks", path), path + ".notRemoteIpBlocks");
  return s;
}

function readOperation(r: Reader, v: JsonValue, path: string): Operation {
  const o = r.object(v, path);
  const op = new Operation();
  op.hosts = values(r, o, "hosts", path, true);
  op.notHosts = values(r, o, "notHosts", path, true);
  op.ports = ports(r, r.strings(o, "ports", path), path + ".ports");
  op.notPorts = ports(r, r.strings(o, "notPorts", path), path + ".notPorts");
  op.methods = values(r, o, "methods", path, false);
  op.notMethods = values(r, o, "notMethods", path, false);
  op.paths = pathValues(r, o, "paths", path);
  op.notPaths = pathValues(r, o, "notPaths", path);
  return op;
}

function readCondition(r: Reader, t: AuthzTable, v: JsonValue, path: string, action: Action): Condition {
  const o = r.object(v, path);
  const c = new Condition();
  const key = r.string(o, "key", path);
  const vals = r.strings(o, "values", path);
  const nots = r.strings(o, "notValues", path);
  if (vals.length == 0 && nots.length == 0) r.fail(path, "needs values or notValues");
  if (key == "source.ip" || key == "remote.ip" || key == "destination.ip") {
    c.key = key == "source.ip" ? Key.SourceIp : key == "remote.ip" ? Key.RemoteIp : Key.DestinationIp;
    c.cidrs = cidrs(r, vals, path + ".values");
    c.notCidrs = cidrs(r, nots, path + ".notValues");
    return c;
  }
  if (key == "destination.port") {
    c.key = Key.DestinationPort;
    c.ports = ports(r, vals, path + ".values");
    c.notPorts = ports(r, nots, path + ".notValues");
    return c;
  }
  if (key.startsWith("request.headers[") && key.endsWith("]") && key.length > 17) {
    c.key = Key.Header;
    c.slot = t.slots.header(toLowerAscii(key.substring(16, key.length - 1)));
  } else if (key == "source.namespace") c.key = Key.SourceNamespace;
  else if (key == "source.principal") c.key = Key.SourcePrincipal;
  else if (key == "request.auth.principal") c.key = Key.AuthPrincipal;
  else if (key == "request.auth.audiences") {
    c.key = Key.AuthAudiences;
    c.slot = t.slots.property(claimPath(["aud"]));
  } else if (key == "request.auth.presenter") {
    c.key = Key.AuthPresenter;
    c.slot = t.slots.property(claimPath(["azp"]));
  } else if (key.startsWith("request.auth.claims[") && key.endsWith("]")) {
    const names = claimNames(key.substring(19));
    if (names === null) r.fail(path + ".key", "bad claim path " + key);
    else {
      c.key = Key.AuthClaim;
      c.slot = t.slots.property(claimPath(names));
    }
  } else if (key == "connection.sni") c.key = Key.Sni;
  else {
    c.key = Key.Unsupported;
    c.unsupportedHolds = action == Action.Deny || action == Action.Custom;
  }
  c.values = matchers(vals);
  c.notValues = matchers(nots);
  return c;
}

function matchers(list: string[]): StringMatcher[] {
  const out = new Array<StringMatcher>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = istioValue(list[i], false);
  return out;
}

/** "[a][b]" -> ["a", "b"]; null when malformed. */
function claimNames(s: string): string[] | null {
  const out = new Array<string>(0);
  let i = 0;
  while (i < s.length) {
    if (s.charCodeAt(i) != 0x5b) return null;
    const end = s.indexOf("]", i);
    if (end <= i + 1) return null;
    out.push(s.substring(i + 1, end));
    i = end + 1;
  }
  return out.length > 0 && out.length <= 8 ? out : null;
}

function claimPath(names: string[]): string[] {
  const p = JWT_METADATA.slice(0);
  for (let i = 0; i < names.length; i++) p.push(names[i]);
  return p;
}
