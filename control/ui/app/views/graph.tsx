// The live service graph (Kiali's "versioned app" graph): workloads boxed by app, arrows labelled
// with request rate, error share and p95, a lock where the server saw mutual TLS; below it the same
// edges as a table, and each traffic split observed over the window beside the configured weights.
// Everything comes from GET /mesh/v1/graph (the Worker asks Prometheus), refreshed every 5 s.
import { useEffect, useState } from "preact/hooks";
import type { ServiceGraph, TrafficSplit } from "../../../graph/build.ts";
import { ErrorBox, SelectField } from "../components.tsx";
import { formatRate, formatShare, layoutGraph, type PlacedEdge, serviceName, splitSentence } from "../graph-layout.ts";
import type { ViewProps } from "../main.tsx";

const REFRESH_MS = 5000;
const WINDOWS: [string, string][] = [
  ["1m", "Last minute"],
  ["5m", "Last 5 minutes"],
  ["10m", "Last 10 minutes"],
  ["30m", "Last 30 minutes"],
  ["1h", "Last hour"],
];

function Lock({ x, y }: { x: number; y: number }) {
  return (
    <g class="lock" transform={`translate(${x} ${y})`}>
      <title>mTLS</title>
      <path d="M 2.5 6 V 4 a 3.5 3.5 0 0 1 7 0 V 6" fill="none" />
      <rect x="0.5" y="6" width="11" height="8" rx="1.5" />
    </g>
  );
}

const nodeName = (g: ServiceGraph, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  return !n ? id : n.kind === "workload" && n.app && n.version ? `${n.app} ${n.version}` : n.name;
};

function edgeDescription(g: ServiceGraph, e: PlacedEdge): string {
  const mtls = e.edge.mtlsShare === null ? "" : e.edge.mtlsShare > 0 ? `, mTLS ${formatShare(e.edge.mtlsShare)}` : ", no mTLS";
  return `${nodeName(g, e.edge.source)} → ${nodeName(g, e.edge.target)}: ${e.label}${mtls}`;
}

function GraphPicture({ graph }: { graph: ServiceGraph }) {
  const layout = layoutGraph(graph);
  return (
    <div class="graph-wrap">
      <svg class="graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label={`Service graph, last ${graph.window}`}>
        <defs>
          {(["healthy", "degraded", "failing"] as const).map((h) => (
            <marker key={h} id={`arrow-${h}`} class={`arrow ${h}`} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" />
            </marker>
          ))}
        </defs>
        {layout.apps.map((a) => (
          <g key={`${a.namespace}/${a.app}`} class="app-box">
            <rect x={a.x} y={a.y} width={a.width} height={a.height} rx="8" />
            <text x={a.x + 10} y={a.y + 16}>
              {a.app}
            </text>
          </g>
        ))}
        {layout.edges.map((e) => (
          <g key={`${e.edge.source} ${e.edge.target}`} class={`edge ${e.health}`} data-edge={`${e.edge.source} ${e.edge.target}`} role="img" aria-label={edgeDescription(graph, e)}>
            <path d={e.d} marker-end={`url(#arrow-${e.health})`} />
            <text x={e.labelX} y={e.labelY - 10} text-anchor="middle">
              {e.label}
            </text>
            {e.edge.mtlsShare !== null && e.edge.mtlsShare > 0 && <Lock x={e.labelX - 6} y={e.labelY - 7} />}
          </g>
        ))}
        {layout.nodes.map((n) => (
          <g key={n.node.id} class={`node ${n.node.kind}`} data-node={n.node.id}>
            <title>{n.node.kind === "workload" ? `workload ${n.node.namespace}/${n.node.name}` : n.node.id}</title>
            <rect x={n.x} y={n.y} width={n.width} height={n.height} rx="6" />
            <text x={n.x + n.width / 2} y={n.y + n.height / 2 + 5} text-anchor="middle">
              {n.label}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

function EdgeTable({ graph }: { graph: ServiceGraph }) {
  return (
    <div class="table-wrap">
      <table class="edges">
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Service</th>
            <th scope="col">Requests</th>
            <th scope="col">Errors (non-2xx / 5xx)</th>
            <th scope="col">p95</th>
            <th scope="col">mTLS</th>
          </tr>
        </thead>
        <tbody>
          {graph.edges.map((e) => (
            <tr key={`${e.source} ${e.target}`}>
              <th scope="row">{nodeName(graph, e.source)}</th>
              <td>{nodeName(graph, e.target)}</td>
              <td>{e.service}</td>
              <td>{formatRate(e.requestsPerSecond)}</td>
              <td>
                {formatShare(e.errorShare)} / {formatShare(e.serverErrorShare)}
              </td>
              <td>{e.p95Ms === null ? "–" : `${e.p95Ms} ms`}</td>
              <td>{e.mtlsShare === null ? "not reported" : e.mtlsShare === 1 ? "yes" : e.mtlsShare === 0 ? "no" : `partly (${formatShare(e.mtlsShare)})`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Same colour for the same version in both bars. */
function ShareBar({ label, shares, versions }: { label: string; shares: { version: string; percent: number }[]; versions: string[] }) {
  return (
    <ul class="weight-bar" aria-label={label}>
      {shares.map((s) => (
        <li key={s.version} class={`seg seg-${versions.indexOf(s.version) % 6}`} style={{ flexGrow: Math.max(s.percent, 0.1), flexBasis: 0 }}>
          {s.version} {s.percent} %
        </li>
      ))}
    </ul>
  );
}

function SplitRow({ graph, split }: { graph: ServiceGraph; split: TrafficSplit }) {
  const versions = [...new Set([...(split.configured?.shares.map((s) => s.version) ?? []), ...split.observed.map((o) => o.version)])].sort();
  return (
    <tr data-split={`${split.source} ${split.service}`}>
      <th scope="row">
        {serviceName(split.service)}
        <span class="field"> from {nodeName(graph, split.source)}</span>
      </th>
      <td>
        {split.configured ? (
          <>
            <ShareBar label="Configured split" shares={split.configured.shares} versions={versions} />
            <span class="field">{split.configured.origin}</span>
          </>
        ) : (
          "unknown (no compiled routes for this client)"
        )}
      </td>
      <td>
        <ShareBar label="Observed split" shares={split.observed} versions={versions} />
        <span class="field">{split.observed.map((o) => `${o.version} ${formatRate(o.requestsPerSecond)}`).join(", ")}</span>
      </td>
      <td class="sentence">{splitSentence(split, graph.window)}</td>
    </tr>
  );
}

export function GraphView({ api, params }: ViewProps) {
  const window = WINDOWS.some(([w]) => w === params[0]) ? params[0] : "1m";
  const [graph, setGraph] = useState<ServiceGraph | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const g = await api.get<ServiceGraph>(`/mesh/v1/graph?window=${window}`);
        if (stopped) return;
        setGraph(g);
        setError(null);
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(tick, document.hidden ? REFRESH_MS * 5 : REFRESH_MS);
    };
    setGraph(null);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, window]);

  return (
    <div class="graph-view">
      <form class="filters" aria-label="Graph options" onSubmit={(e) => e.preventDefault()}>
        <SelectField id="g-window" label="Traffic over" value={window} options={WINDOWS} onChange={(v) => (location.hash = `#/graph/${v}`)} />
      </form>
      {error && <ErrorBox message={error} />}
      {!graph && !error && <p>Loading…</p>}
      {graph && graph.edges.length === 0 && <p>No requests in the last {graph.window}: send some traffic through the ingress (the proxies report it to Prometheus).</p>}
      {graph && graph.edges.length > 0 && (
        <>
          <GraphPicture graph={graph} />
          <section aria-labelledby="splits-title">
            <h2 id="splits-title">Traffic splits: configured vs observed</h2>
            {graph.splits.length === 0 ? (
              <p>No client sends to more than one version of a service.</p>
            ) : (
              <div class="table-wrap">
                <table class="splits">
                  <thead>
                    <tr>
                      <th scope="col">Service</th>
                      <th scope="col">Configured</th>
                      <th scope="col">Observed (last {graph.window})</th>
                      <th scope="col">Summary</th>
                    </tr>
                  </thead>
                  <tbody>
                    {graph.splits.map((s) => (
                      <SplitRow key={`${s.source} ${s.service}`} graph={graph} split={s} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section aria-labelledby="edges-title">
            <h2 id="edges-title">Edges</h2>
            <EdgeTable graph={graph} />
          </section>
        </>
      )}
    </div>
  );
}
