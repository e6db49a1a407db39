/** Shared helpers of the dataset tests: the real-data folder, a temporary study, source-tree snapshots. */
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import type { JobContext } from '../../../src-main/job-context';
import { sharedDataDir } from '../../../src-main/paths';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** `../shared/data` next to the repository (FUNDUSLAB_DATA overrides). */
export const DATA_DIR = sharedDataDir();

/**
 * Whether the real-data tests run. In CI a missing data folder is a failure, never a skip;
 * elsewhere the tests are skipped with a message naming the folder.
 */
export function realDataAvailable(sub: string): boolean {
  const dir = path.join(DATA_DIR, sub);
  if (existsSync(dir)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but the real test data ${dir} is missing (set FUNDUSLAB_DATA or check out shared/data next to the repository).`);
  console.warn(`[datasets] skipping real-data tests: ${dir} not found (set FUNDUSLAB_DATA to the shared data folder).`);
  return false;
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `funduslab-${prefix}-`));
}

export async function makeStudy(): Promise<string> {
  const dir = path.join(await tempDir('study'), 'study');
  await new StudyService({ appVersion: 'test' }).create(dir, 'Dataset test');
  return dir;
}

export function testContext(): JobContext & { messages: string[]; controller: AbortController } {
  const controller = new AbortController();
  const messages: string[] = [];
  return { progress: (d, t, m) => messages.push(`${d}/${t} ${m}`), log: (l) => messages.push(l), signal: controller.signal, controller, messages };
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
        const hash = createHash('sha256').update(await fsp.readFile(full)).digest('hex');
        out.set(full, `${st.size} ${st.mtimeMs} ${hash}`);
      }
    }
  };
  await walk(dir);
  return out;
}
