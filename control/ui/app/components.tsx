// Small pieces the views share.
import { stringify } from "yaml";
import { forDisplay, type Finding, type KubeObject, type Validation } from "./model.ts";

export function ErrorBox({ message }: { message: string }) {
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

const ICONS = { valid: "✓", warning: "⚠", error: "✗" } as const;
const WORDS = { valid: "Valid", warning: "Warning", error: "Error" } as const;

/** ✓ / ⚠ / ✗ with the IST codes; the icon has a text alternative. */
export function ValidationBadge({ validation }: { validation: Validation }) {
  const shown = validation.findings.filter((f) => f.level !== "Info" || validation.state === "valid");
  const codes = [...new Set(shown.filter((f) => f.level !== "Info").map((f) => f.code))];
  return (
    <span class={`validation ${validation.state}`} title={validation.findings.map((f) => `${f.code}: ${f.message}`).join("\n")}>
      <span role="img" aria-label={WORDS[validation.state]}>
        {ICONS[validation.state]}
      </span>
      {codes.length > 0 && <span class="codes"> {codes.join(", ")}</span>}
    </span>
  );
}

export function FindingsList({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) return <p class="ok">✓ No validation issues found.</p>;
  return (
    <ul class="findings">
      {findings.map((f, i) => (
        <li key={i} class={f.level.toLowerCase()}>
          <strong>
            {f.level} [{f.code}]
          </strong>{" "}
          {f.message}
          {f.field && (
            <>
              {" "}
              <span class="field">at {f.field}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

export function toYaml(o: KubeObject): string {
  return stringify(forDisplay(o), { lineWidth: 0 });
}

export function YamlView({ object, label }: { object: KubeObject; label: string }) {
  return (
    <pre class="yaml" tabIndex={0} aria-label={label}>
      <code>{toYaml(object)}</code>
    </pre>
  );
}

/** A labelled <select>; an option is a value, or [value, text]. */
export function SelectField({ id, label, value, options, onChange, class: cls }: { id: string; label: string; value: string; options: (string | [string, string])[]; onChange: (value: string) => void; class?: string }) {
  return (
    <div class={cls}>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map((o) => {
          const [v, text] = typeof o === "string" ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </div>
  );
}
