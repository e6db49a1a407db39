/**
 * Paths a client sends (typed by the user, picked in a dialog or the file browser, or sent by any
 * program that reaches the local API). One rule for all of them, so no channel can be used to read
 * or write where the user did not mean to:
 * - absolute only (the main side never resolves a path against its own working folder);
 * - no NUL byte, no `..` segment (a path says where it goes without walking back up);
 * - never under the kernel's virtual file systems `/proc`, `/sys` and `/dev` (reading them leaks
 *   secrets, and creating folders there never finishes);
 * - normalised: repeated separators, `.` segments and a trailing separator are removed.
 * Pure string rules (no file system), so the renderer checks forms with the same schema.
 */
import { z } from 'zod';

/** Folders of the kernel's virtual file systems: refused, with everything under them. */
export const SYSTEM_FOLDERS = ['/proc', '/sys', '/dev'] as const;

export const MAX_USER_PATH_LENGTH = 4096;

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;
const WINDOWS_UNC = /^\\\\[^\\/]+[\\/][^\\/]+/;

/** The path with repeated separators, `.` segments and a trailing separator removed (its root kept as written). */
export function normaliseUserPath(p: string): string {
  const windows = WINDOWS_DRIVE.test(p) || WINDOWS_UNC.test(p);
  if (!windows) {
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    return '/' + parts.join('/');
  }
  const root = WINDOWS_DRIVE.test(p) ? `${p.slice(0, 2)}\\` : WINDOWS_UNC.exec(p)![0].replace(/\//g, '\\') + '\\';
  const parts = p
    .slice(root.length)
    .split(/[\\/]/)
    .filter((s) => s !== '' && s !== '.');
  return parts.length === 0 ? root : root + parts.join('\\');
}

/**
 * Why `p` is not an acceptable user path, or null when it is. `what` names what was expected ("the
 * study folder"), so the message says what to enter; without it the messages are the general ones
 * the app's forms show.
 */
export function userPathProblem(p: string, what?: string): string | null {
  const expected = what ? ` to ${what}` : '';
  const shown = JSON.stringify(p.slice(0, 200));
  if (p.length === 0) return what ? `Enter the path of ${what}` : 'Enter a folder path';
  if (p.length > MAX_USER_PATH_LENGTH) return `Must be a path of at most ${MAX_USER_PATH_LENGTH} characters${expected}`;
  if (p.includes('\u0000')) return `Must be a path${expected} without NUL characters`;
  const windows = WINDOWS_DRIVE.test(p) || WINDOWS_UNC.test(p);
  if (!windows && !p.startsWith('/')) return what ? `Must be an absolute path${expected}, got ${shown}` : 'Must be an absolute path';
  if (p.split(windows ? /[\\/]/ : '/').includes('..')) return `Must be an absolute path${expected} without "..", got ${shown}`;
  if (!windows) {
    const normal = normaliseUserPath(p);
    const system = SYSTEM_FOLDERS.find((root) => normal === root || normal.startsWith(`${root}/`));
    if (system)
      return `Must be a path${expected} outside ${system}: FundusLab never reads or writes the system folders ${SYSTEM_FOLDERS.join(', ')}`;
  }
  return null;
}

/**
 * The schema of one user path field: an absolute, normalised path outside the system folders. Its
 * messages name `what` ("the study folder", "the PDF file"); the field's own name is added by the
 * error's issue path (`studyPath: Must be an absolute path to the study folder, got "study"`).
 * `allowEmpty`: the empty string passes unchanged (a field where "" means none).
 */
export function userPath(what?: string, options: { allowEmpty?: boolean } = {}) {
  return z
    .string({ error: `Must be a path${what ? ` to ${what}` : ''} (text)` })
    .superRefine((p, ctx) => {
      const problem = options.allowEmpty && p === '' ? null : userPathProblem(p, what);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((p) => (p === '' ? p : normaliseUserPath(p)));
}

/** The study folder a call or a job works in. */
export const StudyFolderPath = userPath('the study folder');

/**
 * A path in a plan, grid or training spec that may be relative to the study folder (or the plan
 * file): an absolute one follows the user path rule; a relative one may not contain NUL or ".."
 * (it stays inside the folder it is resolved against). Kept as written (not normalised), so a
 * stored spec reads back unchanged.
 */
export function studyRelativePath(what: string) {
  return z.string({ error: `Must be a path to ${what} (text)` }).superRefine((p, ctx) => {
    const absolute = p.startsWith('/') || WINDOWS_DRIVE.test(p) || WINDOWS_UNC.test(p);
    let problem: string | null;
    if (absolute) problem = userPathProblem(p, what);
    else if (p.length === 0) problem = `Enter the path of ${what}`;
    else if (p.length > MAX_USER_PATH_LENGTH) problem = `Must be a path of at most ${MAX_USER_PATH_LENGTH} characters to ${what}`;
    else if (p.includes('\u0000')) problem = `Must be a path to ${what} without NUL characters`;
    else if (p.split(/[\\/]/).includes('..'))
      problem = `Must be a path to ${what} without "..": a relative path stays inside the folder it is read from, got ${JSON.stringify(p.slice(0, 200))}`;
    else problem = null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
