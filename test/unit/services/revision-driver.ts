/**
 * Child process of revisions.test.ts: saves `<file>` `count` times as the next revision (read the
 * revision, save based on it, again on CONFLICT) and prints the revisions it stored, one per line.
 */
import { readRevisioned, saveRevisioned } from '../../../src-main/services/study-folder/revision';
import { AppError } from '../../../src-shared/errors';

const [file, writer, countText] = process.argv.slice(2) as [string, string, string];
const stored: number[] = [];
for (let i = 0; stored.length < Number(countText); i++) {
  const base = (await readRevisioned(file))?.revision ?? 0;
  try {
    stored.push(await saveRevisioned(file, { writer, i }, base, 'The test file'));
  } catch (error) {
    if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
  }
}
process.stdout.write(stored.join('\n') + '\n');
