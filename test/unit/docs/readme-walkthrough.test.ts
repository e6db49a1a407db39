/**
 * The README's command-line walkthrough runs as written: every `sh` block between
 * `<!-- walkthrough:start -->` and `<!-- walkthrough:end -->`, in order, in one bash with
 * `set -euo pipefail`, from the repository folder, with only the reader's folder (`$HOME/funduslab-try`)
 * replaced by a temporary one. `npx funduslab` runs this checkout's bin/funduslab.js (a shim first on
 * PATH; every other npx call goes to the real npx). Then the study it made is checked: a trained run
 * with its best model and a validation AUC in every epoch, an evaluation with an AUC in [0, 1], the
 * results table, the explanation.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../support/files';
import { explanationName } from '../../../src-main/analysis/lrp/service';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const READER_FOLDER = '$HOME/funduslab-try';

/** The `sh` blocks of the walkthrough, in order. */
function walkthroughBlocks(readme: string): string[] {
  const start = readme.indexOf('<!-- walkthrough:start -->');
  const end = readme.indexOf('<!-- walkthrough:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no <!-- walkthrough:start --> … <!-- walkthrough:end --> section');
  return [...readme.slice(start, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Runs `script` with bash; resolves with its exit code and output (never rejects on a failing script). */
function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err, seconds: (performance.now() - started) / 1000 }));
  });
}

/** A folder with an `npx` that runs this checkout's CLI for `npx funduslab …` and the real npx for anything else. */
async function npxShim(dir: string): Promise<string> {
  const bin = path.join(dir, 'shim-bin');
  await fsp.mkdir(bin);
  const realNpx = path.join(path.dirname(process.execPath), 'npx');
  const shim = [
    '#!/bin/sh',
    `if [ "$1" = funduslab ]; then shift; exec "${process.execPath}" "${path.join(REPO_ROOT, 'bin', 'funduslab.js')}" "$@"; fi`,
    `exec "${realNpx}" "$@"`,
    '',
  ].join('\n');
  await fsp.writeFile(path.join(bin, 'npx'), shim, { mode: 0o755 });
  return bin;
}

function scriptFor(blocks: string[], folder: string): string {
  return ['set -euo pipefail', ...blocks].join('\n').split(READER_FOLDER).join(folder);
}

describe('the README walkthrough', () => {
  const blocks = walkthroughBlocks(README);
  let work: string;
  let env: NodeJS.ProcessEnv;
  let run: Awaited<ReturnType<typeof runBash>>;

  beforeAll(async () => {
    const tmp = await tempDir('walkthrough');
    work = path.join(tmp, 'try');
    const bin = await npxShim(tmp);
    env = { ...process.env, PATH: [bin, path.dirname(process.execPath), process.env.PATH ?? ''].join(path.delimiter) };
    run = await runBash(scriptFor(blocks, work), env);
    process.stderr.write(`README walkthrough: ${blocks.length} blocks, exit ${run.code}, ${run.seconds.toFixed(1)} s\n`);
  }, 900_000);

  afterAll(async () => {
    if (run?.code === 0 && work) await fsp.rm(path.dirname(work), { recursive: true, force: true });
  });

  it('is plain shell: several sh blocks, no placeholders, one reader folder to substitute', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const all = blocks.join('\n');
    expect(all).not.toMatch(/<[a-z][a-z-]*>/i);
    expect(all.split(READER_FOLDER).length - 1).toBe(1);
    expect(all).toMatch(/npx funduslab demo-data/);
    expect(all).toMatch(/npx funduslab import eyepacs/);
    expect(all).toMatch(/npx funduslab import idrid-seg/);
    expect(all).toMatch(/npx funduslab train --example-spec --quick --study/);
  });

  it('runs every command successfully', () => {
    expect(run.code, `stdout:\n${run.out}\nstderr:\n${run.err.slice(-4000)}`).toBe(0);
  });

  it('trains a run with a best model and a validation AUC in every epoch', async () => {
    const runId = /^trained run (\S+)$/m.exec(run.out)?.[1];
    expect(runId, run.out).toBeDefined();
    const dir = path.join(work, 'study', 'runs', runId!);
    expect(existsSync(path.join(dir, 'best', 'model.safetensors'))).toBe(true);
    const spec = JSON.parse(await fsp.readFile(path.join(work, 'spec.json'), 'utf8')) as { datasetId: string; inputSize: number };
    expect(spec).toMatchObject({ datasetId: 'eyepacs', inputSize: 64 });
    const epochs = (await fsp.readFile(path.join(dir, 'log.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { epoch?: number; valAuc?: number | null })
      .filter((e) => typeof e.epoch === 'number');
    expect(epochs.length).toBeGreaterThan(0);
    for (const e of epochs) expect(e.valAuc, `epoch ${e.epoch}`).toEqual(expect.any(Number));
  });

  it('evaluates the run on the test split and lists it in the results', async () => {
    const runId = /^trained run (\S+)$/m.exec(run.out)![1]!;
    const result = JSON.parse(
      await fsp.readFile(path.join(work, 'study', 'evaluations', `${runId}__eyepacs__test`, 'result.json'), 'utf8'),
    ) as {
      auc: number;
      n: number;
      positives: number;
    };
    expect(result.auc).toBeGreaterThanOrEqual(0);
    expect(result.auc).toBeLessThanOrEqual(1);
    expect(result.n).toBe(40);
    expect(result.positives).toBeGreaterThanOrEqual(2);
    const table = run.out.split('\n').find((l) => l.startsWith('eyepacs [test]'));
    expect(table, run.out).toContain(runId);
    expect(table).toContain(result.auc.toFixed(4));
  });

  it('explains the run on the IDRiD-layout set, named after its folder and settings, with overlay pictures', async () => {
    const runId = /^trained run (\S+)$/m.exec(run.out)![1]!;
    expect(existsSync(path.join(work, 'study', 'datasets', 'idrid', 'manifest.json'))).toBe(true);
    const { name } = explanationName({ runId, datasetId: 'idrid', images: 4 });
    expect(existsSync(path.join(work, 'study', 'explanations', name, 'result.json'))).toBe(true);
    const overlays = (await fsp.readdir(path.join(work, 'overlays', name))).sort();
    expect(overlays.filter((f) => f.endsWith('.png'))).toHaveLength(4);
    expect(overlays).toContain('overlays.csv');
    expect(run.out).toContain('overlays.csv'); // the ls of the walkthrough
  });

  it('fails when a command of it fails', async () => {
    // The same script with the evaluation asking for a dataset the study does not have: bash stops there.
    const broken = blocks.map((b) => b.replace('--dataset eyepacs', '--dataset no-such-dataset'));
    expect(broken.join('\n')).not.toBe(blocks.join('\n'));
    const evaluateAt = broken.findIndex((b) => b.includes('no-such-dataset'));
    const runId = /^trained run (\S+)$/m.exec(run.out)![1]!;
    const failed = await runBash(scriptFor([broken[0]!, ...broken.slice(evaluateAt)], work), { ...env, RUN: runId });
    expect(failed.code).not.toBe(0);
    expect(failed.err).toMatch(/no-such-dataset/);
  }, 120_000);
});
