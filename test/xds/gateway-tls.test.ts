// A gateway's TLS listeners in LDS: one filter chain per HTTPS listener whose certificates
// resolved, picked by SNI, with a DownstreamTlsContext whose inline certificate and key are
// placeholders until served; filled, the document still parses strictly against Envoy's protos.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { credentialsNeeded, fillCredentials } from "../../control/xds/translate/gateway-tls.ts";
import { translate, TYPE } from "../../control/xds/translate/index.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";
import { assertEnvoyJson } from "./envoy-proto.ts";
import { SETTINGS } from "./settings.ts";

const input = readFileSync(new URL("../golden/compile/gateway-https-reference-grants/input.yaml", import.meta.url), "utf8");
const pem = (file: string) => readFileSync(new URL(`../mesh/tls/${file}`, import.meta.url), "utf8");

function gatewayLds(workload: string): string {
  const config = configFromYaml(input);
  const w = compile(config, buildRegistry(config), 1).workloads[workload];
  const { listeners } = translate(w, SETTINGS);
  return JSON.stringify({ version_info: "1", type_url: TYPE.listener, nonce: "1", resources: listeners.map((l) => ({ "@type": TYPE.listener, ...l })) });
}

const CREDENTIALS = new Map([
  ["web/bookinfo-cert", { certificateChain: pem("bookinfo.crt"), privateKey: pem("bookinfo.key") }],
  ["certs/other-cert", { certificateChain: pem("other.crt"), privateKey: pem("other.key") }],
]);

test("HTTPS listeners whose Secrets resolved get a TLS filter chain each, by SNI; the others none", () => {
  const text = gatewayLds("web/edge-istio");
  assert.deepEqual(credentialsNeeded(text), ["certs/other-cert", "web/bookinfo-cert"]);
  assert.doesNotMatch(text, /BEGIN/, "the cached translation carries no key material");
  const filled = fillCredentials(text, CREDENTIALS);
  assert.ok(filled);
  const doc = JSON.parse(filled) as { resources: { name: string; filter_chains: { filter_chain_match?: { server_names: string[] }; transport_socket: { typed_config: Record<string, unknown> } }[] }[] };
  assertEnvoyJson("envoy.service.discovery.v3.DiscoveryResponse", doc, "gateway LDS with certificates");
  assert.deepEqual(doc.resources.map((l) => l.name), ["0.0.0.0_443"], "8443 (not granted) and 9443 (key mismatch) open nothing");
  const chains = doc.resources[0].filter_chains;
  assert.deepEqual(chains.map((c) => c.filter_chain_match?.server_names), [["bookinfo.example.com"], ["other.example.com"]]);
  const tls = chains[1].transport_socket.typed_config as { "@type": string; common_tls_context: { tls_certificates: { certificate_chain: { inline_string: string }; private_key: { inline_string: string } }[] } };
  assert.equal(tls["@type"], TYPE.downstreamTls);
  assert.equal(tls.common_tls_context.tls_certificates[0].certificate_chain.inline_string, pem("other.crt"));
  assert.equal(tls.common_tls_context.tls_certificates[0].private_key.inline_string, pem("other.key"));
});

test("Istio's SIMPLE credentialName: the Secret of the gateway's namespace, SNI from the server's hosts", () => {
  const filled = fillCredentials(gatewayLds("web/istio-ingressgateway"), CREDENTIALS)!;
  const doc = JSON.parse(filled) as { resources: { name: string; filter_chains: { filter_chain_match?: { server_names: string[] } }[] }[] };
  assertEnvoyJson("envoy.service.discovery.v3.DiscoveryResponse", doc, "istio gateway LDS");
  assert.deepEqual(doc.resources.map((l) => [l.name, l.filter_chains.map((c) => c.filter_chain_match?.server_names)]), [["0.0.0.0_443", [["bookinfo.example.com"]]]]);
  // The same Gateway selects istio-system's ingress gateway too, where no such Secret exists.
  assert.deepEqual(JSON.parse(gatewayLds("istio-system/istio-ingressgateway")).resources, []);
});

test("a Secret not at hand leaves the document unfilled rather than half filled", () => {
  assert.equal(fillCredentials(gatewayLds("web/edge-istio"), new Map([...CREDENTIALS].slice(0, 1))), undefined);
});
