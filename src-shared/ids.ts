/** Identifier schemas shared by the request schemas (node-free). */
import { z } from 'zod';

/** A run folder name under runs/. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,79}$/;
export const RunId = z.string().regex(RUN_ID_PATTERN, 'Use lower-case letters, digits, ".", "_" and "-" (at most 80)');
