// Host building blocks: the pairs format, header map semantics, property serialization.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePairs, encodePairs, HeaderMap, jwtPayloadProperties, mergeProperties, peerProperties, rawHeaderValue } from "../../control/wasmhost/index.ts";
import { lookupProperty, serializeProperty } from "../../control/wasmhost/properties.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("wasmhost encodings", () => {
  it("pairs: the ABI layout, strict decoding", () => {
    const bytes = encodePairs([["a", "1"], ["bb", "22"]]);
    assert.equal(hex(bytes), "02000000" + "01000000" + "01000000" + "02000000" + "02000000" + "6100" + "3100" + "626200" + "323200");
    assert.deepEqual(decodePairs(bytes), [["a", "1"], ["bb", "22"]]);
    assert.deepEqual(decodePairs(new Uint8Array(0)), []);
    assert.deepEqual(decodePairs(Uint8Array.of(0)), []);
    assert.deepEqual(decodePairs(encodePairs([])), []);
    assert.throws(() => decodePairs(bytes.subarray(0, bytes.length - 1)), /overruns/);
    assert.throws(() => decodePairs(Uint8Array.of(...bytes, 0)), /trailing/);
    const noNul = bytes.slice();
    noNul[21] = 0x41;
    assert.throws(() => decodePairs(noNul), /NUL/);
  });

  it("pairs: names and values that are not ASCII go out as UTF-8, raw header values as their bytes", () => {
    const bytes = encodePairs([["x-é", "ü→"], ["raw", rawHeaderValue(Uint8Array.of(0x66, 0xff, 0x80))], [":path", "/a"]]);
    assert.equal(hex(bytes), "03000000" + "04000000" + "05000000" + "03000000" + "03000000" + "05000000" + "02000000" + "782dc3a900" + "c3bce2869200" + "72617700" + "66ff8000" + "3a7061746800" + "2f6100");
    assert.deepEqual(decodePairs(encodePairs([["x-é", "ü→"]])), [["x-é", "ü→"]]);
  });

  it("header maps: lower-case names, duplicates kept, replace collapses, get returns the first", () => {
    const h = new HeaderMap([["X-A", "1"], ["x-a", "2"], ["b", "3"]]);
    assert.equal(h.get("x-A"), "1");
    assert.deepEqual(h.getAll("X-a"), ["1", "2"]);
    assert.deepEqual(h.toObject(), { "x-a": "1,2", b: "3" });
    h.replace("X-A", "9");
    assert.deepEqual(h.pairs(), [["x-a", "9"], ["b", "3"]]);
    h.replace("c", "4");
    assert.equal(h.remove("B"), true);
    assert.equal(h.remove("b"), false);
    assert.deepEqual(h.pairs(), [["x-a", "9"], ["c", "4"]]);
  });

  it("properties: Envoy's value encodings and tree helpers", () => {
    assert.equal(hex(serializeProperty(true, "connection.mtls")), "01");
    assert.equal(hex(serializeProperty(8080, "destination.port")), "901f000000000000");
    assert.equal(hex(serializeProperty(-1n, "x")), "ffffffffffffffff");
    assert.equal(new TextDecoder().decode(serializeProperty("spiffe://a/ns/b/sa/c", "p")), "spiffe://a/ns/b/sa/c");
    assert.deepEqual(decodePairs(serializeProperty(new HeaderMap([["a", "1"], ["a", "2"]]), "request.headers")), [["a", "1,2"]]);
    assert.throws(() => serializeProperty({ nested: { deep: 1 } }, "metadata"), /message, not a leaf/);

    const tree = mergeProperties(
      peerProperties({ principal: "spiffe://cluster.local/ns/default/sa/productpage", address: "10.1.2.3", port: 4711 }),
      jwtPayloadProperties({ iss: "https://issuer", sub: "alice" }),
    );
    assert.equal(lookupProperty(tree, ["connection", "mtls"]), true);
    assert.equal(lookupProperty(tree, ["connection", "uri_san_peer_certificate"]), "spiffe://cluster.local/ns/default/sa/productpage");
    assert.equal(lookupProperty(tree, ["source", "address"]), "10.1.2.3:4711");
    assert.equal(lookupProperty(tree, ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload", "sub"]), "alice");
    assert.equal(lookupProperty(tree, ["metadata", "nope"]), undefined);
    // Lists are indexed by a decimal segment, as Envoy walks a ListValue (cluster metadata's services).
    const cluster = { xds: { cluster_metadata: { filter_metadata: { istio: { services: [{ host: "a.default.svc.cluster.local" }, { host: "b.default.svc.cluster.local" }] } } } } };
    const services = ["xds", "cluster_metadata", "filter_metadata", "istio", "services"];
    assert.equal(lookupProperty(cluster, [...services, "1", "host"]), "b.default.svc.cluster.local");
    for (const index of ["2", "-1", "x", "length"]) assert.equal(lookupProperty(cluster, [...services, index, "host"]), undefined, index);
    assert.throws(() => serializeProperty(lookupProperty(cluster, services)!, "services"), /list of messages/);
  });
});
