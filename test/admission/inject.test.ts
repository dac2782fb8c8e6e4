// The injection rules and the pod mutation, case by case, through reviewAdmission (every patch is
// applied and the pod checked against the Pod schema by `admit`).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { captureRules } from "../../admission/capture.ts";
import type { Container, Pod } from "../../admission/pod.ts";
import { SYSTEM_NAMESPACES } from "../../admission/policy.ts";
import { workloadName } from "../../admission/workload.ts";
import { admit, podFromDeployment, sampleObjects, SETTINGS } from "./support.ts";

const [details, , reviews] = sampleObjects("bookinfo/platform/kube/bookinfo.yaml").filter((o) => o.kind === "Deployment");

function pod(overrides: { labels?: Record<string, string>; annotations?: Record<string, string>; spec?: Partial<Pod["spec"]> } = {}): Pod {
  const p = podFromDeployment(details);
  return {
    ...p,
    metadata: {
      ...p.metadata,
      labels: { ...p.metadata!.labels, ...overrides.labels },
      annotations: { ...overrides.annotations },
    },
    spec: { ...p.spec, ...overrides.spec },
  };
}

const named = (list: Container[] | undefined, name: string) => list?.find((c) => c.name === name);
const env = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name)?.value;

describe("who gets a sidecar", () => {
  test("a pod in a selected namespace does, with the reason audited", async () => {
    const { injected, response } = await admit(pod());
    assert.ok(injected);
    assert.match(response.auditAnnotations!.injection, /^injected: namespace default/);
  });

  test("namespace istio-injection=disabled in the config API wins over the API server's call and the pod label", async () => {
    const lookup = async () => ({ "istio-injection": "disabled" });
    const { injected, response } = await admit(pod({ labels: { "sidecar.istio.io/inject": "true" } }), { lookup });
    assert.equal(injected, false);
    assert.equal(response.auditAnnotations!.injection, "skipped: namespace default has istio-injection=disabled");
    assert.equal(response.warnings, undefined);
  });

  test("a namespace the config API knows as enabled, or does not know, injects", async () => {
    assert.ok((await admit(pod(), { lookup: async () => ({ "istio-injection": "enabled" }) })).injected);
    assert.ok((await admit(pod(), { lookup: async () => undefined })).injected);
  });

  test("the pod label beats the annotation, both ways", async () => {
    const off = await admit(pod({ labels: { "sidecar.istio.io/inject": "false" }, annotations: { "sidecar.istio.io/inject": "true" } }));
    assert.equal(off.injected, false);
    assert.match(off.response.auditAnnotations!.injection, /pod label sidecar.istio.io\/inject=false/);
    const on = await admit(pod({ labels: { "sidecar.istio.io/inject": "true" }, annotations: { "sidecar.istio.io/inject": "false" } }));
    assert.ok(on.injected);
  });

  test("the annotation alone decides when there is no label; YAML booleans as Istio reads them", async () => {
    assert.equal((await admit(pod({ annotations: { "sidecar.istio.io/inject": "false" } }))).injected, false);
    assert.equal((await admit(pod({ annotations: { "sidecar.istio.io/inject": "nonsense" } }))).injected, false);
    assert.ok((await admit(pod({ annotations: { "sidecar.istio.io/inject": "Yes" } }))).injected);
    assert.ok((await admit(pod({ annotations: { "sidecar.istio.io/inject": "" } }))).injected);
  });

  test("hostNetwork pods are skipped", async () => {
    const { injected, response } = await admit(pod({ spec: { hostNetwork: true } }));
    assert.equal(injected, false);
    assert.equal(response.auditAnnotations!.injection, "skipped: the pod uses the host network");
  });

  test("system namespaces are skipped, even when the pod asks", async () => {
    for (const namespace of SYSTEM_NAMESPACES) {
      const { injected } = await admit(pod({ labels: { "sidecar.istio.io/inject": "true" } }), { namespace });
      assert.equal(injected, false, namespace);
    }
  });

  test("a config API that fails or hangs does not block: the API server's selection stands, with a warning", async () => {
    const failing = await admit(pod(), { lookup: async () => Promise.reject(new Error("store down")) });
    assert.ok(failing.injected);
    assert.match(failing.response.warnings![0], /could not be read from the config API \(Error: store down\)/);
  });

  test("a dry run is answered exactly like the real request (the webhook has no side effects)", async () => {
    const real = await admit(pod());
    const dry = await admit(pod(), { dryRun: true });
    assert.deepEqual(dry.response, real.response);
  });
});

describe("what a pod gets", () => {
  test("capture init container, bootstrap fetch, istio-proxy, volumes, labels, annotations", async () => {
    const { pod: out } = await admit(pod());
    const init = named(out.spec.initContainers, "istio-init")!;
    assert.deepEqual(init.securityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    });
    const bootstrap = named(out.spec.initContainers, "istio-bootstrap")!;
    assert.equal(env(bootstrap, "BOOTSTRAP_URL"), "https://mesh.example.com/mesh/v1/bootstrap/default/details-v1");
    const proxy = named(out.spec.containers, "istio-proxy")!;
    assert.equal(proxy.image, SETTINGS.proxyImage);
    assert.deepEqual(proxy.args, ["-c", "/etc/istio/proxy/envoy.json", "--disable-hot-restart", "--log-level", "warning"]);
    assert.deepEqual(
      proxy.env!.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]),
      [["POD_NAME", "metadata.name"], ["POD_NAMESPACE", "metadata.namespace"], ["INSTANCE_IP", "status.podIP"], ["SERVICE_ACCOUNT", "spec.serviceAccountName"]],
    );
    assert.deepEqual(proxy.securityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    });
    assert.deepEqual(proxy.readinessProbe?.httpGet, { path: "/healthz/ready", port: 15021 });
    assert.deepEqual(proxy.resources, SETTINGS.proxyResources);
    const token = out.spec.volumes!.find((v) => v.name === "istio-token") as unknown as { projected: { sources: { serviceAccountToken: object }[] } };
    assert.deepEqual(token.projected.sources[0].serviceAccountToken, { audience: "edge-mesh", expirationSeconds: 43200, path: "istio-token" });
    assert.deepEqual(JSON.parse(out.metadata!.annotations!["sidecar.istio.io/status"]), {
      initContainers: ["istio-init", "istio-bootstrap"],
      containers: ["istio-proxy"],
      volumes: ["istio-envoy", "istio-token"],
      imagePullSecrets: null,
      revision: "default",
    });
    assert.equal(out.metadata!.labels!["security.istio.io/tlsMode"], "istio");
    assert.equal(out.metadata!.labels!["service.istio.io/canonical-name"], "details");
    assert.equal(out.metadata!.labels!["service.istio.io/canonical-revision"], "v1");
  });

  test("capture rules follow Istio's conventions by default", () => {
    const result = captureRules({});
    assert.ok("rules" in result);
    const rules = result.rules.split("\n");
    for (const line of [
      "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
      "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
      "-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN",
      "-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT",
      "-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN",
      "-A ISTIO_OUTPUT -j ISTIO_REDIRECT",
    ])
      assert.ok(rules.includes(line), line);
    assert.equal(rules.at(-2), "COMMIT");
  });

  test("traffic annotations are honoured; bad ones leave the pod alone with a warning", async () => {
    const annotated = await admit(
      pod({
        annotations: {
          "traffic.sidecar.istio.io/includeInboundPorts": "9080",
          "traffic.sidecar.istio.io/excludeOutboundPorts": "5432, 6379",
          "traffic.sidecar.istio.io/excludeOutboundIPRanges": "169.254.169.254,10.0.0.0/8,fd00::/8",
        },
      }),
    );
    const rules = env(named(annotated.pod.spec.initContainers, "istio-init"), "CAPTURE_RULES")!.split("\n");
    assert.ok(rules.includes("-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_IN_REDIRECT"));
    assert.ok(!rules.includes("-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT"));
    assert.ok(rules.includes("-A ISTIO_OUTPUT -p tcp --dport 6379 -j RETURN"));
    assert.ok(rules.includes("-A ISTIO_OUTPUT -d 169.254.169.254/32 -j RETURN"));
    assert.ok(rules.includes("-A ISTIO_OUTPUT -d 10.0.0.0/8 -j RETURN"));
    assert.match(annotated.response.warnings![0], /IPv6 range fd00::\/8 ignored/);

    for (const [key, value] of [
      ["traffic.sidecar.istio.io/includeOutboundIPRanges", "bad"],
      ["traffic.sidecar.istio.io/excludeOutboundPorts", "80,http"],
      ["traffic.sidecar.istio.io/includeInboundPorts", "70000"],
      ["traffic.sidecar.istio.io/excludeOutboundIPRanges", "10.0.0.0/33"],
    ]) {
      const bad = await admit(pod({ annotations: { [key]: value } }));
      assert.equal(bad.injected, false, key);
      assert.match(bad.response.warnings![0], new RegExp(`^sidecar not injected: annotation ${key}`));
    }
  });

  test("proxy annotations: image, resources (a request above the limit lifts it), native sidecar", async () => {
    const { pod: out, response } = await admit(
      pod({
        annotations: {
          "sidecar.istio.io/proxyImage": "envoyproxy/envoy:distroless-v1.39-latest",
          "sidecar.istio.io/proxyCPU": "3",
          "sidecar.istio.io/proxyMemoryLimit": "512Mi",
          "sidecar.istio.io/nativeSidecar": "true",
        },
      }),
    );
    assert.equal(named(out.spec.containers, "istio-proxy"), undefined);
    const proxy = named(out.spec.initContainers, "istio-proxy")!;
    assert.equal(proxy.restartPolicy, "Always");
    assert.deepEqual(out.spec.initContainers!.map((c) => c.name), ["istio-init", "istio-bootstrap", "istio-proxy"]);
    assert.equal(proxy.image, "envoyproxy/envoy:distroless-v1.39-latest");
    assert.deepEqual(proxy.resources, { requests: { cpu: "3", memory: "128Mi" }, limits: { cpu: "3", memory: "512Mi" } });
    assert.deepEqual(response.warnings, ["the sidecar's cpu limit was raised to its request 3"]);

    const bad = await admit(pod({ annotations: { "sidecar.istio.io/proxyMemory": "lots" } }));
    assert.equal(bad.injected, false);
  });

  test("the native-sidecar setting flips the default; the annotation still decides per pod", async () => {
    const settings = { ...SETTINGS, nativeSidecars: true };
    assert.ok(named((await admit(pod(), { settings })).pod.spec.initContainers, "istio-proxy"));
    const classic = await admit(pod({ annotations: { "sidecar.istio.io/nativeSidecar": "false" } }), { settings });
    assert.ok(named(classic.pod.spec.containers, "istio-proxy"));
  });

  test("app httpGet probes go through the proxy; sidecar.istio.io/rewriteAppHTTPProbers=false keeps them", async () => {
    const withProbe = (annotations: Record<string, string>) => {
      const p = pod({ annotations });
      p.spec.containers[0] = { ...p.spec.containers[0], ports: [{ name: "http", containerPort: 9080 }], readinessProbe: { httpGet: { path: "/health", port: "http" } } };
      return p;
    };
    const { pod: out } = await admit(withProbe({}));
    assert.deepEqual(out.spec.containers[0].readinessProbe, { httpGet: { path: "/app-health/details/readyz", port: 15020 } });
    assert.deepEqual(JSON.parse(env(named(out.spec.initContainers, "istio-bootstrap"), "ISTIO_KUBE_APP_PROBERS")!), {
      "/app-health/details/readyz": { httpGet: { path: "/health", port: 9080 } },
    });
    const kept = await admit(withProbe({ "sidecar.istio.io/rewriteAppHTTPProbers": "false" }));
    assert.deepEqual(kept.pod.spec.containers[0].readinessProbe, { httpGet: { path: "/health", port: "http" } });
  });

  test("multiple containers, existing volumes and init containers are kept, ours go first", async () => {
    const base = podFromDeployment(reviews);
    const userInit: Container = { name: "migrate", image: "busybox:1.37", command: ["true"] };
    const sidecarApp: Container = { name: "log-shipper", image: "fluent/fluent-bit:4.0" };
    const input: Pod = { ...base, spec: { ...base.spec, initContainers: [userInit], containers: [...base.spec.containers, sidecarApp] } };
    const { pod: out } = await admit(input);
    assert.deepEqual(out.spec.initContainers!.map((c) => c.name), ["istio-init", "istio-bootstrap", "migrate"]);
    assert.deepEqual(out.spec.containers.map((c) => c.name), ["reviews", "log-shipper", "istio-proxy"]);
    assert.deepEqual(
      out.spec.volumes!.map((v) => v.name),
      [...base.spec.volumes!.map((v) => v.name), "istio-envoy", "istio-token"],
    );
    assert.equal(out.metadata!.annotations!["kubectl.kubernetes.io/default-container"], "reviews");
  });

  test("re-injection is idempotent: inject(inject(p)) == inject(p)", async () => {
    const once = (await admit(pod({ annotations: { "sidecar.istio.io/nativeSidecar": "true" } }))).pod;
    const twice = await admit(once);
    assert.ok(twice.injected);
    assert.deepEqual(twice.pod, once);
  });

  test("a container named like ours that the status does not list: allowed unchanged, with a warning", async () => {
    const p = pod();
    p.spec.containers.push({ name: "istio-proxy", image: "someone/else" });
    const { injected, response } = await admit(p);
    assert.equal(injected, false);
    assert.match(response.warnings![0], /already has a container or volume named istio-proxy/);
  });
});

describe("workload names", () => {
  const meta = (m: Pod["metadata"]): Pod => ({ metadata: m, spec: { containers: [{ name: "app" }] } });
  test("from the ReplicaSet owner, the Job owner, generateName, or the name", () => {
    assert.equal(
      workloadName(meta({ generateName: "reviews-v1-7d4f9-", labels: { "pod-template-hash": "7d4f9" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "reviews-v1-7d4f9", controller: true }] })),
      "reviews-v1",
    );
    assert.equal(workloadName(meta({ generateName: "backup-x7k2p-", ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "backup", controller: true }] })), "backup");
    assert.equal(workloadName(meta({ generateName: "scratch-" })), "scratch");
    assert.equal(workloadName(meta({ name: "debug" })), "debug");
  });
});
