// Explain: pick a source workload, describe a request, and read what the mesh does with it
// (POST /mesh/v1/explain), rendered as a trace.
import { useState } from "preact/hooks";
import { ErrorBox, SelectField } from "../components.tsx";
import { parseHeaderLines, traceStepText, workloadKey, workloadsOf } from "../model.ts";
import type { ViewProps } from "../main.tsx";

type HeaderEdit = { op?: string; name?: string; value?: string };

interface ExplainAnswer {
  engine?: string;
  cluster?: string;
  localReply?: { status?: number; body?: string; headers?: [string, string][]; [k: string]: unknown } | null;
  forwarded?: { path?: string; authority?: string; requestHeaderEdits?: HeaderEdit[]; responseHeaderEdits?: HeaderEdit[] } | null;
  authz?: { allowed?: boolean; policy?: string; rule?: unknown } | null;
  trace?: unknown[];
  [k: string]: unknown;
}

/** Header lines as `name: value` (edits as `op name: value`). */
function HeaderList({ lines }: { lines: string[] }) {
  return lines.length ? (
    <ul class="header-list">
      {lines.map((l, i) => (
        <li key={i}>
          <code>{l}</code>
        </li>
      ))}
    </ul>
  ) : null;
}

const editLine = (e: HeaderEdit) => `${e.op ?? "?"} ${e.name ?? ""}${e.value !== undefined ? `: ${e.value}` : ""}`;

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

function Answer({ answer }: { answer: ExplainAnswer }) {
  const { authz, localReply, forwarded } = answer;
  return (
    <section class="explain-answer" aria-labelledby="explain-answer-title">
      <h2 id="explain-answer-title">What happens</h2>
      <dl class="facts">
        {answer.cluster !== undefined && (
          <>
            <dt>Upstream cluster</dt>
            <dd>
              <code>{answer.cluster || "none"}</code>
            </dd>
          </>
        )}
        {localReply && (
          <>
            <dt>Local reply</dt>
            <dd>
              {localReply.status}
              {localReply.body ? ` ${localReply.body}` : ""}
              <HeaderList lines={(localReply.headers ?? []).map(([k, v]) => `${k}: ${v}`)} />
            </dd>
          </>
        )}
        {forwarded && (
          <>
            <dt>Request as forwarded</dt>
            <dd>
              <code>{`${forwarded.authority ?? ""}${forwarded.path ?? ""}`}</code>
              <HeaderList lines={(forwarded.requestHeaderEdits ?? []).map(editLine)} />
            </dd>
            {(forwarded.responseHeaderEdits ?? []).length > 0 && (
              <>
                <dt>Response header edits</dt>
                <dd>
                  <HeaderList lines={(forwarded.responseHeaderEdits ?? []).map(editLine)} />
                </dd>
              </>
            )}
          </>
        )}
        {authz && (
          <>
            <dt>Authorization</dt>
            <dd class={authz.allowed ? "ok" : "denied"}>
              {authz.allowed ? "✓ allowed" : "✗ denied"}
              {authz.policy ? ` by ${authz.policy}` : ""}
              {authz.rule !== undefined && authz.rule !== null ? `, rule ${typeof authz.rule === "string" ? authz.rule : JSON.stringify(authz.rule)}` : ""}
            </dd>
          </>
        )}
        {answer.engine && (
          <>
            <dt>Decided by</dt>
            <dd>{answer.engine === "wasm" ? "the router and authz filters (wasm), as the proxy runs them" : answer.engine}</dd>
          </>
        )}
      </dl>
      <h3>Trace</h3>
      {Array.isArray(answer.trace) && answer.trace.length > 0 ? (
        <ol class="trace">
          {answer.trace.map((step, i) => {
            const { text, details } = traceStepText(step);
            return (
              <li key={i}>
                {text && <span class="step">{text}</span>}
                {details.length > 0 && (
                  <dl class="step-details">
                    {details.map(([k, v]) => (
                      <div key={k}>
                        <dt>{k}</dt>
                        <dd>{v}</dd>
                      </div>
                    ))}
                  </dl>
                )}
              </li>
            );
          })}
        </ol>
      ) : (
        <p>The answer has no trace.</p>
      )}
    </section>
  );
}

export function ExplainView({ api, data }: ViewProps) {
  const workloads = workloadsOf(data.items);
  const [source, setSource] = useState("");
  const [authority, setAuthority] = useState("");
  const [path, setPath] = useState("/");
  const [method, setMethod] = useState("GET");
  const [headers, setHeaders] = useState("");
  const [mtls, setMtls] = useState(true);
  const [peer, setPeer] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<ExplainAnswer | null>(null);
  const chosen = source || (workloads[0] ? workloadKey(workloads[0]) : "");
  const value = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

  const submit = async (e: Event) => {
    e.preventDefault();
    setAnswer(null);
    const parsed = parseHeaderLines(headers);
    if ("error" in parsed) return setError(`Headers: ${parsed.error}`);
    if (!chosen) return setError("Choose a source workload.");
    if (!authority.trim()) return setError("Enter the host the request is sent to.");
    const [namespace, workload] = chosen.split("/");
    const body = {
      source: { namespace, workload },
      request: { authority: authority.trim(), path: path || "/", method, headers: parsed.headers },
      mtls,
      ...(peer.trim() ? { peer: peer.trim() } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      setAnswer(await api.post<ExplainAnswer>("/mesh/v1/explain", body));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const status = (err as { status?: number }).status;
      setError(status === 404 ? `Explain is not available on this control plane (404): ${message}` : `Explain failed${status ? ` (${status})` : ""}: ${message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="explain">
      <form class="card explain-form" onSubmit={submit} aria-labelledby="explain-form-title">
        <h2 id="explain-form-title">Request</h2>
        <div class="grid">
          <SelectField id="x-source" label="Source workload" value={chosen} options={workloads.map(workloadKey)} onChange={setSource} />
          <SelectField id="x-method" label="Method" value={method} options={METHODS} onChange={setMethod} />
          <div>
            <label for="x-authority">Host</label>
            <input id="x-authority" value={authority} onInput={value(setAuthority)} placeholder="reviews:9080" required />
          </div>
          <div>
            <label for="x-path">Path</label>
            <input id="x-path" value={path} onInput={value(setPath)} placeholder="/" />
          </div>
          <div class="wide">
            <label for="x-headers">Headers</label>
            <textarea id="x-headers" rows={3} value={headers} onInput={value(setHeaders)} placeholder="end-user: jason" aria-describedby="x-headers-help" />
            <p id="x-headers-help" class="help">
              One per line, as <code>name: value</code>.
            </p>
          </div>
          <div class="check">
            <input id="x-mtls" type="checkbox" checked={mtls} onChange={(e) => setMtls((e.target as HTMLInputElement).checked)} />
            <label for="x-mtls">Sent over mesh mTLS</label>
          </div>
          <div>
            <label for="x-peer">Peer identity (optional)</label>
            <input id="x-peer" value={peer} onInput={value(setPeer)} placeholder="spiffe://cluster.local/ns/default/sa/bookinfo-productpage" />
          </div>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? "Explaining…" : "Explain"}
        </button>
      </form>
      <div aria-live="polite">
        {error && <ErrorBox message={error} />}
        {answer && <Answer answer={answer} />}
      </div>
    </div>
  );
}
