// Proxies: istioctl proxy-status in the dashboard. Each proxy, and for each xDS type whether it
// runs what the control plane serves at the published revision. Proxies catch up on their own
// poll period, not with the mesh revision, so this view polls proxy status itself.
import { useState } from "preact/hooks";
import { ErrorBox } from "../components.tsx";
import { usePolling } from "../polling.ts";
import type { ViewProps } from "../main.tsx";
import { XDS_TYPES, type ProxyStatus, type SyncState } from "../../../proxy/sync-status.ts";

const ICONS: Record<SyncState, string> = { SYNCED: "✓", STALE: "⟳", "NOT SENT": "–", ERROR: "✗" };
const stateClass = (s: SyncState) => `sync ${s.toLowerCase().replace(" ", "-")}`;

function State({ state, detail }: { state: SyncState; detail?: string }) {
  return (
    <span class={stateClass(state)} title={detail}>
      <span aria-hidden="true">{ICONS[state]} </span>
      {state}
    </span>
  );
}

/** What each channel holds against what it should, for the row's tooltip. */
function channelDetail(p: ProxyStatus): string {
  return p.channels.map((c) => `${c.channel}: holds ${c.held || "nothing"}, sent ${c.sent || "nothing"}${c.nack ? `; rejected: ${c.nack}` : ""}`).join("\n");
}

export function ProxiesView({ api }: ViewProps) {
  const [status, setStatus] = useState<{ publishedRevision: number; items: ProxyStatus[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  usePolling(
    async () => setStatus(await api.get<{ publishedRevision: number; items: ProxyStatus[] }>("/mesh/v1/proxy-status")),
    setError,
    [api],
  );

  if (!status) return error ? <ErrorBox message={error} /> : <p>Loading…</p>;
  const nacks = status.items.flatMap((p) => p.channels.filter((c) => c.nack && c.state === "ERROR").map((c) => ({ proxy: p.name, channel: c.channel, message: c.nack! })));
  return (
    <>
      {error && <ErrorBox message={error} />}
      <p>
        Whether each proxy runs the config published at revision {status.publishedRevision}, as <code>istioctl proxy-status</code> says it: SYNCED, STALE (holds an older version),
        NOT SENT (never fetched it) or ERROR (rejected it).
      </p>
      {status.items.length === 0 ? (
        <p>No proxy has registered or polled yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="proxy-status">
            <caption class="sr-only">Proxy status</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Workload</th>
                <th scope="col">Version</th>
                {XDS_TYPES.map((t) => (
                  <th key={t} scope="col">
                    {t}
                  </th>
                ))}
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {status.items.map((p) => (
                <tr key={p.name} data-proxy={p.name} data-state={p.state}>
                  <th scope="row">{p.name}</th>
                  <td>{p.workload}</td>
                  <td>{p.current ?? "–"}</td>
                  {XDS_TYPES.map((t) => (
                    <td key={t} data-type={t}>
                      <State state={p.types[t].state} />
                    </td>
                  ))}
                  <td>
                    <State state={p.state} detail={channelDetail(p)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nacks.length > 0 && (
        <>
          <h2>Rejected config</h2>
          <ul class="findings">
            {nacks.map((n) => (
              <li key={`${n.proxy}/${n.channel}`} class="error">
                <strong>{n.proxy}</strong> rejected its {n.channel}: {n.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
