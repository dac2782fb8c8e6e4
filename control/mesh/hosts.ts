// Host names as Istio reads them: short names resolve against the namespace of the object
// that wrote them, wildcards match by suffix, and a sidecar reaches a service by several names.
export const CLUSTER_DOMAIN = "cluster.local";

/** `reviews` in `default` → `reviews.default.svc.cluster.local`; FQDNs and wildcards stay as they are. */
export function resolveHost(host: string, namespace: string): string {
  if (host === "*" || host.startsWith("*")) return host;
  if (!host.includes(".")) return `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
  const parts = host.split(".");
  // `reviews.default` and `reviews.default.svc` are Kubernetes service names too.
  if (parts.length === 2) return `${host}.svc.${CLUSTER_DOMAIN}`;
  if (parts.length === 3 && parts[2] === "svc") return `${host}.${CLUSTER_DOMAIN}`;
  return host;
}

/** Does a (possibly wildcard) host pattern match a concrete host? `*` matches all; `*.x.com` matches `a.x.com`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === "*") return true;
  if (p.startsWith("*.")) return h.endsWith(p.slice(1)) || h === p.slice(2);
  if (p.startsWith("*")) return h.endsWith(p.slice(1));
  return p === h;
}

/** Do two host patterns (either may be a wildcard) have a host in common? */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

const SERVICE_SUFFIX = `.svc.${CLUSTER_DOMAIN}`;

/** The names a client in `clientNamespace` may use for a Kubernetes service, with and without the port. */
export function serviceDomains(hostname: string, port: number, clientNamespace: string): string[] {
  const withPort = `:${port}`;
  if (!hostname.endsWith(SERVICE_SUFFIX)) return [hostname, hostname + withPort];
  // `<name>.<namespace>` (Kubernetes names hold no dots); written out, as this runs per service per view.
  const nameNamespace = hostname.slice(0, -SERVICE_SUFFIX.length);
  const svc = `${nameNamespace}.svc`;
  const names = [hostname, hostname + withPort, svc, svc + withPort, nameNamespace, nameNamespace + withPort];
  return names.concat(shortServiceNames(hostname, port, clientNamespace));
}

/** The names only a client in the service's own namespace may use (`<name>`, `<name>:<port>`), if any. */
export function shortServiceNames(hostname: string, port: number, clientNamespace: string): string[] {
  if (!hostname.endsWith(SERVICE_SUFFIX)) return [];
  const nameNamespace = hostname.slice(0, -SERVICE_SUFFIX.length);
  const dot = nameNamespace.indexOf(".");
  if (nameNamespace.slice(dot + 1) !== clientNamespace) return [];
  const name = nameNamespace.slice(0, dot);
  return [name, `${name}:${port}`];
}

/** Gateway API wildcard: `*.x.com` matches hosts with at least one more label (`a.x.com`, or the
 *  narrower wildcard `*.a.x.com`), never `x.com`. */
function gatewayHostMatches(wildcard: string, host: string): boolean {
  return host.length > wildcard.length - 1 && host.endsWith(wildcard.slice(1));
}

/**
 * The hostnames a route serves on a Gateway API listener (GEP "Hostname intersection"): each route
 * hostname the listener's hostname admits, the listener's own hostname where the route's is the
 * wider wildcard, `*` when neither restricts. Empty: the route does not attach to the listener.
 */
export function listenerRouteHostnames(listenerHostname: string | undefined, routeHostnames: string[]): string[] {
  const listener = listenerHostname?.toLowerCase();
  const routes = routeHostnames.map((h) => h.toLowerCase());
  if (!listener) return routes.length ? routes : ["*"];
  if (!routes.length) return [listener];
  const out: string[] = [];
  for (const h of routes) {
    // Either side may be a wildcard; the narrower of the two is what the route serves there.
    const served = h === listener ? h : listener.startsWith("*.") && gatewayHostMatches(listener, h) ? h : h.startsWith("*.") && gatewayHostMatches(h, listener) ? listener : undefined;
    if (served !== undefined && !out.includes(served)) out.push(served);
  }
  return out;
}
