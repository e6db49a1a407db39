/**
 * `funduslab bench train [--json] [--arch resnet18-w16] [--size 96] [--batch 16] [--patients 48]
 *   [--epochs 2]` — training throughput on the active backend, with the real data pipeline:
 * synthetic EyePACS-layout data is generated and imported into a temporary study at --size, then
 *   - FS: an IWNE-FS run (decode → augment (fsTrain) → normalise → forward/backward → AdamW);
 *   - CL: MoCo v2 pretraining epochs (two aug+ views, query and key encoders, InfoNCE, queue);
 *   - model only: the same FS step on one pre-built batch in memory (no decoding, no augmentation),
 *     measured in the same process as the baseline the pipeline figures are compared with.
 * For each: images/s, the time the loop waited for decoded and augmented images (stall) as a share
 * of step time (target < 5 %: the pipeline, augmentation in a worker thread included, must run ahead
 * of the model). The first epoch includes warm-up
 * (kernel compilation, caches), so figures come from the last epoch.
 *
 * --augment-baseline [--rounds 3]: FS and CL again, alternating each round between the augmentation
 * workers' native loops and their JavaScript loops (same process, seeds 2r and 2r + 1 so the runs are
 * new): the median ms/img of each and the median of the rounds' ratios.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { TrainingSpec, type PretrainEpochLog, type TrainingEpochLog } from '../../../src-shared/training';
import { describeAugmentation, setNativeAugmentLoops } from '../../engine/augment/augment-pool';
import { medianOf } from '../../engine/bench';
import { engineStatus, initEngine } from '../../engine/backend';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { AdamW, namedGradients } from '../../engine/optim/adamw';
import { importDataset } from '../../services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../services/demo';
import { StudyService } from '../../services/study-folder/study-service';
import { runTraining } from '../../services/training';
import { crossEntropy } from '../../engine/loss';
import { runPretraining } from '../../services/training/pretrain';
import { APP_VERSION } from '../../version';
import { parseCommandArgs } from '../args';

export interface BenchTrainFigure {
  phase: 'FS' | 'CL' | 'model only';
  imagesPerSecond: number;
  msPerImage: number;
  /** Stall as a share of the epoch's step time (null for the in-memory baseline). */
  stallFraction: number | null;
  /** This figure's images/s relative to the model-only baseline. */
  vsModelOnly: number;
}

export interface BenchTrainReport {
  backend: string;
  arch: string;
  size: number;
  batch: number;
  images: number;
  cpus: number;
  figures: BenchTrainFigure[];
  /** --augment-baseline: FS and CL per round with the native and the JavaScript augmentation loops, ms/img. */
  augmentBaseline: {
    rounds: number;
    phases: { phase: 'FS' | 'CL'; native: number[]; javascript: number[]; medianRatio: number }[];
  } | null;
  /** The pretraining's learning check (k-NN of both encoders): its time and its share of the whole pretraining. */
  learningCheck: { seconds: number; shareOfPretraining: number } | null;
  notes: string[];
}

export const BENCH_TRAIN_USAGE =
  'funduslab bench train [--json] [--arch resnet18-w16] [--size 96] [--batch 16] [--patients 48] [--epochs 2] [--augment-baseline [--rounds 3]]';

export async function runBenchTrain(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    arch: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    patients: { type: 'string' },
    epochs: { type: 'string' },
    'augment-baseline': { type: 'boolean' },
    rounds: { type: 'string' },
  });
  if (positionals.length > 0 && !(positionals.length === 1 && positionals[0] === 'train'))
    throw new AppError('BAD_REQUEST', `Unexpected arguments: ${positionals.join(' ')}. Usage: ${BENCH_TRAIN_USAGE}`);
  const int = (name: string, v: string | undefined, d: number, min: number): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new AppError('BAD_REQUEST', `--${name} must be an integer ≥ ${min} (got "${v}")`, [{ path: name, message: 'invalid' }]);
    return n;
  };
  const arch = values.arch ?? 'resnet18-w16';
  parseArch(arch, 5);
  const size = int('size', values.size, 96, 32);
  const batch = int('batch', values.batch, 16, 2);
  const patients = int('patients', values.patients, 48, 8);
  const epochs = int('epochs', values.epochs, 2, 1);
  const rounds = int('rounds', values.rounds, 3, 1);
  if (values.rounds !== undefined && !values['augment-baseline'])
    throw new AppError('BAD_REQUEST', `--rounds goes with --augment-baseline. Usage: ${BENCH_TRAIN_USAGE}`);
  const say = (m: string) => {
    if (!values.json) process.stderr.write(`bench train: ${m}\n`);
  };
  await initEngine({ preference: 'auto' });
  const backend = engineStatus()?.active ?? tf.getBackend();

  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'funduslab-bench-train-'));
  try {
    say(`generating and importing ${patients * 2} synthetic images at ${size} px`);
    await writeEyepacsDemo(path.join(base, 'src'), { patients, size: Math.max(size, 128), seed: 1, distribution: 'balanced' });
    const study = path.join(base, 'study');
    await new StudyService({ appVersion: APP_VERSION }).create(study, 'bench');
    const imported = await importDataset(
      { type: 'eyepacs', path: path.join(base, 'src', 'eyepacs'), id: 'bench', settings: { inputSize: size, overlaySize: size } },
      study,
      { progress: () => {}, log: () => {}, signal: new AbortController().signal },
    );
    const ctx = { progress: () => {}, log: () => {}, signal: new AbortController().signal };
    const spec = TrainingSpec.parse({
      strategy: 'IWNE-CL',
      datasetId: 'bench',
      arch,
      inputSize: size,
      epochs,
      batchSize: batch,
      lr: 1e-3,
      validationFraction: 0.2,
      moco: { epochs, batchSize: batch, optimizer: 'adamw', lr: 1e-3 },
    });

    // Model-only baseline: the FS step on one batch already in memory.
    say('model-only baseline');
    const model = ResNet.create(parseArch(arch, 5), { seed: 0 });
    const optimizer = new AdamW(model.trainableVariables(), { lr: 1e-3 });
    const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 1);
    const y = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 5),
      'int32',
    );
    const vars = model.trainableVariables();
    const step = async () => {
      const v = tf.tidy(() => {
        const { value, grads } = namedGradients(vars, () => crossEntropy(model.forward(x as tf.Tensor4D, { training: true }), y, null));
        optimizer.step(grads);
        return value;
      });
      await v.data();
      v.dispose();
    };
    await step(); // warm-up
    const steps = Math.max(3, Math.ceil(imported.processed / batch));
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const baseIps = (steps * batch) / ((performance.now() - t0) / 1000);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();

    /** One FS run and one MoCo pretraining (seed: a new run each time), figures from their last epochs. */
    const measure = async (seed: number) => {
      say(`FS: ${epochs} epoch(s) of IWNE-FS`);
      let fsLast: TrainingEpochLog | null = null;
      const fsResult = await runTraining({ ...spec, seed, strategy: 'IWNE-FS' }, study, ctx, { onEpoch: (e) => (fsLast = e) });
      say(`CL: ${epochs} epoch(s) of MoCo v2 pretraining`);
      let clLast: PretrainEpochLog | null = null;
      const pretraining = await runPretraining({ ...spec, seed }, study, ctx, { onEpoch: (e) => (clLast = e) });
      const fs = fsLast as TrainingEpochLog | null;
      const cl = clLast as PretrainEpochLog | null;
      if (!fs || !cl) throw new AppError('INTERNAL', 'The benchmark ran no epoch.');
      // An FS epoch's imagesPerSecond covers its training loop only, so that loop took trainImages / (images/s).
      const fsLoopSeconds = fsResult.trainImages / fs.imagesPerSecond;
      const fsFig: BenchTrainFigure = {
        phase: 'FS',
        imagesPerSecond: fs.imagesPerSecond,
        msPerImage: 1000 / fs.imagesPerSecond,
        stallFraction: Math.min(1, fs.stallMs / 1000 / fsLoopSeconds),
        vsModelOnly: fs.imagesPerSecond / baseIps,
      };
      const clFig: BenchTrainFigure = {
        phase: 'CL',
        imagesPerSecond: cl.imagesPerSecond,
        msPerImage: 1000 / cl.imagesPerSecond,
        stallFraction: cl.stallMs / 1000 / cl.seconds,
        vsModelOnly: cl.imagesPerSecond / baseIps,
      };
      return { fsFig, clFig, pretraining };
    };
    const { fsFig, clFig, pretraining } = await measure(spec.seed);
    const check = pretraining.summary.learningCheck;
    let augmentBaseline: BenchTrainReport['augmentBaseline'] = null;
    if (values['augment-baseline']) {
      const ms = { FS: { native: [] as number[], javascript: [] as number[] }, CL: { native: [] as number[], javascript: [] as number[] } };
      for (let r = 0; r < rounds; r++) {
        for (const loops of ['native', 'javascript'] as const) {
          say(`augmentation baseline, round ${r + 1}/${rounds}: ${loops} loops`);
          const was = setNativeAugmentLoops(loops === 'native');
          try {
            const m = await measure(2 * r + (loops === 'native' ? 0 : 1) + 1);
            ms.FS[loops].push(m.fsFig.msPerImage);
            ms.CL[loops].push(m.clFig.msPerImage);
          } finally {
            setNativeAugmentLoops(was);
          }
        }
      }
      augmentBaseline = {
        rounds,
        phases: (['FS', 'CL'] as const).map((phase) => ({
          phase,
          ...ms[phase],
          medianRatio: medianOf(ms[phase].native.map((v, i) => v / ms[phase].javascript[i]!)),
        })),
      };
    }
    const report: BenchTrainReport = {
      backend,
      arch,
      size,
      batch,
      images: imported.processed,
      cpus: os.availableParallelism(),
      learningCheck: check
        ? { seconds: check.seconds, shareOfPretraining: check.seconds / (pretraining.summary.seconds + check.seconds) }
        : null,
      augmentBaseline,
      figures: [
        { phase: 'model only', imagesPerSecond: baseIps, msPerImage: 1000 / baseIps, stallFraction: null, vsModelOnly: 1 },
        fsFig,
        clFig,
      ],
      notes: [
        'FS and CL include decoding (sharp, in libuv threads) and augmentation (in a worker thread), both running two batches ahead, and normalisation; "model only" is forward + backward + AdamW on a batch already in memory.',
        `Augmentation: ${describeAugmentation().detail}.`,
        'CL processes two views per image (query and key encoder forward passes), so its images/s is roughly half of FS at the same settings.',
        `Figures are from the last of ${epochs} epoch(s); the first includes warm-up.`,
      ],
    };
    if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: report }, null, 2) + '\n');
    else process.stdout.write(formatBenchTrain(report));
    return 0;
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

export function formatBenchTrain(r: BenchTrainReport): string {
  const lines = [
    `Training benchmark on ${r.backend}: ${r.arch} at ${r.size}x${r.size}, batch ${r.batch}, ${r.images} synthetic images, ${r.cpus} CPUs`,
    '',
    `${'phase'.padEnd(12)}${'img/s'.padStart(9)}${'ms/img'.padStart(10)}${'stall'.padStart(9)}${'vs model only'.padStart(15)}`,
  ];
  for (const f of r.figures) {
    lines.push(
      `${f.phase.padEnd(12)}${f.imagesPerSecond.toFixed(1).padStart(9)}${f.msPerImage.toFixed(1).padStart(10)}${(f.stallFraction === null ? '—' : `${(100 * f.stallFraction).toFixed(1)}%`).padStart(9)}${`${f.vsModelOnly.toFixed(2)}x`.padStart(15)}`,
    );
  }
  if (r.augmentBaseline) {
    const list = (v: number[]) => v.map((x) => x.toFixed(1)).join(' / ');
    lines.push('', `Augmentation loops, ${r.augmentBaseline.rounds} alternating rounds in this process (ms/img, native / JavaScript):`);
    for (const p of r.augmentBaseline.phases)
      lines.push(`  ${p.phase}: native ${list(p.native)}; JavaScript ${list(p.javascript)}; median ratio ${p.medianRatio.toFixed(2)}x`);
  }
  if (r.learningCheck)
    lines.push(
      '',
      `MoCo learning check (k-NN of the pretrained and the random encoder): ${r.learningCheck.seconds.toFixed(2)} s, ${(100 * r.learningCheck.shareOfPretraining).toFixed(1)} % of the pretraining`,
    );
  lines.push('', ...r.notes.map((n) => `Note: ${n}`), '');
  return lines.join('\n');
}
