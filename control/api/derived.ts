// Objects the mesh derives instead of storing, served next to (or, for read-only kinds, instead
// of) the stored ones: pods from the endpoint registry, no events, the sidecar injector's webhook
// configuration, and the Service of each Gateway API gateway of class istio.
import type { Context } from "hono";
import { settingsFromEnv, type AdmissionBindings } from "../../admission/settings.ts";
import { webhookConfiguration } from "../../admission/webhook-config.ts";
import type { Env } from "../env.ts";
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { controlPlaneOf } from "../xds/auth.ts";
import { gatewayService, ISTIO_GATEWAY_CLASS } from "../xds/gateway-manifest.ts";
import { podObject } from "./pods.ts";
import { configStore } from "./resources.ts";

type Ctx = Context<{ Bindings: Env }>;

/** The derived objects of one kind in a namespace (undefined: all namespaces, or cluster-scoped);
 *  `forName` when a single object is looked up. */
type Derive = (c: Ctx, namespace: string | undefined, forName?: string) => Promise<KubeObject[]>;

async function pods(c: Ctx, namespace: string | undefined): Promise<KubeObject[]> {
  const { items } = await configStore(c.env).podRecords(namespace);
  const settings = settingsFromEnv(c.env as Env & AdmissionBindings, c.req.url);
  const now = Date.now();
  return items.map((r) => podObject(r, now, settings));
}

/** The same object GET /mesh/v1/webhook-config prints, pointing at this control plane. */
async function webhookConfigurations(c: Ctx): Promise<KubeObject[]> {
  // With a webhook secret the URL's last segment is that secret, which the API never prints.
  const path = (c.env as Env & AdmissionBindings).MESH_WEBHOOK_SECRET ? "/inject/{MESH_WEBHOOK_SECRET}" : "/inject";
  return [webhookConfiguration(`${controlPlaneOf(c.env, c.req.url).url}${path}`) as KubeObject];
}

/** Istio's gateway controller makes a Service per Gateway of its class; its age is the Gateway's. */
async function gatewayServices(c: Ctx, namespace: string | undefined, forName?: string): Promise<KubeObject[]> {
  const gateways = await configStore(c.env).gatewayApiProxies(ISTIO_GATEWAY_CLASS, namespace, forName === undefined);
  return gateways.map(({ gateway, proxy }) => {
    const service = gatewayService(gateway, proxy);
    return { ...service, metadata: { ...service.metadata, creationTimestamp: gateway.metadata.creationTimestamp } };
  });
}

const DERIVED: Record<string, Derive> = {
  "/pods": pods,
  "/services": gatewayServices,
  "/events": async () => [],
  "admissionregistration.k8s.io/mutatingwebhookconfigurations": webhookConfigurations,
};

export function derives(spec: KindSpec): boolean {
  return `${spec.group}/${spec.plural}` in DERIVED;
}

/** Only for a kind that `derives`. */
export function derivedObjects(c: Ctx, spec: KindSpec, namespace: string | undefined, forName?: string): Promise<KubeObject[]> {
  return DERIVED[`${spec.group}/${spec.plural}`](c, namespace, forName);
}
