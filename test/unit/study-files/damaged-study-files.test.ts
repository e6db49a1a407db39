/**
 * Damaged study files stop every command (issue 23, case 7): a study with dataset `demo` and a
 * finished run `r1` (and a training grid without it) is copied, one of its files is damaged — study.json truncated, with an invalid
 * field or from a newer FundusLab; a dataset's manifest.json truncated, invalid or newer; a run's
 * spec.json truncated or invalid — and each command that reads or writes the study is run through
 * the CLI. Every one exits 1 naming the file and the field (the `--json` error's issues), writes no
 * PDF, and leaves every file of the study as it was.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/main';
import { saveGrid } from '../../../src-main/services/training/grid';
import { captureOutput } from '../../support/cli';
import { tempDir } from '../../support/files';
import { demoSpec, demoStudy, trainTiny } from '../../support/studies';

let source: string;

beforeAll(async () => {
  source = await demoStudy({ patients: 16 });
  await trainTiny(source, 'r1');
  const { strategy: _strategy, seed: _seed, ...base } = demoSpec({ epochs: 1, inputSize: 64 });
  await saveGrid(source, { strategies: ['IWNE-FS'], fractions: [1], seeds: [0], base });
}, 120_000);

afterEach(() => vi.restoreAllMocks());

/** A fresh copy of the trained study. */
async function copyStudy(): Promise<string> {
  const study = path.join(await tempDir('damaged'), 'study');
  await fsp.cp(source, study, { recursive: true });
  return study;
}

/** Every file under `dir` with its content hash, and every folder (folder times change when a lock comes and goes). */
async function contents(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        out.set(`${full}/`, 'dir');
        await walk(full);
      } else
        out.set(
          full,
          createHash('sha256')
            .update(await fsp.readFile(full))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}

interface Damage {
  name: string;
  /** The damaged file, relative to the study. */
  file: string;
  damage(text: string): string;
  /** The field the error must name (`<file name>:<path>`). */
  field: string;
  code: string;
}

const truncate = (text: string) => text.slice(0, Math.floor(text.length / 2));
const edit = (change: (json: Record<string, unknown>) => void) => (text: string) => {
  const json = JSON.parse(text) as Record<string, unknown>;
  change(json);
  return JSON.stringify(json, null, 2);
};

const STUDY_DAMAGES: Damage[] = [
  { name: 'truncated study.json', file: 'study.json', damage: truncate, field: 'study.json:(root)', code: 'STUDY_CORRUPT' },
  {
    name: 'study.json with an invalid field',
    file: 'study.json',
    damage: edit((j) => (j.name = 42)),
    field: 'study.json:name',
    code: 'STUDY_CORRUPT',
  },
  {
    name: 'study.json from a newer FundusLab',
    file: 'study.json',
    damage: edit((j) => (j.schemaVersion = 99)),
    field: 'study.json:schemaVersion',
    code: 'UNSUPPORTED',
  },
];
const MANIFEST = 'datasets/demo/manifest.json';
const MANIFEST_DAMAGES: Damage[] = [
  { name: 'truncated manifest.json', file: MANIFEST, damage: truncate, field: 'manifest.json:(root)', code: 'STUDY_CORRUPT' },
  {
    name: 'manifest.json with an invalid grade',
    file: MANIFEST,
    damage: edit((j) => ((j.items as Record<string, unknown>[])[0]!.grade = 'two')),
    field: 'manifest.json:items.0.grade',
    code: 'STUDY_CORRUPT',
  },
  {
    name: 'manifest.json from a newer FundusLab',
    file: MANIFEST,
    damage: edit((j) => (j.schemaVersion = 2)),
    field: 'manifest.json:schemaVersion',
    code: 'UNSUPPORTED',
  },
];
const SPEC = 'runs/r1/spec.json';
const SPEC_DAMAGES: Damage[] = [
  { name: 'truncated spec.json', file: SPEC, damage: truncate, field: 'spec.json:(root)', code: 'STUDY_CORRUPT' },
  { name: 'spec.json with an invalid field', file: SPEC, damage: edit((j) => (j.lr = -1)), field: 'spec.json:lr', code: 'STUDY_CORRUPT' },
];

/** The CLI arguments of each command, for a study (and a scratch folder for the files a command is given). */
type Command = (study: string, scratch: string) => Promise<string[]>;
const COMMANDS: Record<string, Command> = {
  train: async (study, scratch) => {
    const spec = path.join(scratch, 'spec.json');
    await fsp.writeFile(spec, JSON.stringify(demoSpec({ epochs: 1, inputSize: 64, seed: 11 })));
    return ['train', spec, '--study', study, '--run-id', 'r2'];
  },
  'train (the existing run)': async (study, scratch) => {
    const spec = path.join(scratch, 'spec.json');
    await fsp.writeFile(spec, JSON.stringify(demoSpec({ epochs: 1, inputSize: 64 })));
    return ['train', spec, '--study', study, '--run-id', 'r1'];
  },
  evaluate: async (study) => ['evaluate', '--study', study, '--run', 'r1', '--dataset', 'demo', '--split', 'all', '--bootstrap', '10'],
  grid: async (study) => ['grid', '--study', study, '--dry-run'],
  spectra: async (study) => ['spectra', '--study', study, '--run', 'r1', '--dataset', 'demo', '--images', '8', '--split', 'all'],
  robustness: async (study) => ['robustness', '--study', study, '--runs', 'r1', '--dataset', 'demo', '--images', '4', '--severities', '1'],
  explain: async (study) => ['explain', '--study', study, '--runs', 'r1', '--dataset', 'demo', '--images', '2'],
  report: async (study, scratch) => ['report', '--study', study, '--out', path.join(scratch, 'report.pdf')],
  results: async (study) => ['results', '--study', study],
  rm: async (study) => ['rm', 'run', 'r1', '--study', study, '--yes'],
};

/** Which commands read each damaged file. */
const CASES: [Damage[], string[]][] = [
  [STUDY_DAMAGES, Object.keys(COMMANDS)],
  [MANIFEST_DAMAGES, ['train', 'evaluate', 'spectra', 'robustness', 'explain', 'report']],
  [SPEC_DAMAGES, ['train (the existing run)', 'evaluate', 'spectra', 'robustness', 'explain', 'report', 'results', 'grid']],
];

describe.each(CASES.flatMap(([damages, commands]) => damages.map((d) => [d.name, d, commands] as const)))(
  '%s',
  (_name, damage, commands) => {
    it.each(commands)('stops `%s`, naming the file and the field, and leaves the study as it was', async (command) => {
      const study = await copyStudy();
      const scratch = await tempDir('damaged-args');
      const file = path.join(study, damage.file);
      await fsp.writeFile(file, damage.damage(await fsp.readFile(file, 'utf8')));
      const before = await contents(study);
      const args = await COMMANDS[command]!(study, scratch);
      const output = captureOutput();
      const code = await main([...args, '--json']);
      const printed = output.out();
      vi.restoreAllMocks();
      expect(code, `${command}: ${output.err()}`).toBe(1);
      const error = (
        JSON.parse(printed.slice(printed.indexOf('{'))) as { error: { code: string; message: string; issues?: { path: string }[] } }
      ).error;
      expect(error.code).toBe(damage.code);
      expect(error.message).toContain(file);
      expect(error.issues?.map((i) => i.path)).toContain(damage.field);
      expect(await contents(study)).toEqual(before);
      expect(existsSync(path.join(scratch, 'report.pdf'))).toBe(false);
      expect(existsSync(path.join(scratch, 'report-assets'))).toBe(false);
    });
  },
);
