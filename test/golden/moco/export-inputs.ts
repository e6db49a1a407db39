/**
 * Writes the inputs of the MoCo v2 golden case for the PyTorch reference (make_fixtures.py bundles
 * this file with esbuild and runs it with node; it is not a test):
 *
 *   node <bundle> <out dir>
 *
 * <out dir>/initial.safetensors  FundusLab's seeded initial MoCo state dict (module.encoder_q.*,
 *                                module.encoder_k.*, module.queue [dim, K], module.queue_ptr; torch
 *                                names and layouts, as a pretraining checkpoint)
 * <out dir>/views.bin            per step the query views then the key views, normalised,
 *                                float32 little-endian [batch, S, S, 3] (NHWC)
 * <out dir>/steps.json           the case settings and per step its epoch, learning rate and images
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../../src-main/engine/backend';
import { writeSafetensors } from '../../../src-main/engine/weights/safetensors';
import { disposeMoco } from '../../../src-main/services/training/moco-update';
import { mocoStateDict } from '../../../src-main/services/training/pretrain-checkpoint';
import { CASE, caseImages, caseMoco, caseSteps } from './case';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node <bundle> <out dir>');
  await initEngine({ preference: 'wasm' });
  await fsp.mkdir(out, { recursive: true });
  const moco = caseMoco();
  await fsp.writeFile(
    path.join(out, 'initial.safetensors'),
    writeSafetensors(await mocoStateDict(moco), { producer: 'funduslab', kind: 'moco-v2' }),
  );
  disposeMoco(moco);
  const images = caseImages();
  const views = await fsp.open(path.join(out, 'views.bin'), 'w');
  const steps: { step: number; epoch: number; lr: number; indices: number[]; shape: number[] }[] = [];
  try {
    for (const s of caseSteps(images)) {
      for (const x of [s.xq, s.xk]) {
        const data = x.dataSync() as Float32Array;
        await views.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      steps.push({ step: s.step, epoch: s.epoch, lr: s.lr, indices: s.indices, shape: [...s.xq.shape] });
      s.xq.dispose();
      s.xk.dispose();
    }
  } finally {
    await views.close();
  }
  await fsp.writeFile(
    path.join(out, 'steps.json'),
    JSON.stringify({ case: CASE, mean: images.mean, std: images.std, steps }, null, 1) + '\n',
  );
  console.log(`wrote ${steps.length} steps to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
