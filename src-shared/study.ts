import { z } from 'zod';
import { userPath } from './user-path';

export const STUDY_SCHEMA_VERSION = 1;

/** `study.json` at the root of a study folder. Later versions add fields; older files are migrated, never rewritten blindly. */
export const StudyFile = z.object({
  schemaVersion: z.literal(STUDY_SCHEMA_VERSION),
  id: z.string().min(1),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdWith: z.object({ app: z.literal('FundusLab'), version: z.string() }),
});
export type StudyFile = z.infer<typeof StudyFile>;

export const StudySummary = z.object({
  path: z.string(),
  study: StudyFile,
});
export type StudySummary = z.infer<typeof StudySummary>;

/**
 * A filesystem path (file or folder) typed by the user or picked in a dialog: the one user path rule
 * (user-path.ts: absolute, normalised, no NUL or "..", never under /proc, /sys or /dev). The service
 * resolves nothing relative to its own cwd.
 */
export const AbsolutePath = userPath();

export const StudyName = z.string().trim().min(1, 'Give the study a name').max(200);

/** An absolute folder path (same rule as AbsolutePath; the name says what is expected). */
export const FolderPath = AbsolutePath;

export { StudyFolderPath, userPath } from './user-path';
