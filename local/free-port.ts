// A loopback port for a server that must be told its port before it listens (wrangler dev,
// Prometheus, a Bookinfo app whose sidecar needs its address first).
//
// Why not listen(0), close, hand the number on: that number comes from the kernel's ephemeral
// range, the same range every outgoing connection takes its local port from. Between the close and
// the real listen, a connection (a proxy polling the control plane, kubectl) can take it, and the
// listen fails with EADDRINUSE (seen in CI). Ports below the ephemeral range are never given to
// outgoing connections, so once one is checked free only another listener can take it.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const FLOOR = 10_000;
/** Ports this process handed out: a second caller must not get one whose server has not started yet. */
const handedOut = new Set<number>();

function ephemeralLow(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && low > FLOOR + 1000) return low;
  } catch {
    // Not Linux: the IANA ephemeral range (macOS, Windows) starts at 49152.
  }
  return 49_152;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FLOOR + Math.floor(Math.random() * (high - FLOOR));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port between ${FLOOR} and ${high} after 200 tries`);
}
