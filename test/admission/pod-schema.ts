// A strict schema of core/v1 Pod for the parts the injector generates or touches (containers, init
// containers, probes, env, security contexts, resources, volumes), with Kubernetes' real field names
// and types: an unknown or misspelt field, or a value of the wrong type, is an error. The rest of
// the pod (affinity, topology spread, ...) is accepted as objects. Cross-field rules the API server
// enforces on what we add: unique container and volume names, mounts of existing volumes, one
// handler per probe, restartPolicy only on init containers.
import { z } from "zod";
import { objectMeta } from "../../control/mesh/schema/meta.ts";

const loose = z.looseObject({});
const int = z.number().int();
const port = z.number().int().min(1).max(65535);
const intOrString = z.union([port, z.string().min(1)]);
const quantity = z.union([z.string().regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[numkMGTPE])?$/), z.number()]);

const keyToPath = z.strictObject({ key: z.string(), path: z.string(), mode: int.optional() });
const fieldRef = z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() });
const resourceFieldRef = z.strictObject({ containerName: z.string().optional(), resource: z.string(), divisor: quantity.optional() });
const keySelector = z.strictObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

const envVar = z
  .strictObject({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z
      .strictObject({
        fieldRef: fieldRef.optional(),
        resourceFieldRef: resourceFieldRef.optional(),
        configMapKeyRef: keySelector.optional(),
        secretKeyRef: keySelector.optional(),
      })
      .refine((v) => Object.keys(v).length === 1, "valueFrom needs exactly one source")
      .optional(),
  })
  .refine((e) => !(e.value && e.valueFrom), "value and valueFrom are exclusive");

const httpGet = z.strictObject({
  path: z.string().optional(),
  port: intOrString,
  host: z.string().optional(),
  scheme: z.enum(["HTTP", "HTTPS"]).optional(),
  httpHeaders: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
});

const probe = z
  .strictObject({
    exec: z.strictObject({ command: z.array(z.string()) }).optional(),
    httpGet: httpGet.optional(),
    tcpSocket: z.strictObject({ port: intOrString, host: z.string().optional() }).optional(),
    grpc: z.strictObject({ port, service: z.string().optional() }).optional(),
    initialDelaySeconds: int.min(0).optional(),
    timeoutSeconds: int.min(1).optional(),
    periodSeconds: int.min(1).optional(),
    successThreshold: int.min(1).optional(),
    failureThreshold: int.min(1).optional(),
    terminationGracePeriodSeconds: int.optional(),
  })
  .refine((p) => [p.exec, p.httpGet, p.tcpSocket, p.grpc].filter(Boolean).length === 1, "a probe needs exactly one handler");

const securityContext = z.strictObject({
  allowPrivilegeEscalation: z.boolean().optional(),
  appArmorProfile: loose.optional(),
  capabilities: z.strictObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() }).optional(),
  privileged: z.boolean().optional(),
  procMount: z.string().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  runAsGroup: int.optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: int.optional(),
  seLinuxOptions: loose.optional(),
  seccompProfile: loose.optional(),
  windowsOptions: loose.optional(),
});

const quantities = z.record(z.string(), quantity);
const container = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        containerPort: port,
        hostPort: int.optional(),
        hostIP: z.string().optional(),
        protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
      }),
    )
    .optional(),
  envFrom: z.array(loose).optional(),
  env: z.array(envVar).optional(),
  resources: z.strictObject({ limits: quantities.optional(), requests: quantities.optional(), claims: z.array(loose).optional() }).optional(),
  resizePolicy: z.array(loose).optional(),
  restartPolicy: z.literal("Always").optional(),
  volumeMounts: z
    .array(
      z.strictObject({
        name: z.string(),
        mountPath: z.string().min(1),
        readOnly: z.boolean().optional(),
        subPath: z.string().optional(),
        subPathExpr: z.string().optional(),
        mountPropagation: z.string().optional(),
        recursiveReadOnly: z.string().optional(),
      }),
    )
    .optional(),
  volumeDevices: z.array(loose).optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  startupProbe: probe.optional(),
  lifecycle: loose.optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.enum(["File", "FallbackToLogsOnError"]).optional(),
  imagePullPolicy: z.enum(["Always", "Never", "IfNotPresent"]).optional(),
  securityContext: securityContext.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
});
type Container = z.infer<typeof container>;

const items = z.array(keyToPath).optional();
const downwardAPIItems = z.array(
  z.strictObject({ path: z.string(), fieldRef: fieldRef.optional(), resourceFieldRef: resourceFieldRef.optional(), mode: int.optional() }),
);
const volumeSources = {
  emptyDir: z.strictObject({ medium: z.enum(["", "Memory"]).optional(), sizeLimit: quantity.optional() }),
  configMap: z.strictObject({ name: z.string(), items, defaultMode: int.optional(), optional: z.boolean().optional() }),
  secret: z.strictObject({ secretName: z.string(), items, defaultMode: int.optional(), optional: z.boolean().optional() }),
  downwardAPI: z.strictObject({ items: downwardAPIItems, defaultMode: int.optional() }),
  projected: z.strictObject({
    defaultMode: int.optional(),
    sources: z.array(
      z.strictObject({
        serviceAccountToken: z
          .strictObject({ audience: z.string().optional(), expirationSeconds: int.min(600).optional(), path: z.string() })
          .optional(),
        configMap: z.strictObject({ name: z.string(), items, optional: z.boolean().optional() }).optional(),
        secret: z.strictObject({ name: z.string(), items, optional: z.boolean().optional() }).optional(),
        downwardAPI: z.strictObject({ items: downwardAPIItems }).optional(),
        clusterTrustBundle: loose.optional(),
      }),
    ),
  }),
  persistentVolumeClaim: z.strictObject({ claimName: z.string(), readOnly: z.boolean().optional() }),
  hostPath: z.strictObject({ path: z.string(), type: z.string().optional() }),
  csi: loose,
  ephemeral: loose,
  nfs: loose,
  image: loose,
};
const volume = z
  .strictObject({ name: z.string().min(1), ...Object.fromEntries(Object.entries(volumeSources).map(([k, s]) => [k, s.optional()])) })
  .refine((v) => Object.keys(v).length <= 2, "a volume has at most one source");

const podSpec = z
  .strictObject({
    activeDeadlineSeconds: int.optional(),
    affinity: loose.optional(),
    automountServiceAccountToken: z.boolean().optional(),
    containers: z.array(container).min(1),
    dnsConfig: loose.optional(),
    dnsPolicy: z.enum(["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]).optional(),
    enableServiceLinks: z.boolean().optional(),
    ephemeralContainers: z.array(loose).optional(),
    hostAliases: z.array(loose).optional(),
    hostIPC: z.boolean().optional(),
    hostNetwork: z.boolean().optional(),
    hostPID: z.boolean().optional(),
    hostUsers: z.boolean().optional(),
    hostname: z.string().optional(),
    imagePullSecrets: z.array(z.strictObject({ name: z.string() })).optional(),
    initContainers: z.array(container).optional(),
    nodeName: z.string().optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    os: loose.optional(),
    overhead: quantities.optional(),
    preemptionPolicy: z.enum(["PreemptLowerPriority", "Never"]).optional(),
    priority: int.optional(),
    priorityClassName: z.string().optional(),
    readinessGates: z.array(loose).optional(),
    resourceClaims: z.array(loose).optional(),
    resources: loose.optional(),
    restartPolicy: z.enum(["Always", "OnFailure", "Never"]).optional(),
    runtimeClassName: z.string().optional(),
    schedulerName: z.string().optional(),
    schedulingGates: z.array(loose).optional(),
    securityContext: loose.optional(),
    serviceAccount: z.string().optional(),
    serviceAccountName: z.string().optional(),
    setHostnameAsFQDN: z.boolean().optional(),
    shareProcessNamespace: z.boolean().optional(),
    subdomain: z.string().optional(),
    terminationGracePeriodSeconds: int.optional(),
    tolerations: z
      .array(
        z.strictObject({
          key: z.string().optional(),
          operator: z.enum(["Exists", "Equal"]).optional(),
          value: z.string().optional(),
          effect: z.string().optional(),
          tolerationSeconds: int.optional(),
        }),
      )
      .optional(),
    topologySpreadConstraints: z.array(loose).optional(),
    volumes: z.array(volume).optional(),
  })
  .superRefine((spec, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message });
    const all: Container[] = [...spec.containers, ...(spec.initContainers ?? [])];
    const names = all.map((c) => c.name);
    if (new Set(names).size !== names.length) issue(`duplicate container names: ${names.join(", ")}`);
    const volumes = (spec.volumes ?? []).map((v) => v.name);
    if (new Set(volumes).size !== volumes.length) issue(`duplicate volume names: ${volumes.join(", ")}`);
    for (const c of all)
      for (const m of c.volumeMounts ?? []) if (!volumes.includes(m.name)) issue(`${c.name} mounts a missing volume ${m.name}`);
    for (const c of spec.containers) if (c.restartPolicy) issue(`${c.name}: restartPolicy is for init containers`);
  });

export const podSchema = z.strictObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("Pod"),
  metadata: objectMeta,
  spec: podSpec,
  status: loose.optional(),
});

/** The schema's complaints about a pod, one line each (empty when it is valid). */
export function podProblems(pod: unknown): string[] {
  const result = podSchema.safeParse(pod);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}
