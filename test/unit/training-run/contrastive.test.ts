/**
 * The CL strategies end to end on the demo data (resnet18-w8, 48 px):
 * - IWNE-CL: MoCo v2 pretraining on the study's images, then fine-tuning from the encoder. The
 *   pretraining writes a MoCo-format state dict (module.encoder_q.*, module.encoder_k.*,
 *   module.queue [dim, K]) that the weights importer reads as a MoCo checkpoint; the queue is
 *   reduced to fit the small dataset, and says so; the contrastive loss falls and its Acc@1 beats
 *   chance; tf.memory() is flat across pretraining epochs; a second CL run with another label
 *   fraction reuses the same pretraining.
 * - Durability: pretraining cancelled after epoch 1 and resumed ends bit-identical to an
 *   uninterrupted pretraining (tolerance 0: same backend, every draw derived from (seed, epoch,
 *   image)).
 * - IFI-CL fine-tunes from a MoCo checkpoint file (here the encoder pretrained above, standing in
 *   for an ImageNet MoCo v2 checkpoint) and refuses to start without one.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import { readSafetensors } from '../../../src-main/engine/weights/safetensors';
import { readWeightFile } from '../../../src-main/engine/weights/read';
import { planImport } from '../../../src-main/engine/weights/import';
import { parseArch } from '../../../src-main/engine/models/resnet-spec';
import { runTraining } from '../../../src-main/services/training';
import { pretrainId, runPretraining } from '../../../src-main/services/training/pretrain';
import { runDetail } from '../../../src-main/services/training/grid';
import { MOCO_AUG_PLUS, TrainingSpec, type PretrainEpochLog } from '../../../src-shared/training';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

// Un-augmented views, a fast key encoder and AdamW: the easiest instance-discrimination setting, so
// that 10 short epochs show the objective being optimised (aug+ with m = 0.999 needs far longer).
const moco = {
  epochs: 10,
  batchSize: 16,
  queueSize: 4096,
  optimizer: 'adamw' as const,
  lr: 3e-3,
  momentum: 0.9,
  augmentation: {},
  dim: 32,
  mlpHidden: 32,
};
const clSpec = (over: Record<string, unknown> = {}) => demoSpec({ strategy: 'IWNE-CL', epochs: 1, moco, ...over });
let study: string;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  study = await demoStudy({ patients: 30 });
}, 120_000);

describe('IWNE-CL', () => {
  let encoder = '';

  it('pretrains with MoCo v2, then fine-tunes from the encoder; a second fraction reuses the pretraining', async () => {
    const ctx = recordingContext();
    const epochs: PretrainEpochLog[] = [];
    const tensors: number[] = [];
    const spec = TrainingSpec.parse(clSpec());
    // Pretraining alone first, to watch its epochs.
    const out = await runPretraining(spec, study, ctx, { onEpoch: (e) => (epochs.push(e), tensors.push(tf.memory().numTensors)) });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(tensors).size).toBe(1); // no leaks across epochs
    const K = out.summary.queueSize;
    // Chance level: an encoder that cannot tell images apart scores every key alike, loss ln(1 + K).
    expect(epochs[9]!.loss).toBeLessThan(Math.log(1 + K) - 0.5);
    expect(epochs[9]!.loss).toBeLessThan(epochs[3]!.loss); // (early epochs are low: the queue starts as random vectors)
    expect(K).toBeLessThan(4096); // 30 patients: the queue is reduced to fit the dataset …
    expect(K % 16).toBe(0);
    expect(out.summary.queueNote).toMatch(/reduced from 4096/); // … and the run says so
    expect(ctx.messages.join('\n')).toMatch(/queue reduced from 4096/);
    expect(epochs[9]!.accuracy).toBeGreaterThan(5 / (K + 1)); // positive key found far above chance
    // The learning check ran on the labelled pretraining images (k-NN of referable DR, both encoders) and sees the loss well below chance.
    const check = out.summary.learningCheck!;
    expect(check).toMatchObject({
      k: 20,
      labels: 'referable',
      referable: spec.referable,
      metric: 'auc',
      chanceLoss: Math.log(1 + K),
      finalLoss: epochs[9]!.loss,
    });
    expect(check.images).toBe(out.summary.images);
    expect(check.pretrained?.auc).toBeTypeOf('number');
    expect(check.random?.auc).toBeTypeOf('number');
    expect(check.gain).toBeCloseTo(check.pretrained!.auc! - check.random!.auc!, 12);
    expect(check.warnings.some((w) => /within 5 % of chance/.test(w))).toBe(false);
    expect(ctx.messages.join('\n')).toMatch(/MoCo learning check: final loss .* vs chance/);
    encoder = out.summary.encoderPath;
    const { tensors: sd } = readSafetensors(new Uint8Array(await fsp.readFile(encoder)));
    expect(sd.get('module.queue')!.shape).toEqual([32, K]);
    expect(sd.has('module.encoder_k.layer1.0.conv1.weight')).toBe(true);
    expect(sd.get('module.encoder_q.fc.0.weight')!.shape).toEqual([32, 64]); // resnet18-w8: 64 features → hidden 32
    const plan = planImport(await readWeightFile(encoder), parseArch('resnet18-w8', 5));
    expect(plan.ok && plan.moco).toBe(true);
    expect(plan.skipped.some((s) => s.name === 'module.queue')).toBe(true);

    // The run: reuses the finished pretraining, fine-tunes from its encoder.
    const result = await runTraining(clSpec(), study, ctx, { runId: 'cl-a' });
    expect(result.pretraining?.reused).toBe(true);
    expect(result.pretraining?.id).toBe(pretrainId(spec).id);
    expect(result.initialisedFrom).toBe(encoder);
    expect(result.normalisation).toEqual(out.normalisation); // IWNE: the pretraining images' statistics
    expect(ctx.messages.join('\n')).toMatch(/Fine-tuning from the MoCo v2 encoder/);
    const other = await runTraining(clSpec({ fraction: 0.5 }), study, recordingContext(), { runId: 'cl-b' });
    expect(other.pretraining?.id).toBe(result.pretraining?.id);
    expect(other.trainImages).toBeLessThan(result.trainImages);
    expect((await fsp.readdir(path.join(study, 'pretrain'))).length).toBe(1);
    // The app reads the check with the run.
    expect((await runDetail(study, 'cl-a')).pretrainCheck).toEqual(check);
  }, 240_000);

  it('a pretraining that cannot learn (learning rate ~0) is flagged: loss at chance, a warning the app and report show', async () => {
    // aug+ views, a key encoder that does not move and no learning: the keys tell the images apart no better than chance.
    const spec = TrainingSpec.parse(
      clSpec({ seed: 5, moco: { ...moco, epochs: 3, lr: 1e-12, momentum: 0.999, augmentation: MOCO_AUG_PLUS } }),
    );
    const ctx = recordingContext();
    const out = await runPretraining(spec, study, ctx);
    const check = out.summary.learningCheck!;
    expect(check.lossVsChance).toBeGreaterThan(0.95);
    expect(check.warnings[0]).toMatch(/^The MoCo loss ended at .*, within 5 % of chance \(ln\(1 \+ K\) = /);
    expect(ctx.messages.join('\n')).toMatch(/WARNING: The MoCo loss ended at/);
  }, 240_000);

  it('a pretraining cancelled after epoch 1 resumes and ends bit-identical to an uninterrupted one', async () => {
    const spec = TrainingSpec.parse(clSpec({ seed: 11, moco: { ...moco, epochs: 2, augmentation: MOCO_AUG_PLUS, momentum: 0.999 } }));
    const other = await demoStudy({ patients: 30 });
    const full = await runPretraining(spec, other, recordingContext());

    const ctx = recordingContext();
    await expect(runPretraining(spec, study, ctx, { onEpoch: (e) => e.epoch === 1 && ctx.controller.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    const dir = path.join(study, 'pretrain', pretrainId(spec).id);
    expect(existsSync(path.join(dir, 'checkpoint', 'state.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'encoder.safetensors'))).toBe(false);
    const resumed = recordingContext();
    const out = await runPretraining(spec, study, resumed);
    expect(resumed.messages.join('\n')).toMatch(/Resuming MoCo v2 pretraining .* after epoch 1/);
    const a = readSafetensors(new Uint8Array(await fsp.readFile(full.summary.encoderPath))).tensors;
    const b = readSafetensors(new Uint8Array(await fsp.readFile(out.summary.encoderPath))).tensors;
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, t] of a) expect(Buffer.from(b.get(name)!.data).equals(Buffer.from(t.data)), name).toBe(true);
    expect(out.summary.finalLoss).toBe(full.summary.finalLoss);
  }, 240_000);

  it('IFI-CL fine-tunes from a MoCo checkpoint and needs one', async () => {
    expect(encoder).not.toBe('');
    const ctx = recordingContext();
    const result = await runTraining(
      demoSpec({ strategy: 'IFI-CL', epochs: 1, pretrainedWeights: encoder, normalisation: { kind: 'dataset' } }),
      study,
      ctx,
      { runId: 'ifi-cl' },
    );
    expect(result.initialisedFrom).toBe(encoder);
    expect(result.pretraining).toBeNull();
    expect(ctx.messages.join('\n')).toMatch(/MoCo v2 checkpoint: query encoder/);
    await expect(
      runTraining(demoSpec({ strategy: 'IFI-CL', epochs: 1 }), study, recordingContext(), { runId: 'ifi-cl-none' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/MoCo v2 ImageNet checkpoint/),
      issues: [{ path: 'pretrainedWeights' }],
    });
  }, 120_000);
});
