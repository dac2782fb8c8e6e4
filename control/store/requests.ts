// What the API asks of the store. Plain data, because it crosses the Durable Object RPC boundary.
import type { KubeObject } from "../mesh/kinds/types.ts";
import type { KubeStatus } from "../api/status.ts";
import type { ProxySync } from "../proxy/sync-status.ts";

export interface ResourceRef {
  group: string;
  plural: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
}

export type PatchType = "merge" | "strategic" | "json" | "apply";

export type WriteRequest = ResourceRef & { dryRun: boolean } & (
    | { op: "create"; body: KubeObject }
    | { op: "replace"; name: string; body: KubeObject }
    | { op: "patch"; name: string; patchType: PatchType; patch: unknown }
    | { op: "delete"; name: string; preconditions?: { resourceVersion?: string; uid?: string } }
  );

/** `warnings`: what istiod would warn of (deprecated fields, likely mistakes), for `Warning` headers. */
export type WriteResult = { ok: true; code: 200 | 201; object: KubeObject; warnings?: string[] } | { ok: false; status: KubeStatus };

export interface ListResult {
  items: KubeObject[];
  /** The mesh revision the list was read at (a list's resourceVersion). */
  revision: number;
}

/** A pod as the admission webhook answered it: what the pods API shows of its spec. */
export interface AdmittedPod {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
}

/** Everything the pods API builds one Pod from: the registry's entry and what the mesh knows of its workload. */
export interface PodRecord {
  namespace: string;
  pod: string;
  workload: string;
  ip: string;
  labels: Record<string, string>;
  kind: "sidecar" | "gateway";
  serviceAccount: string;
  registeredAt: number;
  lastSeen: number;
  readyUntil: number;
  /** The spec admission produced, when the pod went through the webhook. */
  admitted?: AdmittedPod;
  /** Otherwise the app containers of the workload's Deployment, if there is one. */
  appContainers?: Record<string, unknown>[];
  /** Whether its proxy runs the published config (istioctl proxy-status). */
  sync?: ProxySync;
}
