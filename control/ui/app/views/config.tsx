// The config list (like Kiali's Istio Config): filter by namespace, kind and name; each object's
// validation state from the analyzers; select one for its YAML and findings.
import { useEffect, useState } from "preact/hooks";
import { FindingsList, SelectField, ValidationBadge, YamlView } from "../components.tsx";
import { age, configRows, findingsFor, isMeshConfig, uniqueSorted, type ConfigFilter } from "../model.ts";
import type { ViewProps } from "../main.tsx";

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function ConfigView({ data, params }: ViewProps) {
  const [filter, setFilter] = useState<ConfigFilter>({ namespace: "", kind: "", name: "" });
  const now = useNow(5000);
  const config = data.items.filter(isMeshConfig);
  const namespaces = uniqueSorted(config.map((o) => o.metadata.namespace ?? ""));
  const kinds = uniqueSorted(config.map((o) => o.kind));
  const rows = configRows(data.items, data.findings, filter);
  const [kind, namespace, name] = params;
  const selected = kind ? config.find((o) => o.kind === kind && (o.metadata.namespace ?? "") === (namespace ?? "") && o.metadata.name === name) : undefined;

  return (
    <div class="split">
      <section aria-labelledby="config-list-title">
        <h2 id="config-list-title">Istio config</h2>
        <form class="filters" role="search" aria-label="Filter the config list" onSubmit={(e) => e.preventDefault()}>
          <SelectField id="f-namespace" label="Namespace" value={filter.namespace} options={[["", "All namespaces"], ...namespaces]} onChange={(v) => setFilter({ ...filter, namespace: v })} />
          <SelectField id="f-kind" label="Kind" value={filter.kind} options={[["", "All kinds"], ...kinds]} onChange={(v) => setFilter({ ...filter, kind: v })} />
          <div>
            <label for="f-name">Name</label>
            <input id="f-name" type="search" value={filter.name} onInput={(e) => setFilter({ ...filter, name: (e.target as HTMLInputElement).value })} placeholder="Filter by name" />
          </div>
        </form>
        <div class="table-wrap">
          <table class="config-list">
            <caption>
              {rows.length} of {config.length} objects at revision {data.revision}
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Validation</th>
                <th scope="col">Namespace</th>
                <th scope="col">Age</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const href = `#/config/${encodeURIComponent(r.kind)}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`;
                const isSelected = selected === r.object;
                return (
                  <tr key={href} data-kind={r.kind} data-namespace={r.namespace} data-name={r.name} data-validation={r.validation.state} class={isSelected ? "selected" : ""}>
                    <th scope="row">
                      <a href={href} aria-current={isSelected ? "true" : undefined}>
                        {r.name}
                      </a>
                    </th>
                    <td>{r.kind}</td>
                    <td class="validation-cell">
                      <ValidationBadge validation={r.validation} />
                    </td>
                    <td>{r.namespace}</td>
                    <td>{age(r.object.metadata.creationTimestamp, now)}</td>
                  </tr>
                );
              })}
              {rows.length === 0 && (
                <tr>
                  <td colSpan={5}>No objects match.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>
      {kind && (
        <section class="detail" aria-labelledby="config-detail-title">
          <h2 id="config-detail-title">
            {kind} {namespace ? `${namespace}/` : ""}
            {name}
          </h2>
          {selected ? (
            <>
              <h3>Findings</h3>
              <FindingsList findings={findingsFor(data.findings, selected)} />
              <h3>YAML</h3>
              <YamlView object={selected} label={`YAML of ${kind} ${name}`} />
            </>
          ) : (
            <p>This object does not exist at revision {data.revision}.</p>
          )}
          <p>
            <a href="#/config">Close</a>
          </p>
        </section>
      )}
    </div>
  );
}
