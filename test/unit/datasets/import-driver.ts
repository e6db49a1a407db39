/**
 * Child process of hostile-files.test.ts: `node import-driver.mjs <study> <request-json>` runs
 * importDataset and prints one line, {"result": {imported, issues}} or {"error": {code, message}},
 * each with the process's peak resident set size in kilobytes (`maxRssKb`). Bundled by the test with esbuild.
 */
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { AppError } from '../../../src-shared/errors';

const [study, requestJson] = process.argv.slice(2) as [string, string];
const print = (value: unknown) =>
  process.stdout.write(JSON.stringify({ ...(value as object), maxRssKb: process.resourceUsage().maxRSS }) + '\n');
try {
  const r = await importDataset(JSON.parse(requestJson), study, {
    progress: () => {},
    log: () => {},
    signal: new AbortController().signal,
  });
  print({ result: { imported: r.imported, issues: r.report.issues, limits: r.report.limits } });
} catch (error) {
  if (!(error instanceof AppError)) throw error;
  print({ error: { code: error.code, message: error.message } });
}
