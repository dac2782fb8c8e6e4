// Traffic per host: the compiled routes in order (as one workload's proxy has them), each
// route's match conditions and weight split, the subsets with the workloads they select, and
// the inbound mTLS mode and authorization policies of the workloads behind the host.
import { useEffect, useState } from "preact/hooks";
import type { ClusterSpec, PortRoutes, Route, WorkloadSnapshot } from "../../../mesh/snapshot.ts";
import { ErrorBox, SelectField } from "../components.tsx";
import {
  describeActions,
  describeMatches,
  hostsOf,
  labelsInclude,
  originLabel,
  weightSplit,
  workloadsOf,
  type HostRef,
  workloadKey,
  type WorkloadRef,
} from "../model.ts";
import type { ViewProps } from "../main.tsx";

interface Loaded {
  key: string;
  viewer: WorkloadSnapshot;
  backends: { workload: WorkloadRef; snapshot?: WorkloadSnapshot; error?: string }[];
}

function WeightBar({ route, host }: { route: Route; host: string }) {
  const split = weightSplit(route.destinations ?? [], host);
  return (
    <ul class="weight-bar" aria-label="Traffic split">
      {split.map((s, i) => (
        <li key={s.cluster} class={`seg seg-${i % 6}`} style={{ flexGrow: s.percent, flexBasis: 0 }} title={s.cluster}>
          {s.label} {s.percent} %
        </li>
      ))}
    </ul>
  );
}

function RouteList({ routes, host }: { routes: Route[]; host: string }) {
  return (
    <ol class="routes">
      {routes.map((r, i) => {
        const actions = describeActions(r);
        return (
          <li key={i} class="route">
            <p class="origin">{originLabel(r)}</p>
            <p>
              <span class="label">Match: </span>
              {describeMatches(r).map((m, j) => (
                <span key={j} class="match">
                  {j > 0 && <span class="or"> or </span>}
                  {m}
                </span>
              ))}
            </p>
            {r.destinations && r.destinations.length > 0 && <WeightBar route={r} host={host} />}
            {actions.length > 0 && (
              <ul class="actions" aria-label="Route actions">
                {actions.map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function SubsetTable({ clusters, workloads }: { clusters: ClusterSpec[]; workloads: WorkloadRef[] }) {
  if (clusters.length === 0) return <p>No subsets: no DestinationRule defines subsets for this host.</p>;
  return (
    <div class="table-wrap">
      <table class="subsets">
        <thead>
          <tr>
            <th scope="col">Subset</th>
            <th scope="col">Port</th>
            <th scope="col">Labels</th>
            <th scope="col">Workloads</th>
            <th scope="col">DestinationRule</th>
          </tr>
        </thead>
        <tbody>
          {clusters.map((c) => {
            const labels = c.endpoints.kind === "workloads" ? c.endpoints.labels : {};
            const selected =
              c.endpoints.kind === "workloads" ? workloads.filter((w) => w.namespace === (c.endpoints as { namespace: string }).namespace && labelsInclude(w.labels, labels)) : [];
            return (
              <tr key={c.name}>
                <th scope="row">{c.subset}</th>
                <td>{c.port}</td>
                <td>
                  <code>{Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(", ")}</code>
                </td>
                <td>{selected.length > 0 ? selected.map((w) => w.name).join(", ") : <span class="warning">none (no workload has these labels)</span>}</td>
                <td>{c.destinationRule ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PolicyTable({ backends }: { backends: Loaded["backends"] }) {
  if (backends.length === 0) return <p>No workload in the mesh serves this host.</p>;
  return (
    <div class="table-wrap">
      <table class="inbound">
        <thead>
          <tr>
            <th scope="col">Workload</th>
            <th scope="col">Inbound mTLS</th>
            <th scope="col">Authorization policies</th>
          </tr>
        </thead>
        <tbody>
          {backends.map(({ workload, snapshot, error }) => {
            const key = workloadKey(workload);
            if (!snapshot)
              return (
                <tr key={key}>
                  <th scope="row">{key}</th>
                  <td colSpan={2}>{error}</td>
                </tr>
              );
            const { mtls, policies } = snapshot.authz;
            const groups = (["custom", "deny", "allow", "audit"] as const).filter((a) => policies[a].length > 0);
            return (
              <tr key={key}>
                <th scope="row">{key}</th>
                <td>
                  <span class="mtls">{mtls.mode}</span>
                  {mtls.ports.map((p) => (
                    <span key={p.port}>
                      {" "}
                      · port {p.port}: {p.mode}
                    </span>
                  ))}
                  {mtls.origin.length > 0 && <span class="field"> (from {mtls.origin.join(", ")})</span>}
                </td>
                <td>
                  {groups.length === 0
                    ? "none (all requests allowed)"
                    : groups.map((a) => (
                        <p key={a} class="policy-group">
                          <strong>{a.toUpperCase()}</strong>: {policies[a].map((p) => p.name).join(", ")}
                        </p>
                      ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Which proxy's route table to show by default: a workload in the host's namespace that is not behind the host. */
function defaultViewer(workloads: WorkloadRef[], host: HostRef): WorkloadRef | undefined {
  const backing = (w: WorkloadRef) => w.namespace === host.namespace && labelsInclude(w.labels, host.selector);
  return workloads.find((w) => w.namespace === host.namespace && !backing(w)) ?? workloads.find((w) => !backing(w)) ?? workloads[0];
}

export function TrafficView({ api, data, params }: ViewProps) {
  const hosts = hostsOf(data.items);
  const workloads = workloadsOf(data.items);
  const host = hosts.find((h) => h.host === params[0]) ?? hosts[0];
  const [viewerKey, setViewerKey] = useState<string>("");
  const viewer = workloads.find((w) => workloadKey(w) === viewerKey) ?? (host ? defaultViewer(workloads, host) : undefined);
  const backends = host ? workloads.filter((w) => w.namespace === host.namespace && labelsInclude(w.labels, host.selector)) : [];
  const key = `${data.revision}|${host?.host}|${viewer ? workloadKey(viewer) : ""}`;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!host || !viewer) return;
    let cancelled = false;
    const snapshotOf = (w: WorkloadRef) => api.get<WorkloadSnapshot>(`/mesh/v1/snapshot/${encodeURIComponent(w.namespace)}/${encodeURIComponent(w.name)}`);
    Promise.all([
      snapshotOf(viewer),
      Promise.all(
        backends.map((w) =>
          snapshotOf(w).then(
            (snapshot) => ({ workload: w, snapshot }),
            (e) => ({ workload: w, error: e instanceof Error ? e.message : String(e) }),
          ),
        ),
      ),
    ])
      .then(([v, b]) => {
        if (cancelled) return;
        setLoaded({ key, viewer: v, backends: b });
        setError(null);
      })
      .catch((e) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [key]);

  if (!host) return <p>No services yet: apply some Services or ServiceEntries.</p>;
  const current = loaded?.key === key ? loaded : null;
  const ports: PortRoutes[] = (current?.viewer.router.ports ?? [])
    .map((p) => ({ port: p.port, virtualHosts: p.virtualHosts.filter((vh) => vh.name === `${host.host}:${p.port}` || vh.name === host.host) }))
    .filter((p) => p.virtualHosts.length > 0);
  const subsets = (current?.viewer.clusters ?? []).filter((c) => c.host === host.host && c.subset !== "");

  return (
    <div class="traffic">
      <form class="filters" aria-label="Choose a host" onSubmit={(e) => e.preventDefault()}>
        <SelectField id="t-host" label="Host" value={host.host} options={hosts.map((h) => h.host)} onChange={(v) => (location.hash = `#/traffic/${encodeURIComponent(v)}`)} />
        <SelectField id="t-viewer" label="Routes as seen from" value={viewer ? workloadKey(viewer) : ""} options={workloads.map(workloadKey)} onChange={setViewerKey} />
      </form>
      {error && <ErrorBox message={error} />}
      {!current && !error && <p>Loading…</p>}
      {current && (
        <>
          <section aria-labelledby="routes-title">
            <h2 id="routes-title">Routes to {host.host}</h2>
            {ports.length === 0 && <p>The proxy of {viewer?.name} has no routes to this host (not visible from its namespace, or not HTTP).</p>}
            {ports.map((p) => (
              <div key={p.port} class="port">
                <h3>Port {p.port}</h3>
                {p.virtualHosts.map((vh) => (
                  <RouteList key={vh.name} routes={vh.routes} host={host.host} />
                ))}
              </div>
            ))}
          </section>
          <section aria-labelledby="subsets-title">
            <h2 id="subsets-title">Subsets and their workloads</h2>
            <SubsetTable clusters={subsets} workloads={workloads} />
          </section>
          <section aria-labelledby="inbound-title">
            <h2 id="inbound-title">Inbound policy of the workloads behind the host</h2>
            <PolicyTable backends={current.backends} />
          </section>
        </>
      )}
    </div>
  );
}
