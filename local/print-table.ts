// kubectl's table printer, for the demo when kubectl is not on PATH: the API's meta.k8s.io/v1
// Table, without the `-o wide` columns, headers upper-cased, cells padded to the widest by three
// spaces (kubectl's tabwriter), the last column unpadded.
export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

export interface Table {
  columnDefinitions: { name: string; priority: number }[];
  rows: { cells: unknown[] }[];
}

export function printTable(table: Table, namespace: string): string {
  if (table.rows.length === 0) return `No resources found in ${namespace} namespace.`;
  const shown = table.columnDefinitions.flatMap((c, i) => (c.priority === 0 ? [i] : []));
  const lines = [shown.map((i) => table.columnDefinitions[i].name.toUpperCase()), ...table.rows.map((r) => shown.map((i) => String(r.cells[i] ?? "")))];
  const widths = shown.map((_, col) => Math.max(...lines.map((l) => l[col].length)));
  return lines.map((l) => l.map((cell, col) => (col === l.length - 1 ? cell : cell.padEnd(widths[col] + 3))).join("")).join("\n");
}
