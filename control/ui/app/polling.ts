// Live views poll the API: now, then every period (five times slower while the tab is hidden),
// until the component goes away.
import { useEffect } from "preact/hooks";

export const POLL_MS = 2000;

/** Runs `tick` on that schedule while `deps` stay the same; `onError` gets each failure's message, and null after a success. */
export function usePolling(tick: () => Promise<void>, onError: (message: string | null) => void, deps: unknown[]): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        await tick();
        if (!stopped) onError(null);
      } catch (e) {
        if (!stopped) onError(e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(run, document.hidden ? POLL_MS * 5 : POLL_MS);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}
