// Istio's validation parity through the real Worker (wrangler dev) and the real kubectl: istiod's
// warnings come back as `Warning: 299` headers that kubectl prints on apply, server-side dry run
// and patch; the cases istiod refuses (the istio.io/dry-run annotation, a DNS ServiceEntry with a
// unix socket, DYNAMIC_DNS + MESH_INTERNAL behind a waypoint) are refused with its text; a JWT rule
// with a jwksUri and no issuer is taken.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
});
after(async () => {
  await w?.stop();
});

const apply = (yaml: string, ...flags: string[]) => w.kubectl(["apply", ...flags, "-f", "-"], { input: yaml });
const warningLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("Warning: "));

const DEPRECATED_DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    outlierDetection: {consecutiveErrors: 5}
`;

describe("Istio's warnings, printed by kubectl", () => {
  test("apply: the object is stored and kubectl prints istiod's warning", async () => {
    const r = await apply(DEPRECATED_DR);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /destinationrule.networking.istio.io\/reviews created/);
    assert.deepEqual(warningLines(r.stderr), ["Warning: outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead"]);
  });

  test("a patch of it warns again (kubectl annotate); a clean object warns of nothing", async () => {
    const r = await w.kubectl(["annotate", "destinationrule", "reviews", "team=reviews"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(warningLines(r.stderr).length, 1, r.stderr);
    const clean = await apply("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ratings}\nspec: {host: ratings}\n");
    assert.equal(clean.code, 0, clean.stderr);
    assert.deepEqual(warningLines(clean.stderr), []);
  });

  test("server-side dry run: several warnings, nothing stored", async () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: legacy}
spec:
  hosts: [foo.bar]
  gateways: [gateway.example.com]
  http:
  - fault: {abort: {percentage: {value: 10}}}
    route: [{destination: {host: foo.baz}}]
`;
    const r = await apply(vs, "--dry-run=server");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /virtualservice.networking.istio.io\/legacy created \(server dry run\)/);
    assert.deepEqual(warningLines(r.stderr), [
      'Warning: using legacy gatewayName format "gateway.example.com"; prefer the <namespace>/<name> format: "example/gateway"',
      "Warning: abort configured, but error type not set",
    ]);
    assert.notEqual((await w.kubectl(["get", "virtualservice", "legacy"])).code, 0);
  });
});

describe("what istiod refuses, refused with its text", () => {
  const authz = (action: string, value: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: trial
  annotations: {istio.io/dry-run: "${value}"}
spec:
  action: ${action}
  rules: [{}]
`;

  test("istio.io/dry-run: a DENY policy takes true; yes is refused; AUDIT cannot be dry-run", async () => {
    const ok = await apply(authz("DENY", "true"));
    assert.equal(ok.code, 0, ok.stderr);
    const yes = await apply(authz("DENY", "yes"));
    assert.notEqual(yes.code, 0);
    assert.match(yes.stderr, /metadata\.annotations\[istio\.io\/dry-run\]: Invalid value: .*default\/trial has annotation istio\.io\/dry-run with invalid value \(yes\): strconv\.ParseBool: parsing "yes": invalid syntax/);
    const audit = await apply(authz("AUDIT", "true"));
    assert.notEqual(audit.code, 0);
    assert.match(audit.stderr, /the annotation istio\.io\/dry-run currently only supports action ALLOW\/DENY, found action AUDIT in default\/trial/);
  });

  test("istio.io/dry-run on another kind: kubectl annotate is refused", async () => {
    const r = await w.kubectl(["annotate", "destinationrule", "ratings", "istio.io/dry-run=true"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /default\/ratings has unsupported annotation istio\.io\/dry-run, please remove the annotation/);
  });

  test("ServiceEntry: DNS with a unix:// endpoint; DYNAMIC_DNS + MESH_INTERNAL with a waypoint", async () => {
    const dns = await apply(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: socket}
spec:
  hosts: [foo.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints: [{address: "unix:///var/run/app.sock"}]
`);
    assert.notEqual(dns.code, 0);
    assert.match(dns.stderr, /spec\.endpoints\[0\]\.address: Invalid value: .*endpoint address "unix:\/\/\/var\/run\/app\.sock" is not a valid FQDN or an IP address/);
    const waypoint = await apply(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: dynamic, labels: {istio.io/use-waypoint: waypoint}}
spec:
  hosts: ["*.example.com"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DYNAMIC_DNS
  location: MESH_INTERNAL
`);
    assert.notEqual(waypoint.code, 0);
    assert.match(waypoint.stderr, /location MESH_INTERNAL with resolution type DYNAMIC_DNS is not supported when using waypoints/);
  });

  test("a JWT rule with a jwksUri and no issuer is taken, as istiod takes it", async () => {
    const r = await apply(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: any-issuer}
spec:
  jwtRules: [{jwksUri: "https://keys.example.com/jwks.json"}]
`);
    assert.equal(r.code, 0, r.stderr);
  });
});
