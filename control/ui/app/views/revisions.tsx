// Revisions: the history with what changed, the difference between two revisions, and
// rollback (a new revision equal to an old one) after a confirmation.
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorBox, SelectField, toYaml } from "../components.tsx";
import { lineDiff, type KubeObject, type RevisionSummary } from "../model.ts";
import type { ViewProps } from "../main.tsx";
import type { ObjectChange } from "../../../store/revision-diff.ts";

const lines = (o?: KubeObject) => (o ? toYaml(o).replace(/\n$/, "").split("\n") : []);

function ChangeDiff({ change }: { change: ObjectChange }) {
  const diff = lineDiff(lines(change.before), lines(change.after));
  const label = `${change.verb} ${change.kind} ${change.namespace ? `${change.namespace}/` : ""}${change.name}`;
  return (
    <article class="change">
      <h3>{label}</h3>
      <pre class="diff" tabIndex={0} aria-label={`Diff: ${label}`}>
        {diff.map((d, i) => (
          <span key={i} class={d.op === "+" ? "add" : d.op === "-" ? "del" : "same"}>
            {d.op} {d.text}
            {"\n"}
          </span>
        ))}
      </pre>
    </article>
  );
}

function ConfirmRollback({ to, onCancel, onConfirm, busy }: { to: number; onCancel: () => void; onConfirm: () => void; busy: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    return () => d.open && d.close();
  }, []);
  return (
    <dialog ref={ref} class="card" aria-labelledby="rollback-title" aria-describedby="rollback-text" onCancel={(e) => (e.preventDefault(), onCancel())}>
      <h2 id="rollback-title">Roll back to revision {to}?</h2>
      <p id="rollback-text">
        This writes a new revision whose config equals revision {to}. Every proxy picks it up within seconds. History is kept: you can roll forward the same way.
      </p>
      <div class="buttons">
        <button type="button" class="secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={onConfirm} disabled={busy}>
          {busy ? "Rolling back…" : `Roll back to ${to}`}
        </button>
      </div>
    </dialog>
  );
}

export function RevisionsView({ api, data, readOnly }: ViewProps) {
  const [revisions, setRevisions] = useState<RevisionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [diff, setDiff] = useState<{ from: number; to: number; changes: ObjectChange[] } | null>(null);
  const [diffError, setDiffError] = useState<string | null>(null);
  const [pending, setPending] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .get<{ items: RevisionSummary[] }>("/mesh/v1/revisions?limit=50")
      .then((r) => !cancelled && (setRevisions(r.items), setError(null)))
      .catch((e) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [data.revision]);

  const newest = revisions?.[0]?.revision;
  const diffFrom = from ?? revisions?.[1]?.revision ?? newest;
  const diffTo = to ?? newest;

  const showDiff = async (e: Event) => {
    e.preventDefault();
    if (diffFrom === undefined || diffTo === undefined) return;
    setDiffError(null);
    try {
      setDiff(await api.get(`/mesh/v1/revisions/${diffFrom}/diff/${diffTo}`));
    } catch (err) {
      setDiff(null);
      setDiffError(err instanceof Error ? err.message : String(err));
    }
  };

  const rollback = async () => {
    if (pending === null) return;
    setBusy(true);
    try {
      const r = await api.post<{ revision: number }>("/mesh/v1/rollback", { to: pending });
      setMessage(`Rolled back to revision ${pending}: the config is now revision ${r.revision}.`);
    } catch (err) {
      setMessage(null);
      setError(`Rollback failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const numbers = (revisions ?? []).map((r) => String(r.revision));

  return (
    <div class="revisions">
      <div aria-live="polite">
        {message && (
          <p class="notice" role="status">
            {message}
          </p>
        )}
        {error && <ErrorBox message={error} />}
      </div>
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {readOnly && <p class="help">Signed in with a read-only token: rollback needs the admin token.</p>}
        {!revisions && !error && <p>Loading…</p>}
        {revisions && (
          <div class="table-wrap">
            <table class="history">
              <caption>The newest {revisions.length} revisions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Revision</th>
                  <th scope="col">Time</th>
                  <th scope="col">What changed</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {revisions.map((r) => (
                  <tr key={r.revision} data-revision={r.revision}>
                    <th scope="row">{r.revision}</th>
                    <td>
                      <time dateTime={r.time}>{new Date(r.time).toLocaleString()}</time>
                    </td>
                    <td>
                      <ul class="changes">
                        {r.changes.map((c, i) => (
                          <li key={i}>
                            <span class={`verb ${c.verb}`}>{c.verb}</span> {c.kind} {c.namespace ? `${c.namespace}/` : ""}
                            {c.name}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>
                      {r.revision === newest ? (
                        <span class="current">current</span>
                      ) : (
                        <button type="button" class="secondary" disabled={readOnly} onClick={() => setPending(r.revision)}>
                          Roll back to {r.revision}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="diff-title">
        <h2 id="diff-title">Compare two revisions</h2>
        <form class="filters" onSubmit={showDiff}>
          <SelectField id="d-from" label="From revision" value={String(diffFrom ?? "")} options={numbers} onChange={(v) => setFrom(Number(v))} />
          <SelectField id="d-to" label="To revision" value={String(diffTo ?? "")} options={numbers} onChange={(v) => setTo(Number(v))} />
          <div class="submit">
            <button type="submit">Show diff</button>
          </div>
        </form>
        {diffError && <ErrorBox message={diffError} />}
        {diff && (
          <div class="diff-result" aria-label={`Changes from revision ${diff.from} to ${diff.to}`} role="region">
            {diff.changes.length === 0 ? <p>No changes between revision {diff.from} and {diff.to}.</p> : diff.changes.map((c, i) => <ChangeDiff key={i} change={c} />)}
          </div>
        )}
      </section>
      {pending !== null && <ConfirmRollback to={pending} busy={busy} onCancel={() => setPending(null)} onConfirm={rollback} />}
    </div>
  );
}
