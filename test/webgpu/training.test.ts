/**
 * Training on the webgpu backend (Mesa's llvmpipe software adapter where there is no GPU), against
 * the wasm backend in the same process with the same seeds:
 * - a tiny ResNet (resnet18-w4, 32 px, 20 images) trained 2 epochs IWNE-FS with AdamW, then
 *   evaluated on a graded test split (predictions.csv, AUC), and 2 epochs of MoCo v2 pretraining
 *   (SGD, a queue, the momentum key encoder), each written to disk as checkpoints and safetensors;
 * - the final metrics equal wasm's within a tolerance derived from the float32 reassociation drift
 *   of the cpu backend against wasm (measured in the same test): tol = max(2·|cpu − wasm|, 1e-4·(1 + |wasm|));
 *   the AUCs may differ by one discordant pair, 1/(positives·negatives);
 * - no leak per epoch: tf.memory().numTensors and the buffer manager's used buffers and bytes are
 *   the same after epochs 1 and 2;
 * - an FS run cancelled after epoch 1 and resumed from its checkpoint (model and AdamW state read back
 *   from the GPU) ends exactly as the uninterrupted webgpu run (tolerance 0: same backend, every draw
 *   derived from the seed). The MoCo checkpoints are written (read back) after each epoch above.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { detachedContext } from '../../src-main/job-context';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { evaluateRun } from '../../src-main/services/evaluation/evaluate';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { runTraining } from '../../src-main/services/training';
import { runPretraining } from '../../src-main/services/training/pretrain';
import { TrainingSpec, type PretrainEpochLog, type TrainingEpochLog } from '../../src-shared/training';
import { tempDir } from '../support/files';
import { recordingContext } from '../support/job-context';
import { demoSpec } from '../support/studies';
import { webgpuEngine } from '../support/webgpu';

const status = await webgpuEngine();

type Backend = 'webgpu' | 'wasm' | 'cpu';
const BACKENDS: readonly Backend[] = ['webgpu', 'wasm', 'cpu'];

/** Switches the engine (the other backends without FUNDUSLAB_BACKEND, which the webgpu project sets). */
async function use(backend: Backend): Promise<void> {
  if (backend === 'webgpu') await webgpuEngine();
  else await initEngine({ preference: backend, env: { ...process.env, FUNDUSLAB_BACKEND: undefined } });
  expect(tf.getBackend()).toBe(backend);
}

/** Tensors and, on webgpu, the buffer manager's counts (used buffers and bytes: a leak raises them; the free pool may grow). */
function memory(): { tensors: number; usedBuffers: number | null; usedBytes: number | null; allocatedBytes: number | null } {
  const bm = (tf.backend() as unknown as { bufferManager?: Record<string, number> }).bufferManager;
  return {
    tensors: tf.memory().numTensors,
    usedBuffers: bm?.numUsedBuffers ?? null,
    usedBytes: bm?.numBytesUsed ?? null,
    allocatedBytes: bm?.numBytesAllocated ?? null,
  };
}

const spec = demoSpec({ arch: 'resnet18-w4', inputSize: 32, epochs: 2, batchSize: 8, validationFraction: 0.4 });
const moco = {
  epochs: 2,
  batchSize: 8,
  queueSize: 16,
  optimizer: 'sgd' as const,
  lr: 0.03,
  dim: 16,
  mlpHidden: 16,
  // Flips only: aug+'s colour jitter and blur run per image and take seconds on the software adapter.
  augmentation: { horizontalFlip: 0.5, verticalFlip: 0.5 },
};
const clSpec = TrainingSpec.parse({ ...spec, strategy: 'IWNE-CL', moco });

interface Outcome {
  fs: TrainingEpochLog[];
  fsMemory: ReturnType<typeof memory>[];
  evaluation: { auc: number; positives: number; negatives: number; pReferable: number[] };
  moco: PretrainEpochLog[];
  mocoMemory: ReturnType<typeof memory>[];
}
const outcomes = new Map<Backend, Outcome>();
const seconds = new Map<string, number>();
let base = '';

/** `demo` (10 patients, 20 images) and `demo-eval` (8 graded test patients), both imported at 32 px. */
async function makeStudy(): Promise<string> {
  const root = await tempDir('webgpu-train');
  const study = path.join(root, 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'WebGPU training');
  for (const [id, o] of [
    ['demo', { patients: 10, seed: 7 }],
    ['demo-eval', { patients: 1, testPatients: 8, seed: 23 }],
  ] as const) {
    const source = path.join(root, `${id}-src`);
    await writeEyepacsDemo(source, { ...o, size: 64, distribution: 'balanced' });
    const settings = { inputSize: 32, overlaySize: 32 };
    await importDataset({ type: 'eyepacs', path: path.join(source, 'eyepacs'), id, settings, concurrency: 2 }, study, detachedContext());
  }
  return study;
}

/** FS training, its evaluation and the MoCo pretraining on one backend, in a copy of the study (the pretraining is cached per study). */
async function trainOn(backend: Backend): Promise<Outcome> {
  await use(backend);
  const study = path.join(path.dirname(base), backend);
  await fsp.cp(base, study, { recursive: true });
  const started = performance.now();
  const out: Outcome = {
    fs: [],
    fsMemory: [],
    evaluation: { auc: 0, positives: 0, negatives: 0, pReferable: [] },
    moco: [],
    mocoMemory: [],
  };
  await runTraining(spec, study, recordingContext(), {
    runId: 'fs',
    onEpoch: (e) => (out.fs.push(e), out.fsMemory.push(memory())),
  });
  seconds.set(`${backend} fs`, (performance.now() - started) / 1000);
  const ev = await evaluateRun({ runId: 'fs', datasetId: 'demo-eval' }, study, recordingContext());
  const csv = (await fsp.readFile(path.join(study, 'evaluations', ev.name, 'predictions.csv'), 'utf8')).trim().split('\n');
  const col = csv[0]!.split(',').indexOf('p_referable');
  out.evaluation = {
    auc: ev.auc,
    positives: ev.positives,
    negatives: ev.negatives,
    pReferable: csv.slice(1).map((r) => Number(r.split(',')[col])),
  };
  seconds.set(`${backend} eval`, (performance.now() - started) / 1000);
  await runPretraining(clSpec, study, recordingContext(), {
    onEpoch: (e) => (
      out.moco.push(e),
      out.mocoMemory.push(memory()),
      seconds.set(`${backend} moco${e.epoch}`, (performance.now() - started) / 1000)
    ),
  });
  seconds.set(backend, (performance.now() - started) / 1000);
  return out;
}

beforeAll(async () => {
  if (!status) return;
  base = await makeStudy();
  for (const b of BACKENDS) outcomes.set(b, await trainOn(b));
  await use('webgpu');
}, 240_000);

function byBackend(): [Outcome, Outcome, Outcome] {
  return [outcomes.get('webgpu')!, outcomes.get('wasm')!, outcomes.get('cpu')!];
}

/** max(2·|cpu − wasm|, 1e-4·(1 + |wasm|)): webgpu may drift from wasm twice as far as cpu does, never less than float32 noise. */
function tolerance(wasm: number, cpu: number): number {
  return Math.max(2 * Math.abs(cpu - wasm), 1e-4 * (1 + Math.abs(wasm)));
}

describe.skipIf(!status)('training on webgpu (resnet18-w4, 32 px) vs wasm with the same seeds', () => {
  it('FS: 2 epochs, losses and validation AUC as on wasm; the evaluation (predictions, AUC) as on wasm', () => {
    const [gpu, wasm, cpu] = byBackend();
    expect(gpu.fs.map((e) => e.epoch)).toEqual([1, 2]);
    const drift: Record<string, number[]> = {};
    for (const key of ['trainLoss', 'valLoss'] as const) {
      for (const i of [0, 1]) {
        const [g, w, c] = [gpu.fs[i]![key], wasm.fs[i]![key], cpu.fs[i]![key]];
        expect(Number.isFinite(g)).toBe(true);
        expect(Math.abs(g - w), `${key} epoch ${i + 1}: webgpu ${g}, wasm ${w}, cpu ${c}`).toBeLessThanOrEqual(tolerance(w, c));
        (drift[key] ??= []).push(Math.abs(g - w), Math.abs(c - w));
      }
    }
    // The validation AUC (both classes are in the validation split) and the test AUC: one discordant pair at most.
    for (const i of [0, 1]) {
      expect(gpu.fs[i]!.valAuc).not.toBeNull();
      expect(Math.abs(gpu.fs[i]!.valAuc! - wasm.fs[i]!.valAuc!)).toBeLessThanOrEqual(1 / 16 + 1e-12); // 4 referable × 4 not in validation
    }
    const ev = gpu.evaluation;
    expect([ev.positives, ev.negatives]).toEqual([wasm.evaluation.positives, wasm.evaluation.negatives]);
    expect(Math.abs(ev.auc - wasm.evaluation.auc)).toBeLessThanOrEqual(1 / (ev.positives * ev.negatives) + 1e-12);
    const pDiff = ev.pReferable.map((p, i) => Math.abs(p - wasm.evaluation.pReferable[i]!));
    const pDrift = cpu.evaluation.pReferable.map((p, i) => Math.abs(p - wasm.evaluation.pReferable[i]!));
    expect(ev.pReferable).toHaveLength(16);
    expect(Math.max(...pDiff)).toBeLessThanOrEqual(Math.max(2 * Math.max(...pDrift), 1e-4));
    console.log(
      `FS webgpu−wasm | cpu−wasm: trainLoss ${drift.trainLoss!.map((d) => d.toExponential(1)).join(' ')}, valLoss ${drift
        .valLoss!.map((d) => d.toExponential(1))
        .join(' ')}, P(referable) ${Math.max(...pDiff).toExponential(1)} | ${Math.max(...pDrift).toExponential(1)}; ` +
        `seconds ${[...seconds].map(([b, t]) => `${b} ${t.toFixed(1)}`).join(', ')}`,
    );
  });

  it('MoCo v2: 2 epochs, InfoNCE loss as on wasm', () => {
    const [gpu, wasm, cpu] = byBackend();
    expect(gpu.moco.map((e) => e.epoch)).toEqual([1, 2]);
    for (const i of [0, 1]) {
      const [g, w, c] = [gpu.moco[i]!.loss, wasm.moco[i]!.loss, cpu.moco[i]!.loss];
      expect(Number.isFinite(g)).toBe(true);
      expect(Math.abs(g - w), `MoCo loss epoch ${i + 1}: webgpu ${g}, wasm ${w}, cpu ${c}`).toBeLessThanOrEqual(tolerance(w, c));
      console.log(`MoCo epoch ${i + 1} loss webgpu−wasm ${Math.abs(g - w).toExponential(1)}, cpu−wasm ${Math.abs(c - w).toExponential(1)}`);
    }
  });

  it('leaks nothing per epoch: tensors and GPU buffers in use are the same after epochs 1 and 2', () => {
    const gpu = outcomes.get('webgpu')!;
    for (const m of [gpu.fsMemory, gpu.mocoMemory]) {
      expect(m).toHaveLength(2);
      expect(m[0]!.usedBuffers).not.toBeNull();
      expect(m[1]!.tensors).toBe(m[0]!.tensors);
      expect(m[1]!.usedBuffers).toBe(m[0]!.usedBuffers);
      expect(m[1]!.usedBytes).toBe(m[0]!.usedBytes);
    }
    console.log(`webgpu memory after epochs 1, 2: FS ${JSON.stringify(gpu.fsMemory)}; MoCo ${JSON.stringify(gpu.mocoMemory)}`);
  });

  it('a run cancelled after epoch 1 resumes from its checkpoint and ends as the uninterrupted run', async () => {
    const gpu = outcomes.get('webgpu')!;
    const study = path.join(path.dirname(base), 'resume');
    await fsp.cp(base, study, { recursive: true });
    const ctx = recordingContext();
    const cancel = (e: TrainingEpochLog) => e.epoch === 1 && ctx.controller.abort();
    await expect(runTraining(spec, study, ctx, { runId: 'fs', onEpoch: cancel })).rejects.toMatchObject({ code: 'CANCELLED' });
    const resumed: TrainingEpochLog[] = [];
    const result = await runTraining(spec, study, recordingContext(), { runId: 'fs', onEpoch: (e) => resumed.push(e) });
    expect(result.resumedFromEpoch).toBe(1);
    expect(resumed.map((e) => [e.trainLoss, e.valLoss, e.valAuc])).toEqual([[gpu.fs[1]!.trainLoss, gpu.fs[1]!.valLoss, gpu.fs[1]!.valAuc]]);
  });
});
