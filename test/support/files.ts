/**
 * Files for tests: the repository folder, fresh temporary folders, snapshots of a folder tree (to
 * prove an operation left it untouched) and a plain CSV reader.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The FundusLab repository (holds package.json, src-main/, test/). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** A new empty folder `funduslab-<prefix>-XXXXXX` in the system's temporary folder. */
export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `funduslab-${prefix}-`));
}

/** tempDir for module scope, where a test file cannot await: the same folder name, made synchronously. */
export function tempDirSync(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `funduslab-${prefix}-`));
}

/** Path → (size, mtime, sha256) of every file under `dir`, and the set of directories. */
export async function snapshotTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        const st = await fsp.stat(full);
        out.set(full + '/', `dir ${st.mtimeMs}`);
        await walk(full);
      } else {
        const st = await fsp.stat(full);
        const hash = createHash('sha256')
          .update(await fsp.readFile(full))
          .digest('hex');
        out.set(full, `${st.size} ${st.mtimeMs} ${hash}`);
      }
    }
  };
  await walk(dir);
  return out;
}

/** A plain CSV reader for files without quoted fields (the demo ids need none): header + rows of cells. */
export function readCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l !== '');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}
