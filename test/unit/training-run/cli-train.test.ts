/** `funduslab train` (runTrain, called in-process: the lead registers it in cli/main.ts). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { runTrain } from '../../../src-main/cli/commands/train';
import { TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { captureOutput } from '../../support/cli';
import { tempDir } from '../../support/files';
import { demoSpec, demoStudy } from '../../support/studies';

let study: string;
beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 30 });
}, 120_000);

afterEach(() => vi.restoreAllMocks());

describe('funduslab train', () => {
  it('--example-spec prints a valid spec on stdout and explains it on stderr', async () => {
    const io = captureOutput();
    expect(await runTrain(['--example-spec'])).toBe(0);
    const spec = TrainingSpec.parse(JSON.parse(io.out()));
    expect(spec).toMatchObject({ strategy: 'IWNE-FS', datasetId: 'eyepacs' });
    expect(io.err()).toMatch(/datasetId/);
  });

  it('runs a spec file with --json and prints the result', async () => {
    const file = path.join(await tempDir('spec'), 'spec.json');
    await fsp.writeFile(file, JSON.stringify(demoSpec({ epochs: 1 })));
    const io = captureOutput();
    expect(await runTrain([file, '--study', study, '--run-id', 'cli', '--json'])).toBe(0);
    const printed = JSON.parse(io.out()) as { ok: boolean; value: unknown };
    expect(printed.ok).toBe(true);
    const result = TrainingResult.parse(printed.value);
    expect(result).toMatchObject({ runId: 'cli', finalEpoch: 1 });
  });

  it('rejects an invalid spec with BAD_REQUEST naming the fields', async () => {
    const file = path.join(await tempDir('spec'), 'bad.json');
    await fsp.writeFile(file, JSON.stringify({ strategy: 'IWNE-XX', fraction: 2, datasetId: 'demo' }));
    captureOutput();
    await expect(runTrain([file, '--study', study])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: expect.arrayContaining([expect.objectContaining({ path: 'strategy' }), expect.objectContaining({ path: 'fraction' })]),
    });
    await expect(runTrain([file])).rejects.toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: 'study', message: expect.any(String) }] });
  });
});
