// Authorization filter (inbound). Per request:
// 1. mTLS: the mode for destination.port (authz.mtls.ports override, else mode). STRICT and a
//    plaintext connection (connection.mtls false) -> 403 local reply `mtls_required` (Envoy
//    with Istio's STRICT listener would refuse the TLS-less connection; a filter can only
//    answer the request). PERMISSIVE and DISABLE let it through.
// 2. AuthorizationPolicy, Istio order: CUSTOM (no ext_authz in this mesh: a request that matches
//    a CUSTOM rule is denied and logged) -> DENY (any matching rule of any policy) -> ALLOW (when
//    any ALLOW policy exists, some rule of one must match) -> 403 `RBAC: access denied`.
//    AUDIT policies whose rules match log `audit <policy>` whatever the decision.
// Principals are the peer certificate's URI SAN without "spiffe://"; request principals are
// `<iss>/<sub>` of the payload Envoy's jwt_authn verified (metadata, see policy.ts JWT_METADATA).
export * from "../lib/exports";
import { Action } from "../lib/abi";
import { Gate, gateAction, MeshFilter } from "../lib/config";
import { registerFilter } from "../lib/filter";
import { Pairs } from "../lib/headers";
import { JsonObject, JsonValue } from "../lib/json";
import { debugEnabled, logDebug, logInfo, logWarn } from "../lib/log";
import { anyMatches, ipInAny, StringMatcher } from "../lib/match";
import { sendLocalReply } from "../lib/reply";
import { hostWithoutPort, indexOfCode, request, same } from "../lib/request";
import { Reader } from "../lib/schema";
import { AuthzTable, Condition, Key, Mode, Operation, Policy, readAuthzTable, Rule, Source } from "./policy";

const DENY_HEADERS = new Pairs().add("content-type", "text/plain").serialize();

class Authz extends MeshFilter {
  table: AuthzTable | null = null;

  acceptConfig(body: string, doc: JsonValue, etag: string): bool {
    const r = new Reader();
    const obj = doc.asObject();
    const table = readAuthzTable(r, obj === null ? null : (<JsonObject>obj).get("authz"));
    if (table === null) {
      this.rejection = r.error;
      return false;
    }
    this.table = table;
    return true;
  }

  onRequestHeaders(ctx: u32, numHeaders: u32, endOfStream: bool): i32 {
    const gate = this.gate();
    if (gate != Gate.Ready) return gateAction(gate);
    const t = <AuthzTable>this.table;
    request.begin(t.slots);
    auth.begin(t);

    let mode = t.mode;
    if (t.portModes.size > 0) {
      const port = request.port();
      if (t.portModes.has(port)) mode = t.portModes.get(port);
    }
    if (mode == Mode.Strict && !request.mtls()) {
      if (debugEnabled()) logDebug("mTLS STRICT on port " + request.port().toString() + ": plaintext refused");
      sendLocalReply(403, "mtls_required", "mTLS required\n", DENY_HEADERS);
      return Action.StopIteration;
    }

    let denied = false;
    let why = "";
    const custom = firstMatching(t.custom);
    if (custom !== null) {
      logWarn("CUSTOM policy " + custom.name + " rule " + matchedRule.toString() + " (provider " + custom.provider + ") matched: no ext_authz provider in this mesh, denied");
      denied = true;
    }
    if (!denied) {
      const deny = firstMatching(t.deny);
      if (deny !== null) {
        denied = true;
        if (debugEnabled()) why = "denied by " + deny.name + " rule " + matchedRule.toString() + " (DENY)";
      }
    }
    if (!denied && t.allow.length > 0) {
      const allow = firstMatching(t.allow);
      if (allow === null) {
        denied = true;
        if (debugEnabled()) why = "denied: no rule of the " + t.allow.length.toString() + " ALLOW policies matched";
      } else if (debugEnabled()) why = "allowed by " + allow.name + " rule " + matchedRule.toString() + " (ALLOW)";
    }
    if (why.length > 0) logDebug(why);
    for (let i = 0; i < t.audit.length; i++) {
      const p = unchecked(t.audit[i]);
      if (policyMatches(p)) logInfo("audit " + p.name);
    }
    if (denied) {
      sendLocalReply(403, "rbac_access_denied", "RBAC: access denied", DENY_HEADERS);
      return Action.StopIteration;
    }
    return Action.Continue;
  }
}

/** Per-request identity derived from the request (cached for the request). */
class AuthRequest {
  table: AuthzTable = new AuthzTable();
  private haveNs: bool = false;
  private ns: string | null = null;
  /** The principal `ns` was derived from (the same string on every request of a peer). */
  private nsOf: string = "";
  private haveRp: bool = false;
  private rp: string | null = null;

  begin(t: AuthzTable): void {
    this.table = t;
    this.haveNs = false;
    this.haveRp = false;
  }

  /** The namespace in the principal `<td>/ns/<ns>/sa/<sa>`; null without one. */
  namespace(): string | null {
    if (!this.haveNs) {
      this.haveNs = true;
      const p = request.principal();
      if (p === null) this.ns = null;
      else if (this.ns === null || !same(p, this.nsOf)) {
        this.nsOf = p;
        this.ns = namespaceOf(p);
      }
    }
    return this.ns;
  }

  /** `<iss>/<sub>` of the verified JWT; null without one. */
  requestPrincipal(): string | null {
    if (!this.haveRp) {
      this.haveRp = true;
      const iss = request.text(this.table.issSlot);
      const sub = request.text(this.table.subSlot);
      this.rp = iss === null || sub === null ? null : iss + "/" + sub;
    }
    return this.rp;
  }
}

const auth = new AuthRequest();

/** The segment after the first "/ns/" of a principal; null without one. */
function namespaceOf(p: string): string | null {
  for (let at = indexOfCode(p, 0x2f, 0); at >= 0 && at + 4 <= p.length; at = indexOfCode(p, 0x2f, at + 1)) {
    if (p.charCodeAt(at + 1) == 0x6e && p.charCodeAt(at + 2) == 0x73 && p.charCodeAt(at + 3) == 0x2f) { // "ns/"
      const start = at + 4;
      const end = indexOfCode(p, 0x2f, start);
      return p.substring(start, end < 0 ? p.length : end);
    }
  }
  return null;
}

function firstMatching(policies: Policy[]): Policy | null {
  for (let i = 0; i < policies.length; i++) {
    const p = unchecked(policies[i]);
    if (policyMatches(p)) return p;
  }
  return null;
}

/** Index of the rule that made the last policyMatches() true. */
let matchedRule = 0;

function policyMatches(p: Policy): bool {
  const rules = p.rules;
  for (let i = 0; i < rules.length; i++) {
    if (ruleMatches(unchecked(rules[i]))) {
      matchedRule = i;
      return true;
    }
  }
  return false;
}

function ruleMatches(rule: Rule): bool {
  const from = rule.from;
  if (from.length > 0) {
    let any = false;
    for (let i = 0; i < from.length && !any; i++) any = sourceMatches(unchecked(from[i]));
    if (!any) return false;
  }
  const to = rule.to;
  if (to.length > 0) {
    let any = false;
    for (let i = 0; i < to.length && !any; i++) any = operationMatches(unchecked(to[i]));
    if (!any) return false;
  }
  const when = rule.when;
  for (let i = 0; i < when.length; i++) if (!conditionHolds(unchecked(when[i]))) return false;
  return true;
}

/** A positive list holds when the value is present and matches one entry. */
function hit(list: StringMatcher[], v: string | null): bool {
  return v !== null && anyMatches(list, v);
}

function sourceMatches(s: Source): bool {
  if (s.principals.length > 0 && !hit(s.principals, request.principal())) return false;
  if (s.notPrincipals.length > 0 && hit(s.notPrincipals, request.principal())) return false;
  if (s.requestPrincipals.length > 0 && !hit(s.requestPrincipals, auth.requestPrincipal())) return false;
  if (s.notRequestPrincipals.length > 0 && hit(s.notRequestPrincipals, auth.requestPrincipal())) return false;
  if (s.namespaces.length > 0 && !hit(s.namespaces, auth.namespace())) return false;
  if (s.notNamespaces.length > 0 && hit(s.notNamespaces, auth.namespace())) return false;
  if (s.ipBlocks.length > 0 && !ipInAny(s.ipBlocks, request.sourceIp())) return false;
  if (s.notIpBlocks.length > 0 && ipInAny(s.notIpBlocks, request.sourceIp())) return false;
  if (s.remoteIpBlocks.length > 0 && !ipInAny(s.remoteIpBlocks, request.remoteIp())) return false;
  if (s.notRemoteIpBlocks.length > 0 && ipInAny(s.notRemoteIpBlocks, request.remoteIp())) return false;
  return true;
}

function hostHit(list: StringMatcher[]): bool {
  const a = request.authorityLower();
  if (anyMatches(list, a)) return true;
  // also without the port ("reviews:9080" matches hosts: ["reviews"])
  const host = hostWithoutPort(a);
  return host.length != a.length && anyMatches(list, host);
}

function portIn(list: i64[], port: i64): bool {
  for (let i = 0; i < list.length; i++) if (unchecked(list[i]) == port) return true;
  return false;
}

function operationMatches(op: Operation): bool {
  if (op.hosts.length > 0 && !hostHit(op.hosts)) return false;
  if (op.notHosts.length > 0 && hostHit(op.notHosts)) return false;
  if (op.ports.length > 0 && !portIn(op.ports, request.port())) return false;
  if (op.notPorts.length > 0 && portIn(op.notPorts, request.port())) return false;
  if (op.methods.length > 0 && !anyMatches(op.methods, request.method())) return false;
  if (op.notMethods.length > 0 && anyMatches(op.notMethods, request.method())) return false;
  if (op.paths.length > 0 && !anyMatches(op.paths, request.path())) return false;
  if (op.notPaths.length > 0 && anyMatches(op.notPaths, request.path())) return false;
  return true;
}

function conditionHolds(c: Condition): bool {
  switch (c.key) {
    case Key.SourceIp:
      return cidrCondition(c, request.sourceIp());
    case Key.RemoteIp:
      return cidrCondition(c, request.remoteIp());
    case Key.DestinationIp:
      return cidrCondition(c, request.destinationIp());
    case Key.DestinationPort: {
      const port = request.port();
      return (c.ports.length == 0 || portIn(c.ports, port)) && !portIn(c.notPorts, port);
    }
    case Key.Header:
      return valueCondition(c, request.text(c.slot));
    case Key.SourceNamespace:
      return valueCondition(c, auth.namespace());
    case Key.SourcePrincipal:
      return valueCondition(c, request.principal());
    case Key.AuthPrincipal:
      return valueCondition(c, auth.requestPrincipal());
    case Key.Sni:
      return valueCondition(c, request.sni());
    case Key.AuthAudiences:
    case Key.AuthPresenter:
    case Key.AuthClaim:
      return claimCondition(c, request.raw(c.slot));
    default:
      return c.unsupportedHolds;
  }
}

function valueCondition(c: Condition, v: string | null): bool {
  if (c.values.length > 0 && !hit(c.values, v)) return false;
  return !hit(c.notValues, v);
}

function cidrCondition(c: Condition, ip: string): bool {
  if (c.cidrs.length > 0 && !ipInAny(c.cidrs, ip)) return false;
  return !ipInAny(c.notCidrs, ip);
}

/** A claim is a string or a list of strings (Envoy serializes a list as pairs with empty
 * values); the condition holds when any element matches `values` and none matches `notValues`. */
function claimCondition(c: Condition, raw: ArrayBuffer | null): bool {
  if (raw === null) return c.values.length == 0;
  const list = decodeList(raw);
  if (list === null) return valueCondition(c, String.UTF8.decode(raw));
  let any = c.values.length == 0;
  for (let i = 0; i < list.length; i++) {
    if (!any && anyMatches(c.values, list[i])) any = true;
    if (anyMatches(c.notValues, list[i])) return false;
  }
  return any;
}

/** The pairs encoding of a list (N, N x (len, 0), N x (item NUL NUL)); null when `raw` is not
 * exactly that (then it is a plain string). */
function decodeList(raw: ArrayBuffer): string[] | null {
  const size = <usize>raw.byteLength;
  const base = changetype<usize>(raw);
  if (size < 4) return null;
  const n = <usize>load<u32>(base);
  if (n == 0 || n > (size - 4) / 10) return null;
  let data = base + 4 + n * 8;
  const end = base + size;
  const out = new Array<string>(0);
  for (let i: usize = 0; i < n; i++) {
    const klen = <usize>load<u32>(base + 4 + i * 8);
    const vlen = <usize>load<u32>(base + 8 + i * 8);
    if (vlen != 0 || klen > size || data + klen + 2 > end) return null;
    if (load<u8>(data + klen) != 0 || load<u8>(data + klen + 1) != 0) return null;
    out.push(String.UTF8.decodeUnsafe(data, klen));
    data += klen + 2;
  }
  return data == end ? out : null;
}

registerFilter(new Authz());
