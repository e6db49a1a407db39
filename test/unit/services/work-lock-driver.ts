/**
 * Child process for work-lock.test.ts: `node driver.mjs <dir> <what> <hold-ms> <start-at-ms>` waits
 * until the start time, then takes the folder's work lock and holds it for hold-ms. Prints one JSON
 * line: {"held": holder} once it holds the lock, then {"ok": true}, or {"busy": {code, message, holder}}
 * when another process holds it.
 */
import { RunBusyError, withWorkLock, workLockHolder } from '../../../src-main/services/study-folder/lock';

const [dir, what, holdMs, startAt] = process.argv.slice(2) as [string, string, string, string];
const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
try {
  await withWorkLock(dir, what, async () => {
    print({ held: await workLockHolder(dir) });
    await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  });
  print({ ok: true });
} catch (error) {
  if (!(error instanceof RunBusyError)) throw error;
  print({ busy: { code: error.code, message: error.message, holder: error.holder } });
}
