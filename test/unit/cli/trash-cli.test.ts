/**
 * `funduslab rm` and `funduslab trash` as a user runs them (the built bin, a real process) on a
 * hand-made study. Oracles: the files written here (where they are after each command) and the
 * entry ids the commands print.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { StudyService } from '../../../src-main/services/study-folder/study-service';
import { TrainingSpec } from '../../../src-shared/training';
import { TrashEntry } from '../../../src-shared/trash';
import { REPO_ROOT, tempDir } from '../../support/files';

const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'bin', 'funduslab.js');

async function funduslab(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let study: string;

async function writeFile(rel: string, text: string) {
  const file = path.join(study, rel);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, text);
}

beforeAll(async () => {
  study = path.join(await tempDir('trash-cli'), 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'CLI trash');
  const spec = TrainingSpec.parse({ strategy: 'IWNE-FS', datasetId: 'demo', arch: 'resnet18-w8', inputSize: 32, fraction: 1, seed: 0 });
  await writeFile('runs/r-a/spec.json', JSON.stringify(spec));
  await writeFile('datasets/demo/manifest.json', '{}');
  await writeFile('reports/report-a.pdf', '%PDF-1.4');
});

describe('funduslab rm / trash', () => {
  it('help lists both commands', async () => {
    const help = await funduslab(['--help']);
    expect(help.stdout).toMatch(/\n {2}rm +Move a run, evaluation, analysis, dataset or report into the study's trash/);
    expect(help.stdout).toMatch(/\n {2}trash +List the study's trash/);
    const rmHelp = await funduslab(['rm', '--help']);
    expect(rmHelp.stdout).toContain(
      'funduslab rm run|evaluation|spectra|robustness|explanation|dataset|report <name> --study <dir> [--yes]',
    );
  });

  it('rm moves a run into the trash, trash list shows it, trash restore puts it back', async () => {
    const rm = await funduslab(['rm', 'run', 'r-a', '--study', study, '--json']);
    expect(rm.code, rm.stderr).toBe(0);
    const entry = TrashEntry.parse(JSON.parse(rm.stdout).value);
    expect(entry).toMatchObject({ kind: 'run', name: 'r-a', paths: ['runs/r-a'] });
    expect(existsSync(path.join(study, 'runs', 'r-a'))).toBe(false);
    expect(existsSync(path.join(study, '.trash', entry.id, 'runs', 'r-a', 'spec.json'))).toBe(true);

    const list = await funduslab(['trash', 'list', '--study', study]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim()).toBe(`${entry.id}  run r-a  from runs/r-a`);

    const restore = await funduslab(['trash', 'restore', entry.id, '--study', study]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`restored runs/r-a from trash entry ${entry.id}`);
    expect(existsSync(path.join(study, 'runs', 'r-a', 'spec.json'))).toBe(true);
    expect((await funduslab(['trash', 'list', '--study', study])).stdout).toContain('is empty');
  });

  it('rm dataset lists what depends on it and moves nothing without --yes; with --yes only the dataset moves', async () => {
    const refused = await funduslab(['rm', 'dataset', 'demo', '--study', study]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Dataset "demo" is used by 1 item: run r-a\. Only the dataset moves to the trash.*--yes/);
    expect(existsSync(path.join(study, 'datasets', 'demo', 'manifest.json'))).toBe(true);
    const moved = await funduslab(['rm', 'dataset', 'demo', '--study', study, '--yes']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(existsSync(path.join(study, 'datasets', 'demo'))).toBe(false);
    expect(existsSync(path.join(study, 'runs', 'r-a', 'spec.json'))).toBe(true);
  });

  it('trash empty removes one entry with --entry, everything without', async () => {
    await funduslab(['rm', 'report', 'report-a.pdf', '--study', study]);
    const entries = JSON.parse((await funduslab(['trash', 'list', '--study', study, '--json'])).stdout).value as TrashEntry[];
    expect(entries.map((e) => e.name).sort()).toEqual(['demo', 'report-a.pdf']);
    const report = entries.find((e) => e.name === 'report-a.pdf')!;
    const one = await funduslab(['trash', 'empty', '--study', study, '--entry', report.id]);
    expect(one.code, one.stderr).toBe(0);
    expect(existsSync(path.join(study, '.trash', report.id))).toBe(false);
    expect((await funduslab(['trash', 'list', '--study', study])).stdout).toMatch(/dataset demo/);
    const all = await funduslab(['trash', 'empty', '--study', study]);
    expect(all.stdout).toMatch(/removed 1 trash entry for good/);
    expect(existsSync(path.join(study, '.trash'))).toBe(false);
  });

  it('refuses bad usage and unknown items with a clear message', async () => {
    const kind = await funduslab(['rm', 'model', 'r-a', '--study', study]);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toContain('Usage: funduslab rm');
    const noStudy = await funduslab(['rm', 'run', 'r-a', '--json']);
    expect(JSON.parse(noStudy.stdout)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const missing = await funduslab(['rm', 'run', 'r-zz', '--study', study]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/There is no run "r-zz" in the study/);
    const sub = await funduslab(['trash', 'purge', '--study', study]);
    expect(sub.stderr).toContain('Usage: funduslab trash list');
  });
});
