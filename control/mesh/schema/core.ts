// core/v1 Namespace, Service, ServiceAccount, ConfigMap and apps/v1 Deployment.
//
// Structure from k8s.io/api core/v1 and apps/v1 types; rules from Kubernetes' own validation
// (pkg/apis/core/validation, pkg/apis/apps/validation), with the same field paths. Strict wherever
// the mesh reads the object (Service ports and selectors, workload labels, containers and their ports,
// service accounts); the pod template's spec is a loose object except for its containers, see podSpec.
import { z } from "zod";
import type { KubeObject } from "../kinds/types.ts";
import {
  dns1123Label,
  dns1123Subdomain,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelKey,
  labelMap,
  objectMeta,
  stringMap,
} from "./meta.ts";
import { isCIDR, isIP } from "./security.ts";

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** IANA_SVC_NAME (Kubernetes IsValidPortName): at most 15 of [-a-z0-9], a letter, no "--", no edge '-'. */
export function isPortName(s: string): boolean {
  return (
    s.length >= 1 &&
    s.length <= 15 &&
    /^[-a-z0-9]+$/.test(s) &&
    /[a-z]/.test(s) &&
    !s.includes("--") &&
    !s.startsWith("-") &&
    !s.endsWith("-")
  );
}

const portName = z
  .string()
  .refine(
    isPortName,
    "must be an IANA service name: at most 15 characters of a-z, 0-9 and '-', with at least one letter, no '--' and no '-' at either end",
  );

export const portNumber = z.number().int().min(1).max(65535);

/** Reports every repeated value of `key(item)` at `[...prefix, index, ...field]`. */
export function reportDuplicates<T>(
  ctx: z.RefinementCtx,
  items: readonly T[] | undefined,
  key: (item: T) => string | undefined,
  at: (index: number) => PropertyKey[],
  what: string,
): void {
  const seen = new Map<string, number>();
  (items ?? []).forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined)
      ctx.addIssue({ code: "custom", path: at(i), message: `duplicate ${what} "${k}" (also at index ${first})` });
    else seen.set(k, i);
  });
}

/** metav1.LabelSelector, validated as Kubernetes does (ValidateLabelSelector). */
export const labelSelector = z.strictObject({
  matchLabels: labelMap.optional(),
  matchExpressions: z
    .array(
      z
        .strictObject({
          key: z.string().refine(isLabelKey, "must be a valid label key"),
          operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
          values: z.array(z.string()).optional(),
        })
        .superRefine((req, ctx) => {
          const n = req.values?.length ?? 0;
          if ((req.operator === "In" || req.operator === "NotIn") && n === 0)
            ctx.addIssue({
              code: "custom",
              path: ["values"],
              message: "must be specified when `operator` is 'In' or 'NotIn'",
            });
          if ((req.operator === "Exists" || req.operator === "DoesNotExist") && n > 0)
            ctx.addIssue({
              code: "custom",
              path: ["values"],
              message: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            });
        }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelector>;

/** Does a label set satisfy a selector? (An empty selector matches everything.) */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!has || !values.includes(labels[req.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[req.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

const protocol = z.enum(["TCP", "UDP", "SCTP"]);
// resource.Quantity: "100m", "1Gi", or a bare number in YAML.
const quantity = z.union([z.string().regex(/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[numkMGTPE])?$/, "must be a quantity such as 100m, 1, 1.5 or 128Mi"), z.number()]);
const loose = z.looseObject({});

function nameRule(check: (s: string) => boolean, message: string) {
  return (obj: { metadata: { name?: string } }, ctx: z.RefinementCtx) => {
    const name = obj.metadata.name;
    if (name !== undefined && !check(name)) ctx.addIssue({ code: "custom", path: ["metadata", "name"], message });
  };
}

// ---------------------------------------------------------------------------------------------
// Namespace

export const namespaceSchema = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
    spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional(),
    status: z
      .strictObject({
        phase: z.enum(["Active", "Terminating"]).optional(),
        conditions: z.array(loose).optional(),
      })
      .optional(),
  })
  .superRefine(nameRule(isDns1123Label, "a Namespace name must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)"));

// ---------------------------------------------------------------------------------------------
// Service

const servicePort = z.strictObject({
  name: z.string().optional(),
  protocol: protocol.optional(),
  appProtocol: z
    .string()
    .refine(isLabelKey, "must be an IANA service name or a domain-prefixed name such as kubernetes.io/h2c")
    .optional(),
  port: portNumber,
  targetPort: z.union([portNumber, portName]).optional(),
  nodePort: z.number().int().min(0).max(65535).optional(),
});

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const serviceSpec = z
  .strictObject({
    type: z.enum(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]).optional(),
    selector: labelMap.optional(),
    ports: z.array(servicePort).optional(),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).max(2).optional(),
    externalIPs: z.array(z.string()).optional(),
    externalName: z.string().optional(),
    sessionAffinity: z.enum(["None", "ClientIP"]).optional(),
    sessionAffinityConfig: z
      .strictObject({
        clientIP: z.strictObject({ timeoutSeconds: z.number().int().min(1).max(86400).optional() }).optional(),
      })
      .optional(),
    ipFamilies: z.array(z.enum(["IPv4", "IPv6"])).max(2).optional(),
    ipFamilyPolicy: z.enum(["SingleStack", "PreferDualStack", "RequireDualStack"]).optional(),
    externalTrafficPolicy: z.enum(["Cluster", "Local"]).optional(),
    internalTrafficPolicy: z.enum(["Cluster", "Local"]).optional(),
    healthCheckNodePort: z.number().int().min(0).max(65535).optional(),
    publishNotReadyAddresses: z.boolean().optional(),
    loadBalancerIP: z.string().optional(),
    loadBalancerSourceRanges: z.array(z.string()).optional(),
    loadBalancerClass: z.string().optional(),
    allocateLoadBalancerNodePorts: z.boolean().optional(),
    trafficDistribution: z.string().optional(),
  })
  .superRefine((spec, ctx) => {
    const type = spec.type ?? "ClusterIP";
    const ports = spec.ports ?? [];
    const headless = spec.clusterIP === "None";

    if (type === "ExternalName") {
      const name = (spec.externalName ?? "").replace(/\.$/, "");
      if (!spec.externalName)
        ctx.addIssue({ code: "custom", path: ["externalName"], message: "required for type ExternalName" });
      else if (!isDns1123Subdomain(name))
        ctx.addIssue({ code: "custom", path: ["externalName"], message: "must be a lowercase RFC 1123 subdomain (a DNS name)" });
      if (spec.clusterIP !== undefined && spec.clusterIP !== "")
        ctx.addIssue({ code: "custom", path: ["clusterIP"], message: "may not be set for type ExternalName" });
    } else if (ports.length === 0 && !headless) {
      ctx.addIssue({ code: "custom", path: ["ports"], message: "at least one port (or clusterIP: None)" });
    }

    ports.forEach((p, i) => {
      if (p.name === undefined || p.name === "") {
        if (ports.length > 1)
          ctx.addIssue({ code: "custom", path: ["ports", i, "name"], message: "ports must be named when there is more than one" });
      } else if (!isDns1123Label(p.name))
        ctx.addIssue({ code: "custom", path: ["ports", i, "name"], message: "must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)" });
      if (p.nodePort !== undefined && p.nodePort !== 0 && type !== "NodePort" && type !== "LoadBalancer")
        ctx.addIssue({ code: "custom", path: ["ports", i, "nodePort"], message: `may not be used when type is '${type}'` });
    });
    reportDuplicates(ctx, ports, (p) => p.name || undefined, (i) => ["ports", i, "name"], "port name");
    reportDuplicates(ctx, ports, (p) => `${p.port}/${p.protocol ?? "TCP"}`, (i) => ["ports", i], "port/protocol");

    if (spec.clusterIP !== undefined && spec.clusterIP !== "" && spec.clusterIP !== "None" && !isIP(spec.clusterIP))
      ctx.addIssue({ code: "custom", path: ["clusterIP"], message: `must be "None", empty or an IP address` });
    (spec.clusterIPs ?? []).forEach((ip, i) => {
      if (ip !== "None" && ip !== "" && !isIP(ip))
        ctx.addIssue({ code: "custom", path: ["clusterIPs", i], message: `must be "None" or an IP address` });
    });
    if (spec.clusterIP !== undefined && spec.clusterIPs?.length && spec.clusterIPs[0] !== spec.clusterIP)
      ctx.addIssue({ code: "custom", path: ["clusterIPs", 0], message: "must match clusterIP" });
    (spec.externalIPs ?? []).forEach((ip, i) => {
      if (!isIP(ip)) ctx.addIssue({ code: "custom", path: ["externalIPs", i], message: "must be a valid IP address" });
    });
    (spec.loadBalancerSourceRanges ?? []).forEach((r, i) => {
      if (!isCIDR(r.trim()))
        ctx.addIssue({ code: "custom", path: ["loadBalancerSourceRanges", i], message: "must be a CIDR such as 10.0.0.0/8" });
    });
    if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinity !== "ClientIP")
      ctx.addIssue({ code: "custom", path: ["sessionAffinityConfig"], message: "may only be set when sessionAffinity is ClientIP" });
    reportDuplicates(ctx, spec.ipFamilies, (f) => f, (i) => ["ipFamilies", i], "IP family");
    if (spec.ipFamilyPolicy === "SingleStack" && (spec.ipFamilies?.length ?? 0) > 1)
      ctx.addIssue({ code: "custom", path: ["ipFamilies"], message: "may have at most one family when ipFamilyPolicy is SingleStack" });
    if (spec.externalTrafficPolicy !== undefined && type !== "NodePort" && type !== "LoadBalancer")
      ctx.addIssue({ code: "custom", path: ["externalTrafficPolicy"], message: `may only be set when type is NodePort or LoadBalancer` });
  });

export const serviceSchema = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
    spec: serviceSpec.optional(),
    status: loose.optional(),
  })
  .superRefine(
    nameRule(
      (s) => s.length <= 63 && DNS1035_LABEL.test(s),
      "a Service name must be a lowercase RFC 1035 label (start with a letter; a-z, 0-9, '-', at most 63 characters)",
    ),
  );

// ---------------------------------------------------------------------------------------------
// ServiceAccount

const objectReference = z.strictObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const serviceAccountSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: objectMeta,
  secrets: z.array(objectReference).optional(),
  imagePullSecrets: z.array(z.strictObject({ name: z.string().optional() })).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------
// ConfigMap

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function configKeyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > 253 || !CONFIG_KEY.test(key))
    return `invalid key "${key}": at most 253 characters of a-z, A-Z, 0-9, '-', '_' and '.'`;
  if (key === "." || key === "..") return `invalid key "${key}": must not be '.' or '..'`;
  if (key.startsWith("..")) return `invalid key "${key}": must not start with '..'`;
  return undefined;
}

const MAX_CONFIGMAP_BYTES = 1024 * 1024;

export const configMapSchema = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
    data: stringMap.optional(),
    binaryData: z.record(z.string(), z.string().regex(BASE64, "must be base64-encoded")).optional(),
    immutable: z.boolean().optional(),
  })
  .superRefine((cm, ctx) => {
    let bytes = 0;
    for (const field of ["data", "binaryData"] as const)
      for (const [key, value] of Object.entries(cm[field] ?? {})) {
        const problem = configKeyProblem(key);
        if (problem) ctx.addIssue({ code: "custom", path: [field, key], message: problem });
        bytes += key.length + (field === "data" ? new TextEncoder().encode(value).length : Math.floor((value.length * 3) / 4));
      }
    for (const key of Object.keys(cm.binaryData ?? {}))
      if (cm.data && Object.prototype.hasOwnProperty.call(cm.data, key))
        ctx.addIssue({ code: "custom", path: ["binaryData", key], message: `duplicate key "${key}" is also in data` });
    if (bytes > MAX_CONFIGMAP_BYTES)
      ctx.addIssue({ code: "custom", path: ["data"], message: `a ConfigMap must be at most ${MAX_CONFIGMAP_BYTES} bytes` });
  });

// ---------------------------------------------------------------------------------------------
// Secret: data as base64 (stringData, write-only, is merged into it before validation)

const MAX_SECRET_BYTES = 1024 * 1024;

export const secretSchema = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
    type: z.string().min(1).max(253).optional(),
    data: z.record(z.string(), z.string().regex(BASE64, "must be base64-encoded")).optional(),
    // Present only when it could not be merged into data (a value that is not a string): refused here.
    stringData: stringMap.optional(),
    immutable: z.boolean().optional(),
  })
  .superRefine((secret, ctx) => {
    let bytes = 0;
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      const problem = configKeyProblem(key);
      if (problem) ctx.addIssue({ code: "custom", path: ["data", key], message: problem });
      bytes += key.length + Math.floor((value.length * 3) / 4);
    }
    if (bytes > MAX_SECRET_BYTES) ctx.addIssue({ code: "custom", path: ["data"], message: `a Secret must be at most ${MAX_SECRET_BYTES} bytes` });
    // As the API server validates the type (its PEM content is the consumer's to judge: a Gateway reports it).
    if (secret.type === "kubernetes.io/tls")
      for (const key of ["tls.crt", "tls.key"])
        if (secret.data?.[key] === undefined) ctx.addIssue({ code: "custom", path: ["data", key], message: `required for a Secret of type kubernetes.io/tls` });
  });

/** Kubernetes stores `stringData` as base64 `data` (stringData wins on a shared key) and a default type. */
export function secretStoredForm(obj: KubeObject): KubeObject {
  const { stringData, ...rest } = obj as KubeObject & { stringData?: Record<string, unknown>; data?: Record<string, string>; type?: string };
  const merged = { ...rest, type: rest.type ?? "Opaque" };
  if (stringData === undefined) return merged;
  if (stringData === null || typeof stringData !== "object" || Object.values(stringData).some((v) => typeof v !== "string")) return { ...merged, stringData };
  const data = { ...(rest.data ?? {}) };
  for (const [key, value] of Object.entries(stringData)) data[key] = base64OfUtf8(value as string);
  return { ...merged, data };
}

function base64OfUtf8(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

// ---------------------------------------------------------------------------------------------
// Containers and the pod template

const keySelector = z.strictObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

const envVar = z
  .strictObject({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z
      .strictObject({
        fieldRef: z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
        resourceFieldRef: z
          .strictObject({ containerName: z.string().optional(), resource: z.string(), divisor: quantity.optional() })
          .optional(),
        configMapKeyRef: keySelector.optional(),
        secretKeyRef: keySelector.optional(),
        fileKeyRef: loose.optional(),
      })
      .superRefine((from, ctx) => {
        const n = Object.values(from).filter((v) => v !== undefined).length;
        if (n !== 1)
          ctx.addIssue({
            code: "custom",
            path: [],
            message: "must specify exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef, fileKeyRef",
          });
      })
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.value && env.valueFrom)
      ctx.addIssue({ code: "custom", path: ["valueFrom"], message: "may not be specified when `value` is not empty" });
  });

const containerPort = z.strictObject({
  name: portName.optional(),
  containerPort: portNumber,
  hostPort: z.number().int().min(0).max(65535).optional(),
  protocol: protocol.optional(),
  hostIP: z.string().optional(),
});

const volumeMount = z.strictObject({
  name: z.string().min(1),
  mountPath: z.string().min(1),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.enum(["Disabled", "IfPossible", "Enabled"]).optional(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  mountPropagation: z.enum(["None", "HostToContainer", "Bidirectional"]).optional(),
});

/**
 * A container: every top-level field is known (a typo like `imagePullPolicyy` or `port` is an error),
 * and the fields the mesh reads (name, image, ports, env, volume mounts) are checked in depth.
 * Probes, lifecycle hooks and the security context are passed through as objects.
 */
const container = z
  .strictObject({
    name: dns1123Label,
    image: z.string().optional(),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    workingDir: z.string().optional(),
    ports: z.array(containerPort).optional(),
    envFrom: z.array(loose).optional(),
    env: z.array(envVar).optional(),
    resources: z
      .strictObject({
        limits: z.record(z.string(), quantity).optional(),
        requests: z.record(z.string(), quantity).optional(),
        claims: z.array(loose).optional(),
      })
      .optional(),
    resizePolicy: z.array(loose).optional(),
    restartPolicy: z.enum(["Always", "Never", "OnFailure"]).optional(),
    restartPolicyRules: z.array(loose).optional(),
    volumeMounts: z.array(volumeMount).optional(),
    volumeDevices: z.array(loose).optional(),
    livenessProbe: loose.optional(),
    readinessProbe: loose.optional(),
    startupProbe: loose.optional(),
    lifecycle: loose.optional(),
    terminationMessagePath: z.string().optional(),
    terminationMessagePolicy: z.enum(["File", "FallbackToLogsOnError"]).optional(),
    imagePullPolicy: z.enum(["Always", "Never", "IfNotPresent"]).optional(),
    securityContext: loose.optional(),
    stdin: z.boolean().optional(),
    stdinOnce: z.boolean().optional(),
    tty: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    reportDuplicates(ctx, c.ports, (p) => p.name, (i) => ["ports", i, "name"], "port name");
    reportDuplicates(ctx, c.env, (e) => e.name, (i) => ["env", i, "name"], "environment variable");
    reportDuplicates(ctx, c.volumeMounts, (m) => m.mountPath, (i) => ["volumeMounts", i, "mountPath"], "mount path");
    if (c.image !== undefined && c.image !== c.image.trim())
      ctx.addIssue({ code: "custom", path: ["image"], message: "must not have leading or trailing whitespace" });
  });

/**
 * PodSpec. Modelling all of it (volumes of 30 kinds, affinity, topology spread, security contexts,
 * scheduling gates, ...) would be a second Kubernetes API server that drifts with every release, and
 * the mesh reads only the containers, the service account and the volumes the sidecar mounts. So the
 * pod spec is a loose object (unknown fields pass through untouched) with strict, checked
 * `containers`/`initContainers`; the few scalar fields the mesh or the injector reads are typed.
 */
const podSpec = z
  .looseObject({
    containers: z.array(container).min(1, "a pod needs at least one container"),
    initContainers: z.array(container).optional(),
    ephemeralContainers: z.array(loose).optional(),
    volumes: z.array(z.looseObject({ name: dns1123Label })).optional(),
    serviceAccountName: dns1123Subdomain.optional(),
    serviceAccount: z.string().optional(),
    automountServiceAccountToken: z.boolean().optional(),
    restartPolicy: z.enum(["Always", "OnFailure", "Never"]).optional(),
    terminationGracePeriodSeconds: z.number().int().min(0).optional(),
    hostNetwork: z.boolean().optional(),
    nodeSelector: stringMap.optional(),
  })
  .superRefine((pod, ctx) => {
    // Container names are unique across containers and init containers.
    const all = [
      ...pod.containers.map((c, i) => ({ name: c.name, path: ["containers", i, "name"] as PropertyKey[] })),
      ...(pod.initContainers ?? []).map((c, i) => ({ name: c.name, path: ["initContainers", i, "name"] as PropertyKey[] })),
    ];
    const seen = new Set<string>();
    for (const c of all) {
      if (seen.has(c.name))
        ctx.addIssue({ code: "custom", path: c.path, message: `duplicate container name "${c.name}"` });
      seen.add(c.name);
    }
    reportDuplicates(ctx, pod.volumes, (v) => v.name, (i) => ["volumes", i, "name"], "volume name");
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    for (const field of ["containers", "initContainers"] as const)
      (pod[field] ?? []).forEach((c, i) =>
        (c.volumeMounts ?? []).forEach((m, j) => {
          if (!volumes.has(m.name))
            ctx.addIssue({
              code: "custom",
              path: [field, i, "volumeMounts", j, "name"],
              message: `no volume named "${m.name}" in spec.volumes`,
            });
        }),
      );
  });

const podTemplateSpec = z.strictObject({
  metadata: objectMeta.optional(),
  spec: podSpec,
});

// ---------------------------------------------------------------------------------------------
// Deployment

const intOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^[0-9]+%$/, "must be an integer or a percentage such as 25%"),
]);

function intOrPercentValue(v: number | string | undefined): { n: number; percent: boolean } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return { n: v, percent: false };
  return { n: Number(v.slice(0, -1)), percent: true };
}

const deploymentSpec = z
  .strictObject({
    replicas: z.number().int().min(0).optional(),
    selector: labelSelector,
    template: podTemplateSpec,
    strategy: z
      .strictObject({
        type: z.enum(["Recreate", "RollingUpdate"]).optional(),
        rollingUpdate: z
          .strictObject({ maxUnavailable: intOrPercent.optional(), maxSurge: intOrPercent.optional() })
          .optional(),
      })
      .optional(),
    minReadySeconds: z.number().int().min(0).optional(),
    revisionHistoryLimit: z.number().int().min(0).optional(),
    paused: z.boolean().optional(),
    progressDeadlineSeconds: z.number().int().min(0).optional(),
  })
  .superRefine((spec, ctx) => {
    const sel = spec.selector;
    if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions?.length ?? 0) === 0)
      ctx.addIssue({ code: "custom", path: ["selector"], message: "empty selector is invalid for deployment" });
    else if (!selectorMatches(sel, spec.template.metadata?.labels ?? {}))
      ctx.addIssue({
        code: "custom",
        path: ["template", "metadata", "labels"],
        message: "`selector` does not match template `labels`",
      });
    const restart = spec.template.spec.restartPolicy;
    if (restart !== undefined && restart !== "Always")
      ctx.addIssue({
        code: "custom",
        path: ["template", "spec", "restartPolicy"],
        message: `Unsupported value: "${restart}": a Deployment's pods must use "Always"`,
      });

    const strategy = spec.strategy;
    if (strategy?.type === "Recreate" && strategy.rollingUpdate !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["strategy", "rollingUpdate"],
        message: "may not be specified when strategy `type` is 'Recreate'",
      });
    const ru = strategy?.rollingUpdate;
    if (ru) {
      const unavailable = intOrPercentValue(ru.maxUnavailable);
      const surge = intOrPercentValue(ru.maxSurge);
      if (unavailable?.percent && unavailable.n > 100)
        ctx.addIssue({ code: "custom", path: ["strategy", "rollingUpdate", "maxUnavailable"], message: "must not be greater than 100%" });
      if (unavailable?.n === 0 && surge?.n === 0)
        ctx.addIssue({
          code: "custom",
          path: ["strategy", "rollingUpdate", "maxUnavailable"],
          message: "may not be 0 when `maxSurge` is 0",
        });
    }
    if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0))
      ctx.addIssue({
        code: "custom",
        path: ["progressDeadlineSeconds"],
        message: "must be greater than minReadySeconds",
      });
  });

export const deploymentSchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: objectMeta,
  spec: deploymentSpec,
  status: loose.optional(),
});
