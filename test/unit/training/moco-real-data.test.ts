/**
 * MoCo v2 pretraining learns on real fundus photographs: runPretraining (FundusLab's own
 * augmentations, seeds and learning check) on the first 128 patients of ../shared/data/eyepacs-256
 * (255 images, 243 outside a 5 % validation split) at 64 px, resnet18-w8, batch 16, queue K = 64
 * (≪ the dataset), key momentum 0.99, temperature 0.1, AdamW lr 3e-3 (cosine), crops of scale 0.6–1
 * and horizontal flips, 12 epochs (~60 s on one wasm thread). The MoCo v2 defaults (m = 0.999, a
 * queue as large as the dataset) stay at chance for far longer than a test can run.
 *
 * Asserted: the last epoch's loss below 0.85 · ln(1 + K) (measured 0.73; seeds 2 and 3 of the same
 * setting: 0.80 and 0.75), its Acc@1 above 5 / (1 + K) = 7.7 % (measured 22.6 %; seeds 2 and 3: 14.8 %
 * and 18.5 %; chance 1.5 %), and the summary's learning check computed on these images without the
 * at-chance warning. Its k-NN gain (referable {2, 3, 4}: 50 of the images) is not asserted: at this
 * size it is not reliably positive (AUC gain +0.065 here; −0.037 and +0.174 with seeds 2 and 3).
 * Missing data fails under CI=true and is skipped otherwise.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { runPretraining } from '../../../src-main/services/training/pretrain';
import { TrainingSpec, type PretrainEpochLog } from '../../../src-shared/training';
import { recordingContext } from '../../support/job-context';
import { realDataAvailable } from '../../support/real-data';
import { eyepacsSubsetStudy } from '../../support/studies';

const available = realDataAvailable('eyepacs-256');

describe.skipIf(!available)('MoCo v2 pretraining on EyePACS-256 (128 patients)', () => {
  let study: string;
  beforeAll(async () => {
    await initEngine({ preference: 'wasm' });
    study = await eyepacsSubsetStudy(128, 'moco-eyepacs');
  }, 120_000);

  it('the loss ends well below chance ln(1 + K) and Acc@1 far above 1/(1 + K)', async () => {
    const spec = TrainingSpec.parse({
      strategy: 'IWNE-CL',
      datasetId: 'eyepacs',
      arch: 'resnet18-w8',
      inputSize: 64,
      seed: 1,
      validationFraction: 0.05,
      referable: [2, 3, 4],
      moco: {
        epochs: 12,
        batchSize: 16,
        queueSize: 64,
        momentum: 0.99,
        temperature: 0.1,
        optimizer: 'adamw',
        lr: 3e-3,
        dim: 32,
        augmentation: { randomResizedCrop: { scale: [0.6, 1] }, horizontalFlip: 0.5 },
      },
    });
    const started = performance.now();
    const epochs: PretrainEpochLog[] = [];
    const { summary } = await runPretraining(spec, study, recordingContext(), { onEpoch: (e) => epochs.push(e) });
    const seconds = (performance.now() - started) / 1000;
    const K = summary.queueSize;
    const chance = Math.log(1 + K);
    const check = summary.learningCheck!;
    console.log(
      [
        `${summary.images} images, K = ${K}, chance loss ln(1 + K) = ${chance.toFixed(3)}, Acc@1 chance ${(100 / (1 + K)).toFixed(1)} %, ${seconds.toFixed(1)} s`,
        ...epochs.map(
          (e) =>
            `epoch ${e.epoch}: loss ${e.loss.toFixed(3)} (${((e.loss / chance) * 100).toFixed(0)} % of chance), Acc@1 ${(e.accuracy * 100).toFixed(1)} %`,
        ),
        `learning check: k-NN AUC ${check.pretrained?.auc?.toFixed(3)} vs random encoder ${check.random?.auc?.toFixed(3)}, gain ${check.gain?.toFixed(3)}`,
      ].join('\n'),
    );
    expect(K).toBe(64);
    expect(summary.images).toBeGreaterThan(3 * K); // the queue holds about a quarter of the images
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const last = epochs.at(-1)!;
    expect(last.loss).toBeLessThan(0.85 * chance);
    expect(last.accuracy).toBeGreaterThan(5 / (1 + K));
    // The stored learning check saw the same run: chance, final loss, both k-NN scores; no at-chance warning.
    expect(check.chanceLoss).toBeCloseTo(chance, 12);
    expect(check.finalLoss).toBe(last.loss);
    expect(check.lossVsChance!).toBeLessThan(0.85);
    expect(check).toMatchObject({ labels: 'referable', referable: [2, 3, 4], metric: 'auc', images: summary.images });
    expect(check.pretrained?.auc).toEqual(expect.any(Number));
    expect(check.random?.auc).toEqual(expect.any(Number));
    expect(check.gain!).toBeCloseTo(check.pretrained!.auc! - check.random!.auc!, 12);
    expect(check.warnings.filter((w) => /within 5 % of chance/.test(w))).toEqual([]);
  }, 300_000);
});
