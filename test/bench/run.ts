// Runs every benchmark in this folder and writes bench/results.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchEntry } from "./harness.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const resultsDir = fileURLToPath(new URL("../../bench/", import.meta.url));
const only = process.argv[2];

const resultsFile = `${resultsDir}results.json`;
// A filtered run (`npm run bench -- compile`) updates its own entries and keeps the others.
const results: Record<string, Omit<BenchEntry, "name">> = only && existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) : {};
let failed = 0;
for (const file of readdirSync(here).filter((f) => f.endsWith(".bench.ts")).sort()) {
  if (only && !file.includes(only)) continue;
  const mod = (await import(`./${file}`)) as { bench: () => Promise<BenchEntry[]> };
  console.log(`\n# ${file}`);
  for (const entry of await mod.bench()) {
    const { name, ...rest } = entry;
    results[name] = rest;
    if (!entry.ok) failed++;
    console.log(
      `${entry.ok ? "ok  " : "MISS"} ${name}: ${entry.value.toFixed(3)} ${entry.unit} (target ${entry.target})${entry.detail ? `  [${entry.detail}]` : ""}`,
    );
  }
}
mkdirSync(resultsDir, { recursive: true });
writeFileSync(resultsFile, JSON.stringify(results, null, 2) + "\n");
console.log(`\nwrote bench/results.json (${Object.keys(results).length} entries, ${failed} missing their target)`);
