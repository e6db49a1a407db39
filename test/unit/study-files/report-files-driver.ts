/**
 * Child process for report-files.test.ts: writes version `version` of a report (PDF and assets
 * folder) with writeReportFiles and SIGKILLs itself at the named step (argv: pdf, version, step).
 * Step `fill` kills it half-way through writing the assets.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeReportFiles } from '../../../src-main/report/write-files';

const [pdf, version, step] = process.argv.slice(2) as [string, string, string];
const die = () => process.kill(process.pid, 'SIGKILL');

await writeReportFiles(
  pdf,
  {
    pdf: Buffer.from(`%PDF-${version}`),
    fillAssets: async (dir) => {
      await fsp.mkdir(path.join(dir, 'tables'));
      await fsp.writeFile(path.join(dir, 'tables', 'a.csv'), `a${version}`);
      if (step === 'fill') die();
      await fsp.mkdir(path.join(dir, 'figures'));
      await fsp.writeFile(path.join(dir, 'figures', 'b.svg'), `b${version}`);
    },
  },
  (s) => {
    if (s === step) die();
  },
);
process.send?.({ done: true });
