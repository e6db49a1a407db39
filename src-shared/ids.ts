/** Identifier schemas shared by the request schemas (node-free). */
import { z } from 'zod';

/** A run folder name under runs/ (the same rule as src-main/services/runs/run-info.ts RUN_ID_PATTERN). */
export const RunId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, 'Use lower-case letters, digits, ".", "_" and "-" (at most 80)');
