// How the demo changes the mesh config: with the real kubectl when it is on PATH (as a user
// would), otherwise through the same HTTP API kubectl uses (server-side apply, DELETE).
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { KINDS } from "../control/mesh/kinds/index.ts";
import { httpsRequest } from "./https-request.ts";
import { printTable, TABLE_ACCEPT, type Table } from "./print-table.ts";

export interface ControlPlaneAccess {
  url: string;
  token: string;
  /** PEM of the CA of the control plane's serving certificate. */
  ca: string;
  kubeconfig: string;
}

export interface ApplyResult {
  ok: boolean;
  /** kubectl's output, or one line per object for the HTTP API. */
  output: string;
}

export interface Applier {
  readonly via: "kubectl" | "http";
  /** `source`: a file path, or YAML text when it contains a newline. */
  apply(source: string): Promise<ApplyResult>;
  delete(source: string): Promise<ApplyResult>;
  /** `kubectl get <plural> -n <namespace>` (core kinds), as kubectl prints it. */
  get(plural: string, namespace: string): Promise<ApplyResult>;
  /** `kubectl create secret tls <name> -n <namespace> --cert <certPath> --key <keyPath>`. */
  createTlsSecret(name: string, namespace: string, certPath: string, keyPath: string): Promise<ApplyResult>;
}

export function kubectlOnPath(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export function makeApplier(cp: ControlPlaneAccess, opts: { preferKubectl?: boolean; home: string }): Applier {
  return opts.preferKubectl !== false && kubectlOnPath() ? new KubectlApplier(cp, opts.home) : new HttpApplier(cp);
}

const isText = (source: string) => source.includes("\n");

class KubectlApplier implements Applier {
  readonly via = "kubectl" as const;
  constructor(
    private readonly cp: ControlPlaneAccess,
    private readonly home: string,
  ) {
    mkdirSync(home, { recursive: true });
  }

  private run(args: string[], input?: string): Promise<ApplyResult> {
    return new Promise((resolve) => {
      const child = execFile(
        "kubectl",
        ["--kubeconfig", this.cp.kubeconfig, ...args],
        // A private HOME keeps kubectl's discovery cache out of the user's.
        { env: { ...process.env, HOME: this.home, KUBECONFIG: "" }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ ok: !err, output: `${stdout}${stderr}`.trim() }),
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  apply(source: string): Promise<ApplyResult> {
    return isText(source) ? this.run(["apply", "-f", "-"], source) : this.run(["apply", "-f", source]);
  }

  delete(source: string): Promise<ApplyResult> {
    return isText(source) ? this.run(["delete", "--ignore-not-found", "-f", "-"], source) : this.run(["delete", "--ignore-not-found", "-f", source]);
  }

  get(plural: string, namespace: string): Promise<ApplyResult> {
    return this.run(["get", plural, "-n", namespace]);
  }

  createTlsSecret(name: string, namespace: string, certPath: string, keyPath: string): Promise<ApplyResult> {
    return this.run(["create", "secret", "tls", name, "-n", namespace, "--cert", certPath, "--key", keyPath]);
  }
}

interface Doc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** The object's REST path (`/apis/<group>/<version>/namespaces/<ns>/<plural>/<name>`). */
export function objectPath(doc: Doc): string {
  const [group, version] = doc.apiVersion?.includes("/") ? doc.apiVersion.split("/") : ["", doc.apiVersion ?? ""];
  const spec = KINDS.find((k) => k.group === group && k.kind === doc.kind);
  if (!spec || !doc.metadata?.name) throw new Error(`cannot apply ${doc.apiVersion}/${doc.kind} ${doc.metadata?.name ?? ""}: unknown kind or no name`);
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const ns = spec.namespaced ? `/namespaces/${doc.metadata.namespace ?? "default"}` : "";
  return `${base}${ns}/${spec.plural}/${encodeURIComponent(doc.metadata.name)}`;
}

class HttpApplier implements Applier {
  readonly via = "http" as const;
  constructor(private readonly cp: ControlPlaneAccess) {}

  private docs(source: string): Doc[] {
    const text = isText(source) ? source : readFileSync(source, "utf8");
    return parseAllDocuments(text)
      .map((d) => d.toJSON() as Doc | null)
      .filter((d): d is Doc => d !== null && typeof d === "object");
  }

  private async each(source: string, op: (doc: Doc, path: string) => Promise<{ status: number; body: string }>, verb: string): Promise<ApplyResult> {
    const lines: string[] = [];
    for (const doc of this.docs(source)) {
      const path = objectPath(doc);
      const res = await op(doc, path);
      const name = `${doc.kind?.toLowerCase()}/${doc.metadata?.name}`;
      if (res.status >= 300 && !(verb === "deleted" && res.status === 404)) {
        let message = res.body;
        try {
          message = (JSON.parse(res.body) as { message?: string }).message ?? res.body;
        } catch {
          /* not a Status */
        }
        lines.push(`Error from server: ${message}`);
        return { ok: false, output: lines.join("\n") };
      }
      lines.push(`${name} ${verb}`);
    }
    return { ok: true, output: lines.join("\n") };
  }

  private request(path: string, method: string, headers: Record<string, string> = {}, body?: string) {
    return httpsRequest(`${this.cp.url}${path}`, { ca: this.cp.ca, method, headers: { authorization: `Bearer ${this.cp.token}`, ...headers }, body });
  }

  apply(source: string): Promise<ApplyResult> {
    return this.each(
      source,
      (doc, path) => this.request(`${path}?fieldManager=edge-mesh-demo&force=true`, "PATCH", { "content-type": "application/apply-patch+yaml" }, JSON.stringify(doc)),
      "applied",
    );
  }

  delete(source: string): Promise<ApplyResult> {
    return this.each(source, (_doc, path) => this.request(path, "DELETE"), "deleted");
  }

  /** The API's Table, printed the way kubectl prints it. */
  async get(plural: string, namespace: string): Promise<ApplyResult> {
    const res = await this.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/${encodeURIComponent(plural)}`, "GET", { accept: TABLE_ACCEPT });
    if (res.status !== 200) return { ok: false, output: `Error from server: ${res.body}` };
    return { ok: true, output: printTable(JSON.parse(res.body) as Table, namespace) };
  }

  /** The Secret `kubectl create secret tls` would create. */
  createTlsSecret(name: string, namespace: string, certPath: string, keyPath: string): Promise<ApplyResult> {
    const b64 = (path: string) => readFileSync(path).toString("base64");
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "kubernetes.io/tls", data: { "tls.crt": b64(certPath), "tls.key": b64(keyPath) } };
    return this.apply(`${JSON.stringify(secret)}\n`);
  }
}

/** A kubectl HOME under `dir`. */
export const kubectlHome = (dir: string) => join(dir, "kubectl-home");
