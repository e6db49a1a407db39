// Per-layer speed of FundusLab's native convolution kernels (dist/native/funduslab-native.node, built
// by scripts/build-native.mjs), called directly on a Float32Array: every distinct layer shape of a
// torchvision ResNet, forward and filter gradient, GFLOP/s (multiplies of the padding's zeros counted),
// for each instruction set the CPU supports, alternating in one process; the last columns are each
// variant's time over the first's (the fastest supported: AVX-512, else AVX2).
//
//   node scripts/bench-native-conv.mjs [--arch resnet50|resnet18] [--size 224] [--batch 8] [--threads 2] [--reps 5]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const arch = arg('arch', 'resnet50');
const size = Number(arg('size', arch === 'resnet50' ? '224' : '96'));
const batch = Number(arg('batch', arch === 'resnet50' ? '8' : '32'));
const threads = Number(arg('threads', '2'));
const reps = Number(arg('reps', '5'));
const native = createRequire(import.meta.url)(path.join(root, 'dist', 'native', 'funduslab-native.node'));

/** Distinct conv layers as [inSize, inC, outC, k, stride, count] (torchvision ResNet, stride in the 3x3 of a bottleneck). */
function layers() {
  const s = size / 4; // after the stem and max pool
  const out = [[size, 3, 64, 7, 2, 1]];
  if (arch === 'resnet18') {
    out.push([s, 64, 64, 3, 1, 4]);
    for (const [i, c] of [128, 256, 512].entries()) {
      const h = s / 2 ** i;
      out.push([h, c / 2, c, 3, 2, 1], [h / 2, c, c, 3, 1, 3], [h, c / 2, c, 1, 2, 1]);
    }
    return out;
  }
  const widths = [64, 128, 256, 512];
  const blocks = [3, 4, 6, 3];
  let inC = 64;
  let h = s;
  for (const [i, w] of widths.entries()) {
    const stride = i === 0 ? 1 : 2;
    out.push([h, inC, w, 1, 1, 1], [h, w, w, 3, stride, 1], [h / stride, w, 4 * w, 1, 1, blocks[i]], [h, inC, 4 * w, 1, stride, 1]);
    h /= stride;
    out.push([h, 4 * w, w, 1, 1, blocks[i] - 1], [h, w, w, 3, 1, blocks[i] - 1]);
    inC = 4 * w;
  }
  return out;
}

function median(f) {
  f();
  const t = [];
  for (let r = 0; r < reps; r++) {
    const s = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

const variants = native.info().supported;
console.log(
  `Native convolution kernels: ${arch} at ${size} px, batch ${batch}, ${threads} threads, median of ${reps}; variants ${variants.join(', ')}`,
);
console.log(
  [
    'layer',
    'count',
    ...variants.flatMap((v) => [`${v} fwd ms`, 'GF/s', `${v} dW ms`, 'GF/s']),
    ...variants.slice(1).map((v) => `${v}/${variants[0]}`),
  ].join(' | '),
);
const totals = Object.fromEntries(variants.map((v) => [v, { f: 0, g: 0 }]));
let flops = 0;
for (const [h, c, o, k, s, count] of layers()) {
  const pad = (k - 1) / 2;
  const oh = Math.floor((h + 2 * pad - k) / s) + 1;
  const dims = [batch, h, h, c, oh, oh, o, k, k, s, s, pad, pad];
  const nx = batch * h * h * c;
  const nw = k * k * c * o;
  const ny = batch * oh * oh * o;
  const heap = new Float32Array(nx + nw + ny);
  for (let i = 0; i < heap.length; i++) heap[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const flop = 2 * batch * oh * oh * o * k * k * c;
  flops += flop * count;
  const cells = [];
  const times = [];
  for (const variant of variants) {
    native.configure({ variant, threads });
    const tf = median(() => native.conv2d(heap, 0, nx, nx + nw, dims));
    const tg = median(() => native.conv2dFilterGrad(heap, 0, nx + nw, nx, dims));
    totals[variant].f += tf * count;
    totals[variant].g += tg * count;
    times.push(tf + tg);
    cells.push(tf.toFixed(2), (flop / tf / 1e6).toFixed(0), tg.toFixed(2), (flop / tg / 1e6).toFixed(0));
  }
  console.log(
    [`${h}x${h} ${k}x${k}/${s} ${c}->${o}`, count, ...cells, ...times.slice(1).map((t) => (t / times[0]).toFixed(2))].join(' | '),
  );
}
for (const v of variants)
  console.log(
    `${v}: all layers forward ${totals[v].f.toFixed(1)} ms (${(flops / totals[v].f / 1e6).toFixed(0)} GFLOP/s, ${(totals[v].f / batch).toFixed(2)} ms/img), filter gradient ${totals[v].g.toFixed(1)} ms (${(flops / totals[v].g / 1e6).toFixed(0)} GFLOP/s)`,
  );
