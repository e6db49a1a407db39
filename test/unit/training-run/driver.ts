/**
 * Child-process driver of the SIGKILL test: `node driver.mjs <study> <run-id> <spec-json>` runs
 * runTraining and prints one JSON line per progress report ({"progress": …}) and the result
 * ({"result": …}) on stdout. Bundled by the test with esbuild.
 */
import { runTraining } from '../../../src-main/services/training';

const [study, runId, specJson] = process.argv.slice(2);
const result = await runTraining(
  JSON.parse(specJson!),
  study!,
  {
    progress: (done, total, message) => process.stdout.write(JSON.stringify({ progress: { done, total, message } }) + '\n'),
    log: () => {},
    signal: new AbortController().signal,
  },
  { runId: runId! },
);
process.stdout.write(JSON.stringify({ result }) + '\n');
