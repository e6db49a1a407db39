/**
 * Training on the real EyePACS-256 sample (../shared/data/eyepacs-256) at 48 px, on a 240-image
 * patient subset, for 2 epochs: the training loss falls. Missing data fails under CI=true and is
 * skipped otherwise.
 */
import { promises as fsp } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { runTraining } from '../../../src-main/services/training';
import { TrainingEpochLog } from '../../../src-shared/training';
import { formatTrainingResult } from '../../../src-main/cli/commands/train';
import { recordingContext } from '../../support/job-context';
import { realDataAvailable } from '../../support/real-data';
import { eyepacsSubsetStudy } from '../../support/studies';

const available = realDataAvailable('eyepacs-256');

describe.skipIf(!available)('runTraining on EyePACS-256 (subset)', () => {
  let study: string;
  beforeAll(async () => {
    await initEngine({ preference: 'auto' });
    study = await eyepacsSubsetStudy(120, 'eyepacs-subset');
  }, 120_000);

  it('the training loss falls over 2 epochs', async () => {
    const ctx = recordingContext();
    const result = await runTraining(
      {
        strategy: 'IWNE-FS',
        datasetId: 'eyepacs',
        arch: 'resnet18-w8',
        inputSize: 48,
        epochs: 2,
        lr: 1e-3,
        batchSize: 16,
        seed: 1,
        augmentation: { horizontalFlip: 0.5 },
      },
      study,
      ctx,
      { runId: 'eyepacs' },
    );
    const log = (await fsp.readFile(result.logPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => TrainingEpochLog.parse(JSON.parse(l)));
    console.log(
      log
        .map(
          (l) =>
            `epoch ${l.epoch} loss ${l.trainLoss.toFixed(3)} val ${l.valLoss.toFixed(3)} auc ${l.valAuc?.toFixed(3) ?? 'n/a'} ${l.imagesPerSecond.toFixed(1)} img/s stall ${l.stallMs.toFixed(0)} ms`,
        )
        .join('\n'),
    );
    expect(result.trainImages).toBeGreaterThan(150);
    expect(log[1]!.trainLoss).toBeLessThan(log[0]!.trainLoss);
    // With referable {3,4} this subset's validation split (seed 1) holds no referable eye: AUC null, said so, last model kept.
    expect(log.every((l) => l.valAuc === null)).toBe(true);
    expect(log[0]!.valAucNote).toMatch(/only non-referable/);
    expect(result).toMatchObject({ selection: 'last-epoch', bestEpoch: 2, bestValAuc: null });
    expect(result.bestModelPath).not.toBeNull();
    // The log says why once, then refers to it; the CLI says which epoch it kept and why.
    const epochs = ctx.messages.filter((m) => /^epoch \d\/2:/.test(m));
    expect(epochs[0]).toMatch(/val AUC n\/a \(the validation split holds only non-referable images/);
    expect(epochs[1]).toMatch(/val AUC n\/a \(see above\)/);
    expect(formatTrainingResult(result)).toContain('kept the model of the last epoch (2): no epoch had a validation AUC');
  });
});
