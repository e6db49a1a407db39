/** Helpers of the evaluation tests (the study, tiny runs and hand-made evaluations they use are in test/support). */
import { existsSync } from 'node:fs';
import path from 'node:path';

export function evaluationsDirExists(study: string): boolean {
  return existsSync(path.join(study, 'evaluations'));
}
