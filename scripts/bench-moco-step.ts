/**
 * One MoCo v2 pretraining step, FundusLab's current formulation against the previous one in the same
 * process, alternating (previous, current, …), with the model's share for scale:
 *
 *   node scripts/bench-moco-step.mjs [--arch resnet18-w16] [--size 96] [--batch 16] [--queue 4096,65536] [--reps 5] [--cpu] [--profile]
 *
 * - previous: the queue held as [K, dim] only, replaced per step by a concat of the whole queue, the
 *   negatives q·transpose(queue) (a transpose of the whole queue per step), the [N, 1 + K] logits
 *   concatenated for the loss and Acc@1, the key-encoder momentum update as three tfjs ops per
 *   parameter;
 * - current: services/training/moco-update.ts as the pretraining runs it (queue written in place in
 *   both layouts, no logits concat, FundusLabMomentum).
 * Prints per queue size the median ms per step of each, their ratio, and the key-encoder forward
 * alone (wall time; --cpu: the process's CPU time, steady on a busy machine with
 * FUNDUSLAB_WASM_THREADS=1); --profile adds each formulation's eight slowest kernel classes.
 */
import tf from '@tensorflow/tfjs';
import type { Scalar, Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { TrainingSpec } from '../src-shared/training';
import { initEngine } from '../src-main/engine/backend';
import { medianOf } from '../src-main/engine/bench';
import { MOMENTUM, momentumConfig } from '../src-main/engine/kernels/wasm/Optimizers';
import { contrastiveHits, infoNCE, momentumUpdate } from '../src-main/engine/moco/moco';
import { namedGradients } from '../src-main/engine/optim/adamw';
import { createMoco, disposeMoco, mocoUpdate, type Moco } from '../src-main/services/training/moco-update';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** The step as it was: whole-queue concat and transpose, concatenated logits, momentum as tfjs ops. */
function previousStep(moco: Moco, xq: Tensor4D, xk: Tensor4D, o: { momentum: number; temperature: number }): Scalar[] {
  const { query, key, headQ, headK, queue, queryVars, keyVars, optimizer } = moco;
  return tf.tidy(() => {
    tf.unregisterKernel(MOMENTUM, 'wasm');
    try {
      momentumUpdate(keyVars, queryVars, o.momentum);
    } finally {
      tf.registerKernel(momentumConfig);
    }
    const k = headK.forward(key.forward(xk, { training: true, features: true }));
    let q: Tensor2D | null = null;
    const { value, grads } = namedGradients(queryVars, () => {
      q = tf.keep(headQ.forward(query.forward(xq, { training: true, features: true })));
      return infoNCE(q, k, queue.keys, o.temperature);
    });
    optimizer.step(grads);
    const hits = contrastiveHits(q!, k, queue.keys, o.temperature);
    (q as Tensor2D | null)?.dispose();
    queue.inPlace = false;
    queue.enqueue(k);
    queue.inPlace = true;
    return [value, hits];
  });
}

async function main(): Promise<void> {
  const arch = arg('arch', 'resnet18-w16');
  const size = Number(arg('size', '96'));
  const batch = Number(arg('batch', '16'));
  const reps = Number(arg('reps', '5'));
  const queues = arg('queue', '4096,65536').split(',').map(Number);
  await initEngine({ preference: 'wasm' });
  console.log(
    `MoCo v2 step on ${tf.getBackend()}: ${arch} at ${size} px, batch ${batch}; median ${process.argv.includes('--cpu') ? 'CPU' : 'wall'} time of ${reps} alternating repetitions`,
  );
  console.log('| queue K | previous ms/step | current ms/step | current/previous | key forward ms |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const K of queues) {
    const spec = TrainingSpec.parse({
      strategy: 'IWNE-CL',
      arch,
      inputSize: size,
      batchSize: batch,
      moco: { batchSize: batch, queueSize: K },
    });
    const moco = createMoco(spec, K);
    const xq = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as Tensor4D;
    const xk = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 2) as Tensor4D;
    const o = { momentum: spec.moco.momentum, temperature: spec.moco.temperature };
    // --cpu: the process's CPU time (steady on a busy machine; with FUNDUSLAB_WASM_THREADS=1 it is the step's work), else wall time.
    const cpu = process.argv.includes('--cpu');
    const now = () => (cpu ? (process.cpuUsage().user + process.cpuUsage().system) / 1000 : performance.now());
    const time = async (f: () => Scalar[]) => {
      const t = now();
      const out = f();
      await Promise.all(out.map((x) => x.data()));
      tf.dispose(out);
      return now() - t;
    };
    const current = () => {
      const r = mocoUpdate(moco, xq, xk, o);
      return [r.loss, r.hits];
    };
    const forward = () => [tf.tidy(() => tf.sum(moco.key.forward(xk, { training: true, features: true })) as Scalar)];
    await time(() => previousStep(moco, xq, xk, o));
    await time(current);
    const prev: number[] = [];
    const cur: number[] = [];
    const fwd: number[] = [];
    for (let r = 0; r < reps; r++) {
      prev.push(await time(() => previousStep(moco, xq, xk, o)));
      cur.push(await time(current));
      fwd.push(await time(forward));
    }
    if (process.argv.includes('--profile'))
      for (const [name, f] of [
        ['previous', () => previousStep(moco, xq, xk, o)],
        ['current', current],
      ] as const) {
        const info = await tf.profile(() => {
          tf.dispose(f());
        });
        const by = new Map<string, number>();
        for (const k of info.kernels) by.set(k.name, (by.get(k.name) ?? 0) + Number(await k.kernelTimeMs));
        const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 8);
        console.log(`  ${name}: ${top.map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', ')}`);
      }
    const [p, c, f] = [medianOf(prev), medianOf(cur), medianOf(fwd)];
    console.log(`| ${K} | ${p.toFixed(1)} | ${c.toFixed(1)} | ${(c / p).toFixed(2)} | ${f.toFixed(1)} |`);
    tf.dispose([xq, xk]);
    disposeMoco(moco);
  }
}

await main();
