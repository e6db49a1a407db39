/**
 * NaN or ±∞ conv weights give NaN logits on the webgpu backend where PyTorch does
 * (test/golden/non-finite/non_finite.json, made by make_non_finite.py).
 */
import tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResNet } from '../../src-main/engine/models/resnet';
import { parseArch } from '../../src-main/engine/models/resnet-spec';
import { importWeights } from '../../src-main/engine/weights/import';
import { readWeightFile } from '../../src-main/engine/weights/read';
import type { RawTensor } from '../../src-main/engine/weights/tensors';
import { REPO_ROOT } from '../support/files';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();
const RESNET = path.join(REPO_ROOT, 'test', 'golden', 'resnet');
const golden = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'golden', 'non-finite', 'non_finite.json'), 'utf8')) as {
  cases: { tensor: string; value: string; logits: (number | string)[][] }[];
};

describe.skipIf(!status)('non-finite weights on webgpu', () => {
  for (const c of golden.cases) {
    it(`${c.tensor} = ${c.value}: NaN logits as in PyTorch`, async () => {
      expect(tf.getBackend()).toBe('webgpu');
      const base = await readWeightFile(path.join(RESNET, 'resnet18_w4.pt'));
      const raw = base.tensors.get(c.tensor)!;
      const v = new Float32Array(raw.data.slice().buffer).fill(Number(c.value));
      const edited: RawTensor = { dtype: 'float32', shape: raw.shape, data: new Uint8Array(v.buffer) };
      const file = { ...base, tensors: new Map([...base.tensors].map(([k, t]) => [k, k === c.tensor ? edited : t])) };
      const model = ResNet.create(parseArch('resnet18-w4', 5));
      try {
        importWeights(model, file, { allowNonFinite: true });
        const buf = readFileSync(path.join(RESNET, 'input_2x3x61x67.bin'));
        const x = tf.tidy(
          () =>
            tf.transpose(
              tf.tensor4d(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), [2, 3, 61, 67]),
              [0, 2, 3, 1],
            ) as tf.Tensor4D,
        );
        const out = model.forward(x);
        const logits = (await out.array()) as number[][];
        tf.dispose([x, out]);
        expect(logits.map((row) => row.map((l) => (Number.isNaN(l) ? 'NaN' : Number.isFinite(l) ? 'finite' : String(l))))).toEqual(
          c.logits.map((row) => row.map((l) => (l === 'NaN' ? 'NaN' : typeof l === 'number' ? 'finite' : l))),
        );
      } finally {
        model.dispose();
      }
    });
  }
});
