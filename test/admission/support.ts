// Test inputs shaped like what kube-apiserver sends: a Deployment's pod template becomes the pod a
// ReplicaSet creates (generateName, pod-template-hash, owner reference), with the defaults and the
// service-account token volume the API server adds before mutating webhooks run.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import jsonpatch, { type Operation } from "fast-json-patch";
import { parseAllDocuments } from "yaml";
import type { Pod } from "../../admission/pod.ts";
import { reviewAdmission, type AdmissionResponse, type AdmissionReviewOut, type NamespaceLabelsLookup } from "../../admission/review.ts";
import { DEFAULT_SETTINGS, type InjectionSettings } from "../../admission/settings.ts";
import { SAMPLES } from "../support/worker.ts";
import { podProblems } from "./pod-schema.ts";

export const SETTINGS: InjectionSettings = { ...DEFAULT_SETTINGS, controlPlaneUrl: "https://mesh.example.com" };

type Obj = Record<string, any>;

/** Every object in a sample YAML file under samples/ (path relative to it). */
export function sampleObjects(path: string): Obj[] {
  return parseAllDocuments(readFileSync(`${SAMPLES}${path}`, "utf8"))
    .map((d) => d.toJSON() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** Kubernetes' "safe" alphabet for generated name suffixes; deterministic here. */
function suffix(seed: string, n: number): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return [...createHash("sha256").update(seed).digest()].slice(0, n).map((b) => alphabet[b % alphabet.length]).join("");
}

function defaultProbe(probe: Obj | undefined): Obj | undefined {
  if (!probe) return undefined;
  const out: Obj = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...probe };
  if (probe.httpGet) out.httpGet = { scheme: "HTTP", ...probe.httpGet };
  return out;
}

function defaultContainer(c: Obj, tokenVolume: string): Obj {
  const out: Obj = {
    ...c,
    imagePullPolicy: c.imagePullPolicy ?? (String(c.image).endsWith(":latest") ? "Always" : "IfNotPresent"),
    resources: c.resources ?? {},
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    volumeMounts: [...(c.volumeMounts ?? []), { name: tokenVolume, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }],
  };
  if (c.ports) out.ports = c.ports.map((p: Obj) => ({ protocol: "TCP", ...p }));
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) if (c[probe]) out[probe] = defaultProbe(c[probe]);
  return out;
}

/** The pod a Deployment's ReplicaSet asks the API server to create, after its defaulting. */
export function podFromDeployment(deployment: Obj, namespace = "default"): Pod {
  const name = deployment.metadata.name as string;
  const hash = suffix(`${namespace}/${name}`, 10);
  const tokenVolume = `kube-api-access-${suffix(name, 5)}`;
  const template = jsonpatch.deepClone(deployment.spec.template) as Obj;
  const spec = template.spec as Obj;
  const sa = spec.serviceAccountName ?? "default";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...template.metadata,
      generateName: `${name}-${hash}-`,
      namespace,
      labels: { ...template.metadata?.labels, "pod-template-hash": hash },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: `${name}-${hash}`, uid: `uid-${hash}`, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      ...spec,
      containers: spec.containers.map((c: Obj) => defaultContainer(c, tokenVolume)),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map((c: Obj) => defaultContainer(c, tokenVolume)) } : {}),
      dnsPolicy: "ClusterFirst",
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
      priority: 0,
      restartPolicy: "Always",
      schedulerName: "default-scheduler",
      securityContext: {},
      serviceAccount: sa,
      serviceAccountName: sa,
      terminationGracePeriodSeconds: 30,
      tolerations: ["not-ready", "unreachable"].map((t) => ({
        key: `node.kubernetes.io/${t}`,
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      })),
      volumes: [
        ...(spec.volumes ?? []),
        {
          name: tokenVolume,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
            ],
          },
        },
      ],
    },
  } as Pod;
}

/** An AdmissionReview for creating `pod`, as kube-apiserver sends it. */
export function podReview(pod: Pod, opts: { namespace?: string; uid?: string; dryRun?: boolean } = {}): Obj {
  const namespace = opts.namespace ?? pod.metadata?.namespace ?? "default";
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: opts.uid ?? `00000000-0000-4000-8000-${suffix(JSON.stringify(pod), 12).replace(/[^0-9a-f]/g, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      name: pod.metadata?.name ?? "",
      namespace,
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts"] },
      object: pod,
      oldObject: null,
      dryRun: opts.dryRun ?? false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  };
}

/** The patch of a response, decoded; undefined when the response carries none. */
export function responsePatch(review: AdmissionReviewOut): Operation[] | undefined {
  const { patch, patchType } = review.response;
  if (patch === undefined) return undefined;
  if (patchType !== "JSONPatch") throw new Error(`patchType ${patchType}`);
  return JSON.parse(Buffer.from(patch, "base64").toString("utf8")) as Operation[];
}

/** What the API server does with the response: the pod with the patch applied (validated). */
export function patchedPod(pod: unknown, review: AdmissionReviewOut): Pod {
  const patch = responsePatch(review);
  if (!patch) return pod as Pod;
  return jsonpatch.applyPatch(jsonpatch.deepClone(pod), patch, true, false).newDocument as Pod;
}

/** Reviews `pod`'s creation; when the answer carries a patch, applies it and checks the result
 *  against the Pod schema (every patch a test sees goes through this). */
export async function admit(
  pod: Pod,
  opts: { namespace?: string; lookup?: NamespaceLabelsLookup; settings?: InjectionSettings; dryRun?: boolean } = {},
): Promise<{ response: AdmissionResponse; pod: Pod; injected: boolean }> {
  const review = podReview(pod, opts);
  const result = await reviewAdmission(review, opts.settings ?? SETTINGS, opts.lookup);
  if (result.status !== 200) throw new Error(`status ${result.status}: ${result.body.message}`);
  const patched = patchedPod(review.request.object, result.body);
  const problems = result.body.response.patch ? podProblems(patched) : [];
  if (problems.length) throw new Error(`the patched pod is not a valid Pod:\n${problems.join("\n")}`);
  return { response: result.body.response, pod: patched, injected: result.body.response.patch !== undefined };
}
