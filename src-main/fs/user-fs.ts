/**
 * File system work on paths the user gave. Some paths never answer (Node's recursive mkdir under
 * /proc/self/… loops forever in a libuv thread; a FIFO named study.json blocks its reader; a
 * network mount can hang): such a call answers an error after a deadline instead of leaving the
 * request (and the app's shutdown) waiting; the stuck operation itself cannot be cancelled and is
 * left to settle. And a path whose text is fine may still lead, through a symbolic link, into the
 * system folders: that is refused too.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../src-shared/errors';
import { SYSTEM_FOLDERS } from '../../src-shared/user-path';

/** Time a file system call on a user path may take before the call answers an error. */
export const USER_FS_DEADLINE_MS = 15_000;

/**
 * `work` or, when it has not settled after `ms`, a TIMEOUT error naming `what` and `target` (and
 * `field`, the request field that named the path).
 */
export function withFsDeadline<T>(work: Promise<T>, what: string, target: string, field = 'path', ms = USER_FS_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AppError(
            'TIMEOUT',
            `${what} did not finish within ${ms / 1000} s: the file system at ${target} does not answer. Choose a folder on a local disk.`,
            [{ path: field, message: 'the file system does not answer' }],
          ),
        ),
      ms,
    );
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Refuses a user path that leads, through a symbolic link, under /proc, /sys or /dev: the path rule
 * checks the text, this checks where each existing part of it leads (`<link to /proc/self>/cwd`
 * passes through /proc even though it ends in an ordinary folder).
 */
export async function refuseSystemLocation(target: string, field = 'path'): Promise<void> {
  const full = path.resolve(target);
  const prefixes: string[] = [];
  for (let p = full; ; p = path.dirname(p)) {
    prefixes.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const prefix of prefixes) {
    const real = await withFsDeadline(
      fsp.realpath(prefix).catch(() => null),
      'Checking the path',
      target,
      field,
    );
    if (real === null) return; // the rest does not exist yet
    const system = SYSTEM_FOLDERS.find((root) => real === root || real.startsWith(`${root}/`));
    if (system)
      throw new AppError(
        'BAD_REQUEST',
        `${target} leads to ${real}, under the system folder ${system}: FundusLab never reads or writes there.`,
        [{ path: field, message: `leads under ${system}` }],
      );
  }
}
