// One regex compiler for the API and the data plane (issue 18 items 3 and 10): validation used JS
// RegExp and accepted `\p{L}+`, `[[:alpha:]]+`, `(?s)a.b`, `a{2000}`, which the filters refused, so
// one accepted VirtualService made every proxy reject its whole config. Now the API validates
// with filters/lib/regex-syntax.ts, the compiler the filters run, and every regex it accepts
// compiles in the filter (and vice versa).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { regexError } from "../../control/mesh/schema/networking.ts";
import type { ProxyWasmHost } from "../../control/wasmhost/index.ts";
import { specErrorsOf } from "../mesh/schema-support.ts";
import { hostWithConfig, minimalConfig, send } from "./support.ts";

/** The router with one route whose uri must match `regex` (the route's cluster is "hit"). */
function router(regex: string): Promise<ProxyWasmHost> {
  const c = minimalConfig(1);
  const route = { origin: { kind: "default", namespace: "default", name: "re", rule: 0 }, matches: [{ uri: { regex } }], destinations: [{ cluster: "hit", weight: 1 }] };
  return hostWithConfig("router", { ...c, router: { ports: [{ port: 80, virtualHosts: [{ name: "x", domains: ["*"], routes: [route] }] }] } });
}

const rejection = (host: ProxyWasmHost) => host.logs.find((l) => / rejected: /.test(l.message))?.message;

async function matches(regex: string, paths: string[]): Promise<string[]> {
  const host = await router(regex);
  assert.equal(rejection(host), undefined);
  return paths.filter((path) => {
    const o = send(host, { authority: "x", path });
    o.stream.done();
    return o.cluster === "hit";
  });
}

const TWO_THOUSAND = "(a|b|c|d|e|f|g|h)".repeat(40);

const TRICKY = [
  // accepted by both
  "[[:alpha:]]+", "[[:^digit:][:upper:]]+", "(?s)a.b", "(?i)/API/.*", "/v1/(?i:ab)c", "(?m)^a$", "(?U)a+", "(?i-s)a.", "(?P<v>v[0-9]+)/x", "(?<v>v[0-9]+)",
  "a{1000}", "a{2,}", "a{,3}", "x{", "\\x{41}\\x42", "[\\]a-]", "\\A/x\\z", "\\bword\\B", "(a*)*", "\\a\\f\\t", "^(.*?;)?(user=jason)(;.*)?$",
  // refused by both
  "\\p{L}+", "\\pL", "\\P{Greek}", "[\\p{L}]", "a{2000}", "a{1001,}", "a{3,2}", "(?=look)", "(?!x)", "(?<=x)y", "(?<!x)y", "(a)\\1", "\\Qa.b\\E", "\\C",
  "[[:alpha:]", "[[:nope:]]", "(?z)a", "(?)a", "(?i", "(?P<>a)", "a**", "*a", "(a", "a)", "[z-a]", "\\", "\\x{12345}", "\\q",
  TWO_THOUSAND, "(a{1000}){1000}", "[a-z]{60}[0-9]{60}",
];

describe("the API accepts exactly the regexes the filter compiles", () => {
  const errorsOf = specErrorsOf({ group: "networking.istio.io", namespace: "default" });
  for (const regex of TRICKY)
    it(JSON.stringify(regex.length > 60 ? regex.slice(0, 60) + "…" : regex), async () => {
      const api = errorsOf("VirtualService", { hosts: ["r"], http: [{ match: [{ uri: { regex } }], route: [{ destination: { host: "r" } }] }] });
      const filter = rejection(await router(regex));
      assert.equal(api.length === 0, filter === undefined, `API: ${JSON.stringify(api)}; filter: ${filter}`);
      if (api.length) {
        assert.equal(api[0].field, "spec.http[0].match[0].uri.regex");
        assert.match(api[0].message, /invalid regex/);
      }
    });

  it("HTTPRoute RegularExpression path, header and query matches go through the same compiler", () => {
    const errorsOf = specErrorsOf({ group: "gateway.networking.k8s.io", namespace: "default" });
    const route = (regex: string) =>
      errorsOf("HTTPRoute", {
        rules: [{ matches: [{ path: { type: "RegularExpression", value: regex }, headers: [{ type: "RegularExpression", name: "x", value: regex }], queryParams: [{ type: "RegularExpression", name: "q", value: regex }] }] }],
      }).map((e) => e.field);
    assert.deepEqual(route("/[[:alpha:]]+"), []);
    assert.deepEqual(route("/\\p{L}+"), ["spec.rules[0].matches[0].path.value", "spec.rules[0].matches[0].headers[0].value", "spec.rules[0].matches[0].queryParams[0].value"]);
  });

  it("refusals say why", () => {
    assert.match(regexError("\\p{L}+")!, /Unicode character classes \(\\p, \\P\) are not supported/);
    assert.match(regexError("a{2000}")!, /bad repetition operator \{2000\}: counts are limited to 1000 \(RE2\)/);
    assert.match(regexError(TWO_THOUSAND)!, /regex program too large: more than 100 instructions/);
    assert.match(regexError("(?!x)")!, /lookaround assertions/);
    assert.match(regexError("(a)\\1")!, /backreferences are not supported/);
  });
});

describe("RE2 syntax the filter now runs", () => {
  it("POSIX classes, negated too", async () => {
    assert.deepEqual(await matches("/[[:alpha:]]+", ["/abc", "/aBc", "/ab1", "/"]), ["/abc", "/aBc"]);
    assert.deepEqual(await matches("/[[:^digit:]]+", ["/abc", "/a1", "/-_"]), ["/abc", "/-_"]);
    assert.deepEqual(await matches("/[[:xdigit:][:punct:]]+", ["/a-F", "/g"]), ["/a-F"]);
  });

  it("flags: (?i) anywhere, scoped (?i:...), negated (?-i), (?U)", async () => {
    assert.deepEqual(await matches("/x/(?i)api", ["/x/API", "/X/api"]), ["/x/API"]);
    assert.deepEqual(await matches("/(?i:ab)c", ["/ABc", "/ABC", "/abc"]), ["/ABc", "/abc"]);
    assert.deepEqual(await matches("(?i)/a(?-i)b", ["/Ab", "/AB"]), ["/Ab"]);
    assert.deepEqual(await matches("(?i)/[a-c]+", ["/ABC", "/abd"]), ["/ABC"]);
    assert.deepEqual(await matches("(?U)/a+b", ["/aab"]), ["/aab"]);
  });

  it("(?s) lets . match a newline, (?m) ^ and $ hold at line breaks (on %-decoded query values)", async () => {
    const query = async (regex: string, values: string[]) => {
      const c = minimalConfig(1);
      const route = { origin: { kind: "default", namespace: "default", name: "re", rule: 0 }, matches: [{ queryParams: [{ name: "q", value: { regex } }] }], destinations: [{ cluster: "hit", weight: 1 }] };
      const host = await hostWithConfig("router", { ...c, router: { ports: [{ port: 80, virtualHosts: [{ name: "x", domains: ["*"], routes: [route] }] }] } });
      assert.equal(rejection(host), undefined);
      return values.filter((v) => {
        const o = send(host, { authority: "x", path: `/?q=${v}` });
        o.stream.done();
        return o.cluster === "hit";
      });
    };
    assert.deepEqual(await query("a.b", ["a%0Ab", "axb"]), ["axb"]);
    assert.deepEqual(await query("(?s)a.b", ["a%0Ab", "axb"]), ["a%0Ab", "axb"]);
    assert.deepEqual(await query("(?m)a$\n^b", ["a%0Ab"]), ["a%0Ab"]);
    assert.deepEqual(await query("a$\n^b", ["a%0Ab"]), []);
  });
});
