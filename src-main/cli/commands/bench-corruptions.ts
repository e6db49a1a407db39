/**
 * `funduslab bench corruptions [--json] [--size N] [--images N] [--rounds N] [--seed S]` — speed of
 * the 19 image corruptions (src-main/analysis/corruptions) at the model's input size (default
 * 224 × 224): corrupted images per second for each corruption at severity 3 and averaged over
 * severities 1–5, with the slowest severity, against two baselines timed in the same process — a
 * plain copy of the image bytes, and brightness at severity 3 (an HSV round trip, the cheapest
 * corruption doing float work per pixel). The images are synthetic fundus photographs
 * (services/demo), `--images` of them (default 4); each figure is the median over `--rounds`
 * (default 3) of the mean time per image, after one warm-up call. The summary gives the time one
 * image takes through all 95 corruption × severity pairs — what a robustness job adds per test image
 * — and the share of glass blur, elastic transform and zoom blur, the three slowest corruptions of
 * the Python reference. Frost's procedural textures are generated and resized to the image size
 * before timing (once per process; reported as frostTexturesMs).
 */
import os from 'node:os';
import { AppError } from '../../../src-shared/errors';
import { CORRUPTION_NAMES, CORRUPTIONS, SEVERITIES, type CorruptionName, type RgbImage } from '../../analysis/corruptions';
import { defaultFrostTextures, FROST_TEXTURE_COUNT } from '../../analysis/corruptions/frost-texture';
import { renderFundus } from '../../services/demo';
import { Rng } from '../../random/prng';
import { parseCommandArgs } from '../args';
import { stderrProgress } from '../progress';

export interface BenchCorruptionFigure {
  name: CorruptionName;
  family: string;
  stochastic: boolean;
  /** Median ms per image at each severity 1–5. */
  msPerImage: number[];
  severity3: { msPerImage: number; imagesPerSecond: number };
  /** Mean over the five severities. */
  allSeverities: { msPerImage: number; imagesPerSecond: number; slowestSeverity: number };
  /** Time at severity 3 relative to brightness at severity 3. */
  timesBrightness: number;
}

export interface BenchCorruptionsReport {
  size: number;
  images: number;
  rounds: number;
  seed: number;
  cpus: number;
  node: string;
  baselines: { copy: { msPerImage: number; imagesPerSecond: number }; brightness: { msPerImage: number; imagesPerSecond: number } };
  /** One-off generation of frost's five procedural textures and their resize to this image size. */
  frostTexturesMs: number;
  figures: BenchCorruptionFigure[];
  /** One image through all 19 corruptions × 5 severities. */
  allPairsMsPerImage: number;
  /** Share of that time spent in glass blur, elastic transform and zoom blur. */
  referenceSlowShare: number;
  slowest: { name: CorruptionName; msPerImage: number };
}

function positiveInt(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw new AppError('BAD_REQUEST', `--${name} must be an integer from 1 to ${max}, got ${raw}`, [
      { path: name, message: `expected an integer from 1 to ${max}` },
    ]);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median over rounds of the mean ms per image of `f` over the images (after one warm-up call). */
async function timePerImage(images: RgbImage[], rounds: number, f: (image: RgbImage, call: number) => unknown): Promise<number> {
  await f(images[0]!, -1);
  const perRound: number[] = [];
  let call = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const image of images) await f(image, call++);
    perRound.push((performance.now() - t0) / images.length);
  }
  return median(perRound);
}

const ips = (ms: number) => (ms > 0 ? 1000 / ms : Infinity);

export async function runBenchCorruptions(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    size: { type: 'string' },
    images: { type: 'string' },
    rounds: { type: 'string' },
    seed: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'corruptions')) {
    throw new AppError('BAD_REQUEST', `Unexpected argument(s) ${positionals.join(' ')} for "bench corruptions".`);
  }
  const size = positiveInt('size', values.size, 224, 2048);
  if (size < 32)
    throw new AppError('BAD_REQUEST', `--size must be at least 32, got ${size}`, [{ path: 'size', message: 'expected at least 32' }]);
  const count = positiveInt('images', values.images, 4, 64);
  const rounds = positiveInt('rounds', values.rounds, 3, 50);
  const seed = values.seed === undefined ? 2022 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new AppError('BAD_REQUEST', `--seed must be an integer in [0, 2^32 - 1], got ${values.seed}`, [
      { path: 'seed', message: 'expected a 32-bit unsigned integer' },
    ]);

  const images: RgbImage[] = [];
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const f = renderFundus({ size, grade: ([0, 2, 3, 4] as const)[i % 4]!, eye: i % 2 ? 'left' : 'right', seed: rng.int(0, 0x7fffffff) });
    images.push({ width: f.width, height: f.height, data: f.rgb });
  }

  const progress = stderrProgress('bench corruptions', !values.json);
  // Frost's procedural textures are generated once per process and resized once per image size;
  // both are timed apart from the per-image figures (the 32 warm-up calls reach all five textures).
  const t0 = performance.now();
  for (let i = 0; i < FROST_TEXTURE_COUNT; i++) defaultFrostTextures.get(i);
  for (let k = 0; k < 32; k++) CORRUPTIONS.frost.apply(images[0]!, 1, new Rng(k));
  const frostTexturesMs = performance.now() - t0;
  const copyMs = await timePerImage(images, rounds, (im) => im.data.slice());
  const brightnessMs = await timePerImage(images, rounds, (im, k) => CORRUPTIONS.brightness.apply(im, 3, new Rng(seed + k)));
  const figures: BenchCorruptionFigure[] = [];
  let done = 0;
  for (const name of CORRUPTION_NAMES) {
    const entry = CORRUPTIONS[name];
    const ms: number[] = [];
    for (const s of SEVERITIES) {
      ms.push(await timePerImage(images, rounds, (im, k) => entry.apply(im, s, new Rng((seed + 7919 * (k + 2)) >>> 0))));
      progress.update(++done, CORRUPTION_NAMES.length * SEVERITIES.length, `${name} severity ${s}`);
    }
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    figures.push({
      name,
      family: entry.family,
      stochastic: entry.stochastic,
      msPerImage: ms,
      severity3: { msPerImage: ms[2]!, imagesPerSecond: ips(ms[2]!) },
      allSeverities: { msPerImage: mean, imagesPerSecond: ips(mean), slowestSeverity: ms.indexOf(Math.max(...ms)) + 1 },
      timesBrightness: ms[2]! / brightnessMs,
    });
  }
  progress.end();
  const allPairs = figures.reduce((a, f) => a + f.msPerImage.reduce((x, y) => x + y, 0), 0);
  const slowRef = figures
    .filter((f) => f.name === 'glass_blur' || f.name === 'elastic_transform' || f.name === 'zoom_blur')
    .reduce((a, f) => a + f.msPerImage.reduce((x, y) => x + y, 0), 0);
  const slowest = figures.reduce((a, f) => (f.allSeverities.msPerImage > a.allSeverities.msPerImage ? f : a));
  const report: BenchCorruptionsReport = {
    size,
    images: count,
    rounds,
    seed,
    cpus: os.availableParallelism(),
    node: process.version,
    baselines: {
      copy: { msPerImage: copyMs, imagesPerSecond: ips(copyMs) },
      brightness: { msPerImage: brightnessMs, imagesPerSecond: ips(brightnessMs) },
    },
    frostTexturesMs,
    figures,
    allPairsMsPerImage: allPairs,
    referenceSlowShare: slowRef / allPairs,
    slowest: { name: slowest.name, msPerImage: slowest.allSeverities.msPerImage },
  };

  if (values.json) {
    process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
    return 0;
  }
  const fmt = (v: number, d = 1) => v.toFixed(d).padStart(8);
  const lines = [
    `Image corruptions at ${size}x${size} on ${count} synthetic fundus images (median of ${rounds} rounds; Node ${report.node}, ${report.cpus} CPUs).`,
    `Baselines: plain copy ${fmt(report.baselines.copy.imagesPerSecond, 0)} images/s; brightness (severity 3) ${fmt(report.baselines.brightness.imagesPerSecond)} images/s.`,
    '',
    `  ${'corruption'.padEnd(18)} ${'sev 3 img/s'.padStart(11)} ${'ms/img'.padStart(8)} ${'x bright'.padStart(8)}  ${'sev 1-5 img/s'.padStart(13)} ${'ms/img'.padStart(8)}  slowest sev   ms/img at severity 1..5`,
  ];
  for (const f of figures) {
    lines.push(
      `  ${f.name.padEnd(18)} ${fmt(f.severity3.imagesPerSecond).padStart(11)} ${fmt(f.severity3.msPerImage)} ${fmt(f.timesBrightness)}  ${fmt(f.allSeverities.imagesPerSecond).padStart(13)} ${fmt(f.allSeverities.msPerImage)}  ${String(f.allSeverities.slowestSeverity).padStart(11)}   ${f.msPerImage.map((m) => m.toFixed(1)).join(' ')}`,
    );
  }
  lines.push(
    '',
    `All 19 corruptions x 5 severities: ${report.allPairsMsPerImage.toFixed(0)} ms per image (${(95000 / report.allPairsMsPerImage).toFixed(1)} corrupted images/s).`,
    `Glass blur + elastic transform + zoom blur (the reference's slowest): ${(100 * report.referenceSlowShare).toFixed(1)} % of that. Slowest here: ${report.slowest.name} (${report.slowest.msPerImage.toFixed(1)} ms per image, mean over severities).`,
    `Frost's five procedural textures: generated and resized once per process in ${report.frostTexturesMs.toFixed(0)} ms (not in the figures above).`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
