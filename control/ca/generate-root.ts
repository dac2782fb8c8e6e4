// Prints a new mesh root CA as the two Worker secrets (for `wrangler secret put` or .dev.vars):
//   npx tsx control/ca/generate-root.ts >> .dev.vars
// To rotate: keep the old MESH_CA_CERT as MESH_CA_PREVIOUS_ROOTS until every workload certificate
// it signed has expired (24 h), then drop it.
import { generateRoot } from "./ca.ts";

const root = await generateRoot();
const line = (name: string, pem: string) => `${name}="${pem.trim().replaceAll("\n", "\\n")}"`;
console.log(line("MESH_CA_KEY", root.keyPem));
console.log(line("MESH_CA_CERT", root.certPem));
