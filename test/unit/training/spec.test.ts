/** The training spec schema: defaults per strategy (docs/design.md "Training"), MoCo defaults, validation, descriptions. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MOCO_AUG_PLUS, TrainingSpec } from '../../../src-shared/training';

describe('TrainingSpec', () => {
  it('fills the paper defaults by initialisation', () => {
    const iwne = TrainingSpec.parse({ strategy: 'IWNE-FS' });
    expect(iwne).toMatchObject({
      epochs: 500,
      lr: 1e-4,
      normalisation: { kind: 'dataset' },
      arch: 'resnet50',
      inputSize: 224,
      fraction: 1,
    });
    const ifi = TrainingSpec.parse({ strategy: 'IFI-CL', fraction: 0.3, lr: 5e-4 });
    expect(ifi).toMatchObject({ epochs: 50, lr: 5e-4, normalisation: { kind: 'imagenet' }, fraction: 0.3 });
    expect(ifi.optimizer).toEqual({ betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, noDecayForNormAndBias: false });
    expect(ifi.moco).toMatchObject({
      queueSize: 65536,
      momentum: 0.999,
      temperature: 0.2,
      dim: 128,
      mlpHidden: 'auto',
      lr: 0.03,
      schedule: { kind: 'cosine', etaMin: 0 },
    });
    expect(ifi.moco.augmentation).toEqual(MOCO_AUG_PLUS);
    expect(MOCO_AUG_PLUS).toMatchObject({
      randomResizedCrop: { scale: [0.2, 1] },
      colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
      grayscale: 0.2,
      gaussianBlur: { sigma: [0.1, 2], p: 0.5 },
      horizontalFlip: 0.5,
    });
  });

  it('rejects invalid settings', () => {
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-XX' }).success).toBe(false);
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-FS', fraction: 0 }).success).toBe(false);
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-FS', arch: 'vgg16' }).success).toBe(false);
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-FS', unknown: 1 }).success).toBe(false);
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-FS', schedule: { kind: 'step' } }).success).toBe(false);
  });

  it('refuses a MoCo queue shorter than one batch for IWNE-CL (each step enqueues a whole batch), naming moco.queueSize', () => {
    const bad = TrainingSpec.safeParse({ strategy: 'IWNE-CL', moco: { queueSize: 64 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues).toEqual([
      expect.objectContaining({
        path: ['moco', 'queueSize'],
        message: expect.stringMatching(/K = 64\) must hold at least one batch \(moco.batchSize = 256\)/),
      }),
    ]);
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-CL', moco: { queueSize: 256 } }).success).toBe(true); // K = batch: the smallest that works
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-CL', moco: { queueSize: 64, batchSize: 32 } }).success).toBe(true);
    expect(TrainingSpec.safeParse({ strategy: 'IWNE-FS', moco: { queueSize: 64 } }).success).toBe(true); // FS never pretrains
  });

  it('documents every field', () => {
    const undocumented: string[] = [];
    const check = (s: z.ZodType, path: string): void => {
      const def = (s as unknown as { def: { type: string; shape?: Record<string, z.ZodType> } }).def;
      if (def.type === 'object') for (const [k, v] of Object.entries(def.shape!)) if (!v.description) undocumented.push(`${path}.${k}`);
    };
    const visit = (s: z.ZodType, path: string): void => {
      check(s, path);
      const def = (
        s as unknown as {
          def: { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[] };
        }
      ).def;
      if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable') return visit(def.innerType!, path);
      if (def.type === 'pipe') return visit(def.in!, path);
      if (def.type === 'union') return def.options!.forEach((o, i) => visit(o, `${path}|${i}`));
      if (def.type === 'object') for (const [k, v] of Object.entries(def.shape!)) visit(v, `${path}.${k}`);
    };
    visit(TrainingSpec, 'spec');
    expect(undocumented).toEqual([]);
  });
});
