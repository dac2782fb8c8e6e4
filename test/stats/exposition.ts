// Reads Prometheus text exposition back into samples, for assertions (the tests also run the real
// promtool over the same text, so the format itself is checked by Prometheus' own parser).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): { types: Record<string, string>; samples: Sample[] } {
  const types: Record<string, string> = {};
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types[type[1]] = type[2];
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, samples };
}

export const PROMTOOL = "/usr/bin/promtool";

/** `promtool check metrics` over `text`: its parse errors ("" when none). Its lint findings are
 * left out: Envoy prints no `# HELP` lines and Istio's names are fixed (promtool would rather see
 * `_seconds` than istio_request_duration_milliseconds). */
export function promtoolCheck(text: string): { ran: boolean; problems: string } {
  if (!existsSync(PROMTOOL)) return { ran: false, problems: "" };
  const r = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
  const errors = `${r.stdout}${r.stderr}`.split("\n").filter((l) => /^error/i.test(l));
  return { ran: true, problems: errors.join("\n") };
}
