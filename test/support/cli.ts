/** For tests that call a CLI command's run function in-process: what it writes to stdout and stderr. */
import { vi } from 'vitest';

/** Captures (and silences) stdout and stderr until the spies are restored (`afterEach(() => vi.restoreAllMocks())`). */
export function captureOutput(): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

/** Runs a CLI command's run function with stdout captured (stderr passes): its exit code and what it printed. */
export async function captureExit(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await fn(), out };
  } finally {
    spy.mockRestore();
  }
}
