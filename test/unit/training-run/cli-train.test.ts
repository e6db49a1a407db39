/** `funduslab train` (runTrain, called in-process; cli/main.ts registers it). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { EXAMPLE_SPEC, paperExampleSpec, runTrain } from '../../../src-main/cli/commands/train';
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
  it('--example-spec prints the paper settings of the strategy: what a spec without them resolves to', async () => {
    const io = captureOutput();
    expect(await runTrain(['--example-spec'])).toBe(0);
    const printed = JSON.parse(io.out()) as Record<string, unknown>;
    expect(printed).toMatchObject({
      strategy: 'IWNE-FS',
      datasetId: 'eyepacs',
      arch: 'resnet50',
      inputSize: 224,
      epochs: 500,
      lr: 1e-4,
      fraction: 1,
    });
    expect(TrainingSpec.parse(printed)).toEqual(TrainingSpec.parse({ strategy: 'IWNE-FS', datasetId: 'eyepacs' }));
    expect(io.err()).toMatch(/paper's settings for IWNE-FS: resnet50 at 224 px, 500 epochs at lr 0.0001/);
    expect(io.err()).toMatch(/--example-spec --quick/);
    for (const strategy of ['IWNE-CL', 'IFI-FS', 'IFI-CL'] as const) {
      const spec = paperExampleSpec(strategy, 'mine');
      const weights = strategy === 'IWNE-CL' ? {} : { pretrainedWeights: spec.pretrainedWeights };
      expect(TrainingSpec.parse(spec)).toEqual(TrainingSpec.parse({ strategy, datasetId: 'mine', ...weights }));
    }
    expect(paperExampleSpec('IFI-FS')).toMatchObject({ epochs: 50, lr: 1e-3, pretrainedWeights: 'weights/resnet50-0676ba61.pth' });
    expect(paperExampleSpec('IFI-CL')).toMatchObject({ epochs: 50, lr: 1e-3, pretrainedWeights: 'weights/moco_v2_800ep_pretrain.pth.tar' });
    expect(paperExampleSpec('IWNE-CL')).toMatchObject({ epochs: 500, lr: 1e-4, moco: { epochs: 200, batchSize: 256, lr: 0.03 } });
  });

  it('--example-spec --quick prints the small spec, for any strategy', async () => {
    let io = captureOutput();
    expect(await runTrain(['--example-spec', '--quick'])).toBe(0);
    expect(TrainingSpec.parse(JSON.parse(io.out()))).toMatchObject({ ...EXAMPLE_SPEC });
    expect(io.err()).toMatch(/not the paper's settings/);
    vi.restoreAllMocks();
    io = captureOutput();
    expect(await runTrain(['--example-spec', '--quick', '--strategy', 'IWNE-CL', '--json'])).toBe(0);
    expect(TrainingSpec.parse(JSON.parse(io.out()))).toMatchObject({
      strategy: 'IWNE-CL',
      arch: EXAMPLE_SPEC.arch,
      moco: { epochs: 5, batchSize: 32 },
    });
  });

  it('refuses an unknown strategy, and --strategy or --quick without --example-spec, naming the option', async () => {
    await expect(runTrain(['--example-spec', '--strategy', 'IWNE'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'strategy', message: 'one of IWNE-FS, IWNE-CL, IFI-FS, IFI-CL' }],
    });
    await expect(runTrain(['spec.json', '--study', study, '--quick'])).rejects.toMatchObject({
      issues: [{ path: 'quick', message: 'only with --example-spec' }],
    });
    await expect(runTrain(['spec.json', '--study', study, '--strategy', 'IFI-FS'])).rejects.toMatchObject({
      issues: [{ path: 'strategy', message: 'only with --example-spec' }],
    });
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
