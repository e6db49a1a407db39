/**
 * The training augmentation's loops, JavaScript (cpu.ts) against native (aug.c through the addon),
 * in the same process, alternating rounds: ms per image and view for each preset and each heavy op,
 * the best of the rounds, and their ratio. The outputs are checked bit for bit first.
 *
 *   node scripts/bench-augment.mjs [--size 96,224] [--batch 16] [--rounds 7]
 *
 * Source images are max(size, 128) px (as `bench train` imports them); the views are `size` px.
 */
import * as cpu from '../src-main/engine/augment/cpu';
import { PRESETS, sampleAugParams } from '../src-main/engine/augment/pipeline';
import { nativeKernels, nativeUnavailableReason } from '../src-main/engine/kernels/native/addon';
import { StreamRng } from '../src-main/random/streams';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const sizes = arg('size', '96,224').split(',').map(Number);
const n = Number(arg('batch', '16'));
const rounds = Number(arg('rounds', '7'));
const native = nativeKernels();
if (!native) {
  console.error(`bench-augment: the native loops are not available: ${nativeUnavailableReason()}`);
  process.exit(1);
}

/** Best-of-rounds ms per image of `f` with the JavaScript and the native loops, alternating. */
function time(f: () => cpu.Images): { js: number; native: number } {
  const best = { js: Infinity, native: Infinity };
  for (const loops of [null, native, null, native]) {
    cpu.useNativeAugment(loops);
    for (let r = 0; r < 5; r++) f(); // warm-up (the JIT)
  }
  for (let round = 0; round < rounds; round++) {
    for (const [key, loops] of [
      ['js', null],
      ['native', native],
    ] as const) {
      cpu.useNativeAugment(loops);
      const t0 = performance.now();
      for (let r = 0; r < 3; r++) f();
      best[key] = Math.min(best[key], (performance.now() - t0) / 3 / n);
    }
  }
  cpu.useNativeAugment(null);
  return best;
}

console.log(`Augmentation loops, batch ${n}, best of ${rounds} alternating rounds: ms per image and view`);
console.log('| view px | what | JavaScript | native | native / JavaScript |');
console.log('| ---: | --- | ---: | ---: | ---: |');
for (const size of sizes) {
  const src = Math.max(size, 128);
  const rng = new StreamRng(size);
  const x: cpu.Images = { data: Float32Array.from({ length: n * src * src * 3 }, () => rng.next()), n, h: src, w: src, c: 3 };
  const rows: [string, () => cpu.Images][] = [];
  for (const preset of ['fsTrain', 'mocoAugPlus'] as const) {
    const params = Array.from({ length: n }, (_, i) => sampleAugParams(PRESETS[preset], StreamRng.forImage(1, 1, i, 0), src, src, size));
    cpu.useNativeAugment(null);
    const a = cpu.applyAugParams(x, params, size).data;
    cpu.useNativeAugment(native);
    const b = cpu.applyAugParams(x, params, size).data;
    cpu.useNativeAugment(null);
    if (!Buffer.from(a.buffer).equals(Buffer.from(b.buffer))) throw new Error(`${preset} at ${size} px: the native loops' output differs`);
    rows.push([`${preset} (whole preset)`, () => cpu.applyAugParams(x, params, size)]);
  }
  const y = cpu.resizedCrop(
    x,
    Array.from({ length: n }, () => ({ top: 0, left: 0, height: src, width: src })),
    size,
    size,
  );
  const k = cpu.blurKernelSize(size);
  rows.push(
    [
      'resized crop',
      () =>
        cpu.resizedCrop(
          x,
          Array.from({ length: n }, (_, i) => ({ top: i, left: 2 * i, height: src - 20, width: src - 30 })),
          size,
          size,
        ),
    ],
    [
      'rotation',
      () =>
        cpu.rotate(
          y,
          Array.from({ length: n }, (_, i) => -170 + 21 * i),
        ),
    ],
    [
      'contrast blend',
      () =>
        cpu.adjustContrast(
          y,
          Array.from({ length: n }, (_, i) => 0.6 + 0.05 * i),
        ),
    ],
    [
      'hue',
      () =>
        cpu.adjustHue(
          y,
          Array.from({ length: n }, (_, i) => -0.1 + 0.012 * i),
        ),
    ],
    [
      `Gaussian blur (${k} taps)`,
      () =>
        cpu.gaussianBlur(
          y,
          Array.from({ length: n }, (_, i) => 0.1 + 0.1 * i),
          k,
        ),
    ],
  );
  for (const [what, f] of rows) {
    const t = time(f);
    console.log(`| ${size} | ${what} | ${t.js.toFixed(3)} | ${t.native.toFixed(3)} | ${(t.native / t.js).toFixed(2)} |`);
  }
}
