// Child processes started with `detached: true` lead their own process group; stopping the group
// also stops what they started (npx → wrangler → workerd).
import type { ChildProcess } from "node:child_process";

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Kills the child's group when this process exits without having stopped it (a test file that
 * failed before its `after` hook, a script that threw). A wrangler dev left behind holds its port
 * and CPU for every test after it.
 */
export function stopGroupOnExit(child: ChildProcess): void {
  if (!hooked) process.once("exit", () => live.forEach((c) => signalGroup(c, "SIGKILL")));
  hooked = true;
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** SIGTERM to the group, then SIGKILL to whatever is left after `graceMs`. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  signalGroup(child, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  signalGroup(child, "SIGKILL");
}
