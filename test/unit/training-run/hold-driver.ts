/**
 * Child process of busy-run.test.ts: `node hold-driver.mjs <study> <run-id> <spec-json> <hold-file>`
 * runs runTraining; after its first epoch it waits (blocking) until `hold-file` exists, so a second
 * process meets the run while it is being trained. Prints {"epoch": n} per epoch, then {"result": …},
 * or {"busy": message} when another process trains the run. Bundled by the test with esbuild.
 */
import { existsSync } from 'node:fs';
import { runTraining } from '../../../src-main/services/training';
import { RunBusyError } from '../../../src-main/services/study-folder/lock';

const [study, runId, specJson, holdFile] = process.argv.slice(2) as [string, string, string, string];
const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
const pause = new Int32Array(new SharedArrayBuffer(4));
try {
  const result = await runTraining(
    JSON.parse(specJson),
    study,
    { progress: () => {}, log: () => {}, signal: new AbortController().signal },
    {
      runId,
      lockedBy: `hold-driver ${process.pid}`,
      onEpoch: (entry) => {
        print({ epoch: entry.epoch });
        if (entry.epoch === 1) while (!existsSync(holdFile)) Atomics.wait(pause, 0, 0, 50);
      },
    },
  );
  print({ result });
} catch (error) {
  if (!(error instanceof RunBusyError)) throw error;
  print({ busy: error.message });
}
