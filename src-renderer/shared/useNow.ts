import { useEffect, useState } from 'react';

/** The current time in ms, refreshed every `intervalMs` while `active` (for "running for 12 s"). */
export function useNow(intervalMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const tick = () => setNow(Date.now());
    // The first tick comes at once: the time kept while inactive is stale.
    const first = window.setTimeout(tick, 0);
    const timer = window.setInterval(tick, intervalMs);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(timer);
    };
  }, [intervalMs, active]);
  return now;
}
