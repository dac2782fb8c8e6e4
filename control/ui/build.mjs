// Builds the dashboard into build/assets/ui/ (served at /ui by Workers Static Assets, see
// wrangler.toml): one bundled script (Preact included), the page and its stylesheet; nothing is
// fetched from elsewhere at run time. Usage: node control/ui/build.mjs   (npm run build:ui)
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";

const root = new URL("../../", import.meta.url).pathname;
const src = `${root}control/ui/app/`;
const assets = `${root}build/assets/`;
const out = `${assets}ui/`;

const t0 = performance.now();
rmSync(assets, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${src}main.tsx`],
  outfile: `${out}app.js`,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(`${src}index.html`, `${out}index.html`);
copyFileSync(`${src}app.css`, `${out}app.css`);
// Response headers for the assets (Workers Static Assets reads `_headers`; it is not served itself).
writeFileSync(
  `${assets}_headers`,
  `/ui/*
  Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Cache-Control: no-cache
`,
);
console.log(`build/assets/ui (${Math.round(performance.now() - t0)} ms)`);
