import { test } from "node:test";
import assert from "node:assert/strict";
import { assertAllValid as assertValidDocs, errorsOf, expectError, inGroups, sampleFiles } from "./schema-support.ts";

/** Namespace, Service, ServiceAccount, ConfigMap (core group) and Deployment (apps). */
const ours = inGroups("", "apps");
const assertAllValid = (list: string[]) => assertValidDocs(list, ours);
const yamlFilesUnder = (dir: string) => sampleFiles(dir, /\.yaml$/, { recursive: true });

test("every Namespace/Service/ServiceAccount/ConfigMap/Deployment in bookinfo/platform/kube is valid", () => {
  const counts = assertAllValid(yamlFilesUnder("bookinfo/platform/kube/"));
  assert.ok(counts.Service >= 20 && counts.Deployment >= 20 && counts.ServiceAccount >= 5, JSON.stringify(counts));
});

test("every Namespace/Service/ServiceAccount/ConfigMap/Deployment in more-samples is valid", () => {
  const counts = assertAllValid(yamlFilesUnder("more-samples/"));
  assert.ok(counts.Service >= 5 && counts.Deployment >= 5, JSON.stringify(counts));
});

test("the sidecar injector's input and injected Deployments are valid (containers, initContainers, volumes)", () => {
  const dir = "inject/testdata/";
  const list = sampleFiles(dir, (f) => f.endsWith(".yaml") || f.endsWith(".yaml.injected"));
  const counts = assertAllValid([...list, "inject/istioctl-minimal/deployment/hello.yaml.injected"]);
  assert.ok(counts.Deployment >= 20, JSON.stringify(counts));
});

// ---- hand-made mistakes

test("Service: port 70000 → spec.ports[0].port", () => {
  const errors = errorsOf("Service", { spec: { selector: { app: "a" }, ports: [{ port: 70000 }] } });
  expectError(errors, "spec.ports[0].port", "FieldValueInvalid");
  assert.equal(errors.length, 1);
});

test("Service: port names — required with several ports, unique, DNS labels; targetPort names", () => {
  expectError(
    errorsOf("Service", { spec: { ports: [{ name: "http", port: 80 }, { port: 81 }] } }),
    "spec.ports[1].name",
    undefined,
    /must be named/,
  );
  expectError(
    errorsOf("Service", { spec: { ports: [{ name: "http", port: 80 }, { name: "http", port: 81 }] } }),
    "spec.ports[1].name",
    undefined,
    /duplicate/i,
  );
  expectError(errorsOf("Service", { spec: { ports: [{ name: "HTTP", port: 80 }] } }), "spec.ports[0].name");
  expectError(errorsOf("Service", { spec: { ports: [{ port: 80, targetPort: "8080" }] } }), "spec.ports[0].targetPort");
  expectError(errorsOf("Service", { spec: { ports: [{ port: 80, protocol: "HTTP" }] } }), "spec.ports[0].protocol", "FieldValueNotSupported");
  assert.deepEqual(errorsOf("Service", { spec: { ports: [{ port: 80, targetPort: "http-alt", appProtocol: "kubernetes.io/h2c" }] } }), []);
});

test("Service: type, ExternalName, clusterIP, nodePort and name rules", () => {
  expectError(errorsOf("Service", { spec: { type: "Internal", ports: [{ port: 80 }] } }), "spec.type", "FieldValueNotSupported");
  expectError(errorsOf("Service", { spec: { type: "ExternalName" } }), "spec.externalName");
  assert.deepEqual(errorsOf("Service", { spec: { type: "ExternalName", externalName: "db.example.com" } }), []);
  expectError(errorsOf("Service", { spec: { clusterIP: "10.0.0.256", ports: [{ port: 80 }] } }), "spec.clusterIP");
  assert.deepEqual(errorsOf("Service", { spec: { clusterIP: "None" } }), []); // headless needs no ports
  expectError(errorsOf("Service", { spec: {} }), "spec.ports");
  expectError(errorsOf("Service", { spec: { ports: [{ port: 80, nodePort: 30080 }] } }), "spec.ports[0].nodePort");
  expectError(errorsOf("Service", { spec: { ports: [{ port: 80 }] } }, "1st-service"), "metadata.name");
  const unknown = expectError(errorsOf("Service", { spec: { ports: [{ port: 80 }], selectors: { app: "a" } } }), "spec.selectors", "FieldValueUnknown");
  assert.match(unknown.message, /"selector"/);
});

const deployment = (over: { selector?: unknown; labels?: Record<string, string>; podSpec?: Record<string, unknown>; spec?: Record<string, unknown> }) => ({
  spec: {
    replicas: 1,
    selector: over.selector ?? { matchLabels: { app: "reviews", version: "v1" } },
    template: {
      metadata: { labels: over.labels ?? { app: "reviews", version: "v1" } },
      spec: over.podSpec ?? { containers: [{ name: "reviews", image: "reviews:v1", ports: [{ containerPort: 9080 }] }] },
    },
    ...over.spec,
  },
});

test("Deployment: template labels not matching the selector → spec.template.metadata.labels", () => {
  assert.deepEqual(errorsOf("Deployment", deployment({})), []);
  const errors = errorsOf("Deployment", deployment({ labels: { app: "reviews", version: "v2" } }));
  expectError(errors, "spec.template.metadata.labels", "FieldValueInvalid", /does not match/);
  assert.equal(errors.length, 1);
  // matchExpressions count too
  expectError(
    errorsOf(
      "Deployment",
      deployment({ selector: { matchExpressions: [{ key: "app", operator: "In", values: ["ratings"] }] } }),
    ),
    "spec.template.metadata.labels",
  );
  expectError(errorsOf("Deployment", deployment({ selector: {} })), "spec.selector", undefined, /empty selector/);
  expectError(
    errorsOf("Deployment", deployment({ selector: { matchExpressions: [{ key: "app", operator: "In" }] } })),
    "spec.selector.matchExpressions[0].values",
  );
});

test("Deployment: spec rules — replicas, selector required, strategy", () => {
  expectError(errorsOf("Deployment", deployment({ spec: { replicas: -1 } })), "spec.replicas");
  const { selector: _dropped, ...noSelector } = deployment({}).spec;
  expectError(errorsOf("Deployment", { spec: noSelector }), "spec.selector", "FieldValueRequired");
  expectError(
    errorsOf("Deployment", deployment({ spec: { strategy: { type: "Recreate", rollingUpdate: { maxSurge: 1 } } } })),
    "spec.strategy.rollingUpdate",
  );
  expectError(
    errorsOf("Deployment", deployment({ spec: { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } } })),
    "spec.strategy.rollingUpdate.maxUnavailable",
  );
  expectError(
    errorsOf("Deployment", deployment({ spec: { strategy: { type: "BlueGreen" } } })),
    "spec.strategy.type",
    "FieldValueNotSupported",
  );
});

test("Deployment: containers are strict — name required and unique, ports 1..65535, unknown fields", () => {
  expectError(
    errorsOf("Deployment", deployment({ podSpec: { containers: [{ image: "a" }] } })),
    "spec.template.spec.containers[0].name",
    "FieldValueRequired",
  );
  expectError(
    errorsOf("Deployment", deployment({ podSpec: { containers: [{ name: "a" }], initContainers: [{ name: "a" }] } })),
    "spec.template.spec.initContainers[0].name",
    undefined,
    /duplicate/i,
  );
  expectError(
    errorsOf("Deployment", deployment({ podSpec: { containers: [{ name: "a", ports: [{ containerPort: 0 }] }] } })),
    "spec.template.spec.containers[0].ports[0].containerPort",
  );
  const unknown = expectError(
    errorsOf("Deployment", deployment({ podSpec: { containers: [{ name: "a", imagePullPolice: "Always" }] } })),
    "spec.template.spec.containers[0].imagePullPolice",
    "FieldValueUnknown",
  );
  assert.match(unknown.message, /imagePullPolicy/);
  expectError(
    errorsOf("Deployment", deployment({ podSpec: { containers: [{ name: "a", volumeMounts: [{ name: "data", mountPath: "/d" }] }] } })),
    "spec.template.spec.containers[0].volumeMounts[0].name",
    undefined,
    /no volume named/,
  );
  expectError(errorsOf("Deployment", deployment({ podSpec: { containers: [] } })), "spec.template.spec.containers");
  // Other pod-spec fields pass through untouched.
  assert.deepEqual(
    errorsOf(
      "Deployment",
      deployment({
        podSpec: {
          containers: [{ name: "a" }],
          affinity: { nodeAffinity: {} },
          topologySpreadConstraints: [{ maxSkew: 1 }],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: "c" } }],
        },
      }),
    ),
    [],
  );
});

test("Namespace, ServiceAccount and ConfigMap rules", () => {
  assert.deepEqual(errorsOf("Namespace", { spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } }, "bookinfo"), []);
  expectError(errorsOf("Namespace", {}, "Book.Info"), "metadata.name");
  expectError(errorsOf("Namespace", { status: { phase: "Gone" } }, "a"), "status.phase", "FieldValueNotSupported");

  assert.deepEqual(
    errorsOf("ServiceAccount", { automountServiceAccountToken: false, imagePullSecrets: [{ name: "reg" }], secrets: [{ name: "t" }] }),
    [],
  );
  expectError(errorsOf("ServiceAccount", { automountServiceAccountToken: "no" }), "automountServiceAccountToken", "FieldValueTypeInvalid");
  expectError(errorsOf("ServiceAccount", { spec: {} }), "spec", "FieldValueUnknown");

  // A kubernetes.io/tls Secret needs both keys, as the API server requires (their PEM is the Gateway's to judge).
  assert.deepEqual(errorsOf("Secret", { type: "kubernetes.io/tls", data: { "tls.crt": "AAEC", "tls.key": "AAEC" } }), []);
  expectError(errorsOf("Secret", { type: "kubernetes.io/tls", data: { "tls.crt": "AAEC" } }), "data.tls.key", undefined, "required for a Secret of type kubernetes.io/tls");
  assert.deepEqual(errorsOf("Secret", { type: "Opaque", data: { "tls.crt": "AAEC" } }), []);
  assert.deepEqual(errorsOf("ConfigMap", { data: { "mesh.yaml": "a: b", ".env": "x" }, binaryData: { bin: "AAEC" }, immutable: true }), []);
  expectError(errorsOf("ConfigMap", { data: { "bad key": "x" } }), "data.bad key");
  expectError(errorsOf("ConfigMap", { data: { a: "x" }, binaryData: { a: "AAEC" } }), "binaryData.a", undefined, /duplicate/i);
  expectError(errorsOf("ConfigMap", { binaryData: { a: "not base64!" } }), "binaryData.a");
});
