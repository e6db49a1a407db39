/**
 * The wasm convolution-gradient kernels, FundusLab's current formulation against the previous one
 * in the same process, alternating (old, new, old, new, …): per ResNet layer shape (weighted by how
 * often the shape occurs in the network) and for whole training steps.
 *
 *   node scripts/bench-conv-grads.mjs [--arch resnet18 --size 96 --batch 32] [--reps 5] [--steps] [--cpu]
 *
 * Prints per shape the median ms of each formulation over the repetitions and their ratio, the
 * weighted totals, and with --steps the median training step of each.
 */
import tf from '@tensorflow/tfjs';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs';
import { initEngine } from '../src-main/engine/backend';
import { RUN_ADAMW, medianOf, trainStep } from '../src-main/engine/bench';
import {
  conv2DBackpropFilterNHWC,
  setFilterGradientImpl,
  type FilterGradientImpl,
} from '../src-main/engine/kernels/wasm/Conv2DBackpropFilter';
import { ResNet } from '../src-main/engine/models/resnet';
import { parseArch } from '../src-main/engine/models/resnet-spec';
import { AdamW } from '../src-main/engine/optim/adamw';

interface Shape {
  /** Input [b, H, W, ci], filter [kh, kw, ci, co], stride, how often it occurs in the network. */
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  count: number;
}

/** The distinct convolution shapes of a torchvision ResNet18 / ResNet50 at `size` px, batch `b`. */
function resnetShapes(arch: string, size: number, b: number): Shape[] {
  const shapes = new Map<string, Shape>();
  const add = (hw: number, k: number, ci: number, co: number, stride: number) => {
    const key = `${hw}/${k}/${ci}/${co}/${stride}`;
    const s = shapes.get(key);
    if (s) s.count++;
    else shapes.set(key, { x: [b, hw, hw, ci], filter: [k, k, ci, co], stride, count: 1 });
  };
  add(size, 7, 3, 64, 2);
  let hw = Math.ceil(Math.ceil(size / 2) / 2);
  const bottleneck = arch === 'resnet50';
  const blocks = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  let inC = 64;
  [64, 128, 256, 512].forEach((width, stage) => {
    for (let i = 0; i < blocks[stage]!; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const outC = bottleneck ? width * 4 : width;
      const outHw = Math.ceil(hw / stride);
      if (bottleneck) {
        add(hw, 1, inC, width, 1);
        add(hw, 3, width, width, stride);
        add(outHw, 1, width, outC, 1);
      } else {
        add(hw, 3, inC, width, stride);
        add(outHw, 3, width, width, 1);
      }
      if (stride !== 1 || inC !== outC) add(hw, 1, inC, outC, stride);
      inC = outC;
      hw = outHw;
    }
  });
  return [...shapes.values()];
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const arch = arg('arch', 'resnet18');
const size = Number(arg('size', '96'));
const batch = Number(arg('batch', '32'));
const reps = Number(arg('reps', '5'));
/** --cpu: the process's CPU time (user + system) instead of wall time, steadier on a busy machine with FUNDUSLAB_WASM_THREADS=1. */
const cpuTime = process.argv.includes('--cpu');
const clock = (): number => {
  if (!cpuTime) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const IMPLS: FilterGradientImpl[] = ['im2col-matmul', 'direct'];

await initEngine({ preference: 'wasm', env: { ...process.env, FUNDUSLAB_BACKEND: undefined } });
console.log(
  `${arch} @ ${size} batch ${batch}, ${reps} repetitions, ${cpuTime ? 'CPU' : 'wall'} time, wasm threads: ${process.env.FUNDUSLAB_WASM_THREADS ?? 'default'}`,
);
const totals: [number, number] = [0, 0];
console.log('shape                         count   old ms   new ms   new/old  fwd conv   GFLOP/s old / new / fwd');
for (const s of resnetShapes(arch, size, batch)) {
  const info = tf.backend_util.computeConv2DInfo(s.x, s.filter, s.stride, 1, 'same', undefined, false, 'channelsLast');
  const x = tf.randomNormal(s.x, 0, 1, 'float32', 1) as Tensor4D;
  const dy = tf.randomNormal([s.x[0], info.outHeight, info.outWidth, s.filter[3]], 0, 1, 'float32', 2) as Tensor4D;
  const times: number[][] = [[], []];
  for (let r = 0; r <= reps; r++) {
    IMPLS.forEach((impl, k) => {
      setFilterGradientImpl(impl);
      const t0 = clock();
      const grad = conv2DBackpropFilterNHWC(x, dy, s.filter, s.stride, 'same');
      grad.dataSync();
      grad.dispose();
      if (r > 0) times[k]!.push(clock() - t0); // repetition 0 warms up
    });
  }
  // The forward convolution of the same shape (XNNPACK), for scale: the same number of multiply-adds.
  const w = tf.randomNormal(s.filter, 0, 1, 'float32', 3) as Tensor4D;
  const fwd: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = clock();
    const y = tf.conv2d(x, w, s.stride, 'same');
    y.dataSync();
    y.dispose();
    if (r > 0) fwd.push(clock() - t0);
  }
  tf.dispose([x, dy, w]);
  const forward = medianOf(fwd);
  const gflop = (2 * s.x[0] * info.outHeight * info.outWidth * s.filter[0] * s.filter[1] * s.filter[2] * s.filter[3]) / 1e6;
  const [old, cur] = times.map(medianOf) as [number, number];
  totals[0] += old * s.count;
  totals[1] += cur * s.count;
  const name = `${s.x.slice(1, 3).join('x')} ${s.filter[0]}x${s.filter[1]}/${s.stride} ${s.filter[2]}->${s.filter[3]}`;
  console.log(
    `${name.padEnd(30)}${String(s.count).padStart(5)}${old.toFixed(1).padStart(9)}${cur.toFixed(1).padStart(9)}${(cur / old).toFixed(2).padStart(10)}` +
      `${forward.toFixed(1).padStart(10)}   ${[old, cur, forward].map((ms) => (gflop / ms).toFixed(1)).join(' / ')}`,
  );
}
console.log(
  `${'weighted total'.padEnd(35)}${totals[0]!.toFixed(0).padStart(9)}${totals[1]!.toFixed(0).padStart(9)}${(totals[1]! / totals[0]!).toFixed(2).padStart(10)}`,
);

if (process.argv.includes('--steps')) {
  const config = parseArch(arch);
  const model = ResNet.create(config, { seed: 1 });
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as Tensor4D;
  const labels = tf
    .oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % config.classes),
        'int32',
      ),
      config.classes,
    )
    .toFloat() as Tensor2D;
  const optimizer = new AdamW(model.trainableVariables(), { ...RUN_ADAMW, betas: [...RUN_ADAMW.betas] });
  const times: number[][] = [[], []];
  for (let r = 0; r <= reps; r++) {
    for (const [k, impl] of IMPLS.entries()) {
      setFilterGradientImpl(impl);
      const t0 = clock();
      await trainStep(model, x, labels, optimizer);
      if (r > 0) times[k]!.push(clock() - t0);
    }
  }
  const [old, cur] = times.map(medianOf) as [number, number];
  console.log(
    `training step: old ${old.toFixed(0)} ms, new ${cur.toFixed(0)} ms (${(old / batch).toFixed(1)} / ${(cur / batch).toFixed(1)} ms/img), new/old ${(cur / old).toFixed(2)}`,
  );
}
setFilterGradientImpl('direct');
