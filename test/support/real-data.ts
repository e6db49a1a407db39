/**
 * The real fundus test data (eyepacs-256, idrid-seg-quarter, idrid-seg-fullres; see its README):
 * FUNDUSLAB_DATA, else the shared data folder at ../shared/data beside the repository. Every test on
 * real images finds it here and asks realDataAvailable whether to run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sharedDataDir } from '../../src-main/paths';

/** The shared data folder: FUNDUSLAB_DATA, else `../shared/data` beside the repository. */
export const DATA_DIR = sharedDataDir();

/**
 * Whether the real-data tests on DATA_DIR/`sub` run. In CI (CI=true) a missing folder is a failure,
 * never a skip; elsewhere the tests are skipped with a message saying how to get the data.
 */
export function realDataAvailable(sub: string): boolean {
  const dir = path.join(DATA_DIR, sub);
  if (existsSync(dir)) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `CI=true but the real test data ${dir} is missing (set FUNDUSLAB_DATA or check out shared/data next to the repository).`,
    );
  console.warn(
    `real test data ${dir} not found: skipping what needs it. To run it, set FUNDUSLAB_DATA to the shared data folder, or put that folder at ../shared/data beside the repository.`,
  );
  return false;
}
