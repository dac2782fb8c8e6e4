// The Worker isolate's JavaScript heap, read through wrangler dev's DevTools proxy (the Chrome
// DevTools protocol): what the benchmark holds a mesh's state against. Under wrangler dev the
// Worker and its Durable Object share one isolate; on Cloudflare each has its own, of 128 MB.
import WebSocket from "ws";

export interface HeapUsage {
  /** Bytes in use after a full collection. */
  usedBytes: number;
  /** Bytes the heap has reserved. */
  totalBytes: number;
}

export function isolateHeap(inspectorPort: number, timeoutMs = 60_000): Promise<HeapUsage> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no heap usage from the inspector on port ${inspectorPort} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (err: Error | null, usage?: HeapUsage) => {
      clearTimeout(timer);
      ws.close();
      if (err) reject(err);
      else resolve(usage!);
    };
    ws.on("error", (e) => finish(e));
    ws.on("open", () => {
      // Garbage first: the figure is what the isolate holds, not what it has yet to collect.
      ws.send(JSON.stringify({ id: 1, method: "HeapProfiler.enable" }));
      ws.send(JSON.stringify({ id: 2, method: "HeapProfiler.collectGarbage" }));
      ws.send(JSON.stringify({ id: 3, method: "Runtime.getHeapUsage" }));
    });
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: { usedSize: number; totalSize: number }; error?: { message: string } };
      if (msg.error) finish(new Error(`inspector: ${msg.error.message}`));
      else if (msg.id === 3 && msg.result) finish(null, { usedBytes: msg.result.usedSize, totalBytes: msg.result.totalSize });
    });
  });
}
