// Just enough of the Durable Object SqlStorage for the endpoint registry's statements, counting
// writes, so tests and the benchmark can show that heartbeats do not write.
export class FakeSql {
  readonly endpoints = new Map<string, { pod_key: string; body: string; expires_at: number; registered_at: number }>();
  readonly settings = new Map<string, string>();
  writes = 0;

  exec(query: string, ...args: unknown[]): { toArray(): any[]; [Symbol.iterator](): Iterator<any> } {
    const rows = this.run(query.replace(/\s+/g, " ").trim(), args);
    return { toArray: () => rows, [Symbol.iterator]: () => rows[Symbol.iterator]() };
  }

  private run(q: string, a: unknown[]): any[] {
    if (q.startsWith("SELECT * FROM endpoints")) return [...this.endpoints.values()];
    if (q.startsWith("SELECT value FROM settings")) return this.settings.has(a[0] as string) ? [{ value: this.settings.get(a[0] as string) }] : [];
    this.writes++;
    if (q.startsWith("INSERT INTO endpoints")) this.endpoints.set(a[0] as string, { pod_key: a[0] as string, body: a[1] as string, expires_at: a[2] as number, registered_at: a[3] as number });
    else if (q.startsWith("DELETE FROM endpoints")) this.endpoints.delete(a[0] as string);
    else if (q.startsWith("UPDATE endpoints")) this.endpoints.get(a[1] as string)!.expires_at = a[0] as number;
    else if (q.startsWith("INSERT INTO settings")) this.settings.set(a[0] as string, a[1] as string);
    else throw new Error(`FakeSql: unsupported ${q}`);
    return [];
  }
}

export class FakeKv {
  readonly puts = new Map<string, string>();
  async put(key: string, value: string): Promise<void> {
    this.puts.set(key, value);
  }
}
