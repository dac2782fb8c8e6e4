// The mesh dashboard (/ui): a login prompt until a token is given, then five views over the
// public API — config, traffic, graph, explain, revisions, proxies — refreshed when the mesh revision
// moves (the graph and the proxies refresh themselves: their numbers move without a revision).
import { render } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { apiClient, checkToken, storedToken, storeToken, type Api } from "./api.ts";
import { ErrorBox } from "./components.tsx";
import { usePolling } from "./polling.ts";
import { tokenKind, type Finding, type KubeObject, type RevisionSummary } from "./model.ts";
import { ConfigView } from "./views/config.tsx";
import { ExplainView } from "./views/explain.tsx";
import { GraphView } from "./views/graph.tsx";
import { ProxiesView } from "./views/proxies.tsx";
import { RevisionsView } from "./views/revisions.tsx";
import { TrafficView } from "./views/traffic.tsx";

/** The whole config at one revision, with the analyzers' findings. */
export interface MeshData {
  revision: number;
  items: KubeObject[];
  findings: Finding[];
}

export interface ViewProps {
  api: Api;
  data: MeshData;
  /** The hash route's segments after the view name. */
  params: string[];
  readOnly: boolean;
}

const VIEWS = [
  { id: "config", title: "Config", component: ConfigView },
  { id: "traffic", title: "Traffic", component: TrafficView },
  { id: "graph", title: "Graph", component: GraphView },
  { id: "explain", title: "Explain", component: ExplainView },
  { id: "revisions", title: "Revisions", component: RevisionsView },
  { id: "proxies", title: "Proxies", component: ProxiesView },
] as const;

function useHashRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function Login({ notice, onLogin }: { notice?: string; onLogin: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError("Enter a token.");
    setBusy(true);
    const result = await checkToken(t);
    setBusy(false);
    if (result.ok) onLogin(t);
    else setError(result.message);
  };
  return (
    <main class="login" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="login-title" aria-describedby="login-help">
        <h1 id="login-title">Sign in to edge-mesh</h1>
        {notice && <p class="notice">{notice}</p>}
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p id="login-help" class="help">
          The admin token, or a read-only token (<code>POST /mesh/v1/read-tokens</code>). It is kept in this tab only.
        </p>
        {error && <ErrorBox message={error} />}
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

function Dashboard({ token, onLogout }: { token: string; onLogout: (notice?: string) => void }) {
  const api = useMemo(() => apiClient(token, () => onLogout("The control plane no longer accepts this token. Sign in again.")), [token]);
  const readOnly = tokenKind(token) === "read";
  const route = useHashRoute();
  const [revision, setRevision] = useState<number | null>(null);
  const [data, setData] = useState<MeshData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [liveError, setLiveError] = useState<string | null>(null);

  // Live updates: a conditional GET of the newest revision every 2 s (304 while nothing changed).
  const revisionEtag = useRef<string | undefined>(undefined);
  usePolling(
    async () => {
      const answer = await api.poll<{ items: RevisionSummary[] }>("/mesh/v1/revisions?limit=1", revisionEtag.current);
      if (answer) {
        revisionEtag.current = answer.etag;
        setRevision(answer.body.items[0]?.revision ?? 0);
      }
    },
    setLiveError,
    [api],
  );

  useEffect(() => {
    if (revision === null) return;
    let cancelled = false;
    const config = revision > 0 ? api.get<{ items: KubeObject[] }>(`/mesh/v1/revisions/${revision}`) : Promise.resolve({ items: [] });
    Promise.all([config, api.get<{ items: Finding[] }>("/mesh/v1/analyze")])
      .then(([c, a]) => {
        if (cancelled) return;
        setData({ revision, items: c.items, findings: a.items });
        setError(null);
      })
      .catch((e) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [api, revision]);

  const viewId = VIEWS.some((v) => v.id === route[0]) ? route[0] : "config";
  const view = VIEWS.find((v) => v.id === viewId)!;
  const View = view.component;
  useEffect(() => {
    document.title = `${view.title} · edge-mesh`;
  }, [view.title]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <p class="brand">edge-mesh</p>
        <nav aria-label="Dashboard views">
          <ul>
            {VIEWS.map((v) => (
              <li key={v.id}>
                <a href={`#/${v.id}`} aria-current={v.id === viewId ? "page" : undefined}>
                  {v.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="session">
          <span role="status" aria-live="polite" class={liveError ? "live stale" : "live"} data-revision={data?.revision ?? ""}>
            {liveError ? `Offline: ${liveError}` : data ? `Revision ${data.revision}` : "Loading…"}
          </span>
          {readOnly && <span class="badge">read-only</span>}
          <button type="button" class="secondary" onClick={() => onLogout()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{view.title}</h1>
        {error && <ErrorBox message={error} />}
        {data ? <View api={api} data={data} params={route.slice(1)} readOnly={readOnly} /> : !error && <p>Loading…</p>}
      </main>
    </>
  );
}

function App() {
  const [token, setToken] = useState<string | null>(storedToken);
  const [notice, setNotice] = useState<string | undefined>();
  const logout = useCallback((message?: string) => {
    storeToken(null);
    setNotice(message);
    setToken(null);
  }, []);
  if (!token)
    return (
      <Login
        notice={notice}
        onLogin={(t) => {
          storeToken(t);
          setNotice(undefined);
          setToken(t);
        }}
      />
    );
  return <Dashboard key={token} token={token} onLogout={logout} />;
}

render(<App />, document.getElementById("app")!);
