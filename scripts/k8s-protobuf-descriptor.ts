// Writes control/api/protobuf/k8s-core.json: a FileDescriptorSet (base64) of the core kinds kubectl
// sends as protobuf and this API stores (Namespace, ConfigMap, Secret, ServiceAccount, Service) and the envelope
// (runtime.Unknown), with only the messages they reach, from Kubernetes' own generated.proto files.
// The Worker decodes with @bufbuild/protobuf from it (protobufjs compiles decoders with `new
// Function`, which Workers forbid); protobufjs only parses the .proto text here.
//
//   npx tsx scripts/k8s-protobuf-descriptor.ts <dir>
//
// <dir> holds the upstream files at their import paths: k8s.io/api/core/v1/generated.proto (from
// kubernetes/api) and k8s.io/apimachinery/pkg/{apis/meta/v1,runtime,runtime/schema,util/intstr,
// api/resource}/generated.proto (from kubernetes/apimachinery). The commits used are recorded in
// control/api/protobuf/README.md.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";

export const ROOT_TYPES = [
  "k8s.io.apimachinery.pkg.runtime.Unknown",
  "k8s.io.api.core.v1.Namespace",
  "k8s.io.api.core.v1.ConfigMap",
  "k8s.io.api.core.v1.Secret",
  "k8s.io.api.core.v1.ServiceAccount",
  "k8s.io.api.core.v1.Service",
];

const dir = process.argv[2];
if (!dir) throw new Error("usage: npx tsx scripts/k8s-protobuf-descriptor.ts <dir with k8s.io/...>");
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(dir, target);
root.loadSync("k8s.io/api/core/v1/generated.proto", { keepCase: true });
root.resolveAll();

// The messages the roots reach, transitively.
const needed = new Set<protobuf.Type>();
const visit = (type: protobuf.Type) => {
  if (needed.has(type)) return;
  needed.add(type);
  for (const field of type.fieldsArray) if (field.resolvedType instanceof protobuf.Type) visit(field.resolvedType);
};
for (const name of ROOT_TYPES) visit(root.lookupType(name));

// A root holding just those (one file per package), as a binary FileDescriptorSet.
const pruned: { nested: Record<string, any> } = { nested: {} };
for (const type of [...needed].sort((a, b) => a.fullName.localeCompare(b.fullName))) {
  const path = type.fullName.slice(1).split(".");
  let at = pruned;
  for (const part of path.slice(0, -1)) at = (at.nested[part] ??= { nested: {} });
  at.nested[path[path.length - 1]] = { fields: (type.toJSON() as { fields: Record<string, unknown> }).fields };
}
const set = (protobuf.Root.fromJSON(pruned) as unknown as { toDescriptor(syntax: string): protobuf.Message }).toDescriptor("proto2") as unknown as DescriptorSet;
qualifyTypeNames(set);
const bytes = (set.constructor as unknown as typeof protobuf.Message).encode(set as unknown as protobuf.Message).finish();
const target = new URL("../control/api/protobuf/k8s-core.json", import.meta.url);
writeFileSync(target, JSON.stringify({ fileDescriptorSet: Buffer.from(bytes).toString("base64") }) + "\n");
console.log(`${needed.size} messages, ${bytes.length} bytes → ${target.pathname}`);

interface MessageDescriptor {
  name: string;
  field?: { typeName?: string }[];
  nestedType?: MessageDescriptor[];
}
interface DescriptorSet {
  file: { name: string; package?: string; dependency: string[]; messageType?: MessageDescriptor[] }[];
}

/**
 * protobufjs writes type names relative to the referring scope (`apimachinery.pkg...` from inside
 * `k8s.io.api.core.v1`), which protobuf's scoping rules allow but descriptor consumers such as
 * @bufbuild/protobuf do not: make each one fully qualified, as protoc does.
 */
function qualifyTypeNames(set: DescriptorSet): void {
  const known = new Set<string>();
  const collect = (scope: string, m: MessageDescriptor) => {
    known.add(`${scope}.${m.name}`);
    for (const n of m.nestedType ?? []) collect(`${scope}.${m.name}`, n);
  };
  for (const f of set.file) for (const m of f.messageType ?? []) collect(f.package ? `.${f.package}` : "", m);
  const qualify = (scope: string, m: MessageDescriptor) => {
    const here = `${scope}.${m.name}`;
    for (const field of m.field ?? []) {
      if (!field.typeName || field.typeName.startsWith(".")) continue;
      const parts = here.split(".");
      let found: string | undefined;
      for (let i = parts.length; i >= 1 && !found; i--) {
        const candidate = `${parts.slice(0, i).join(".")}.${field.typeName}`;
        if (known.has(candidate)) found = candidate;
      }
      if (!found) throw new Error(`cannot resolve ${field.typeName} from ${here}`);
      field.typeName = found;
    }
    for (const n of m.nestedType ?? []) qualify(here, n);
  };
  for (const f of set.file) for (const m of f.messageType ?? []) qualify(f.package ? `.${f.package}` : "", m);
  // Each file imports the files whose types it names (protobufjs leaves the imports out): the file
  // of the longest package that prefixes the type's name.
  const fileOf = (typeName: string) =>
    set.file.filter((f) => typeName.startsWith(`.${f.package}.`)).sort((x, y) => y.package!.length - x.package!.length)[0]?.name;
  const referenced = (m: MessageDescriptor): string[] => [...(m.field ?? []).flatMap((x) => (x.typeName ? [x.typeName] : [])), ...(m.nestedType ?? []).flatMap(referenced)];
  for (const f of set.file) {
    const deps = new Set((f.messageType ?? []).flatMap(referenced).map(fileOf));
    deps.delete(f.name);
    f.dependency = [...deps].filter((d): d is string => d !== undefined).sort();
  }
  // Dependencies before the files that import them, as a registry reads a set in order.
  const ordered: DescriptorSet["file"] = [];
  const place = (f: DescriptorSet["file"][number]) => {
    if (ordered.includes(f)) return;
    for (const d of f.dependency) place(set.file.find((x) => x.name === d)!);
    ordered.push(f);
  };
  for (const f of [...set.file]) place(f);
  set.file.splice(0, set.file.length, ...ordered);
}
