// A synthetic mesh of a given size, shaped like real ones: services in 10 namespaces, two
// versions each, a VirtualService (header match + weighted split) and a DestinationRule per
// service, and a mix of PeerAuthentication / AuthorizationPolicy / RequestAuthentication.
import { meshConfig, type MeshConfig } from "../../control/mesh/config.ts";
import type { KubeObject } from "../../control/mesh/kinds/types.ts";

const NAMESPACES = 10;

function obj(apiVersion: string, kind: string, namespace: string, name: string, spec: object, i: number, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace, creationTimestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"), ...(labels ? { labels } : {}) },
    spec,
  };
}

export function generateMesh(services: number): MeshConfig {
  const objects: KubeObject[] = [];
  let i = 0;
  for (let n = 0; n < NAMESPACES; n++)
    objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${n}`, labels: { "istio-injection": "enabled" } } });
  for (let s = 0; s < services; s++) {
    const ns = `ns-${s % NAMESPACES}`;
    const app = `svc-${s}`;
    objects.push(obj("v1", "Service", ns, app, { selector: { app }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] }, i++));
    for (const version of ["v1", "v2"])
      objects.push(
        obj("apps/v1", "Deployment", ns, `${app}-${version}`, {
          selector: { matchLabels: { app, version } },
          template: { metadata: { labels: { app, version } }, spec: { serviceAccountName: app, containers: [{ name: app, image: "app", ports: [{ containerPort: 8080 }] }] } },
        }, i++),
      );
    objects.push(
      obj("networking.istio.io/v1", "DestinationRule", ns, app, {
        host: app,
        trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 100 } } },
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      }, i++),
    );
    objects.push(
      obj("networking.istio.io/v1", "VirtualService", ns, app, {
        hosts: [app],
        http: [
          { match: [{ headers: { "end-user": { exact: "jason" } } }], route: [{ destination: { host: app, subset: "v2" } }] },
          { route: [{ destination: { host: app, subset: "v1" }, weight: 90 }, { destination: { host: app, subset: "v2" }, weight: 10 }], timeout: "10s" },
        ],
      }, i++),
    );
  }
  for (let p = 0; p < services / 5; p++) {
    const ns = `ns-${p % NAMESPACES}`;
    const app = `svc-${p}`;
    if (p % 4 === 0) objects.push(obj("security.istio.io/v1", "PeerAuthentication", ns, `pa-${p}`, { selector: { matchLabels: { app } }, mtls: { mode: "STRICT" } }, i++));
    else if (p % 4 === 3)
      objects.push(obj("security.istio.io/v1", "RequestAuthentication", ns, `ra-${p}`, { selector: { matchLabels: { app } }, jwtRules: [{ issuer: "https://issuer.example", jwksUri: "https://issuer.example/jwks" }] }, i++));
    else
      objects.push(
        obj("security.istio.io/v1", "AuthorizationPolicy", ns, `ap-${p}`, {
          selector: { matchLabels: { app } },
          action: p % 4 === 1 ? "ALLOW" : "DENY",
          rules: [{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/svc-${p + 1}`] } }], to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }] }],
        }, i++),
      );
  }
  return meshConfig(objects);
}

/**
 * The scale benchmark's mesh, as a new user would write it: 10 namespaces; per service one
 * Service, one Deployment, a DestinationRule with subsets v1/v2 and a VirtualService with
 * 3 rules (header match, URI prefix, weighted split). Objects in apply order (namespaces first).
 */
export function scaleMeshObjects(services: number, prefix = "svc"): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let n = 0; n < NAMESPACES; n++) objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${n}`, labels: { "istio-injection": "enabled" } } });
  for (let s = 0; s < services; s++) {
    const ns = `ns-${s % NAMESPACES}`;
    const app = `${prefix}-${s}`;
    const meta = (name: string) => ({ name, namespace: ns });
    objects.push(
      { apiVersion: "v1", kind: "Service", metadata: meta(app), spec: { selector: { app }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] } },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: meta(`${app}-v1`),
        spec: {
          selector: { matchLabels: { app, version: "v1" } },
          template: { metadata: { labels: { app, version: "v1" } }, spec: { containers: [{ name: app, image: "app", ports: [{ containerPort: 8080 }] }] } },
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: meta(app),
        spec: { host: app, subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] },
      },
      scaleVirtualService(ns, app, 90),
    );
  }
  return objects;
}

/** The VirtualService of one service in the scale mesh, with `weight`% to v1 in its last rule. */
export function scaleVirtualService(namespace: string, app: string, weight: number): KubeObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: app, namespace },
    spec: {
      hosts: [app],
      http: [
        { match: [{ headers: { "end-user": { exact: "jason" } } }], route: [{ destination: { host: app, subset: "v2" } }] },
        { match: [{ uri: { prefix: "/v2/" } }], route: [{ destination: { host: app, subset: "v2" } }] },
        { route: [{ destination: { host: app, subset: "v1" }, weight }, { destination: { host: app, subset: "v2" }, weight: 100 - weight }] },
      ],
    },
  };
}
