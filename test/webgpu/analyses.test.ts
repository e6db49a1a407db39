/**
 * The analyses on the webgpu backend (Mesa's llvmpipe software adapter where there is no GPU), each
 * called once through its service and compared with the same call on wasm (and cpu, for the
 * float32 drift that serves as the tolerance's reference: tol = max(2·drift(cpu, wasm), floor)):
 * - spectra (runSpectra): every layer's eigenvalues, |Δλ| ≤ tol · λmax, floor 1e-5;
 * - robustness (runRobustness, 2 corruptions): each cell's mean true-class probability, floor 1e-5;
 *   its AUC within one discordant pair (1/(positives·negatives));
 * - LRP (explainRun on 2 IDRiD images): the heatmap files, max|Δ| ≤ tol · max|heatmap|, floor 1e-5;
 * - predict (predictImages): logits, max|Δ| ≤ 1e-4 · max(1, |logit|);
 * - the doctor self-test passes on webgpu with its gradient check at the usual 1e-3 against the
 *   cpu reference (measured here ≈ 5e-7: webgpu needs no tolerance of its own).
 * Every service leaves no tensor behind.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainRun } from '../../src-main/analysis/lrp/service';
import { runRobustness } from '../../src-main/analysis/robustness/service';
import { runSpectra } from '../../src-main/analysis/spectra/service';
import { initEngine } from '../../src-main/engine/backend';
import { predictImages } from '../../src-main/engine/predict';
import { runSelfTest } from '../../src-main/engine/selftest';
import { detachedContext } from '../../src-main/job-context';
import { loadRunModel } from '../../src-main/services/runs/run-model';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import type { ExplanationResult } from '../../src-shared/explanations';
import type { RobustnessResult } from '../../src-shared/robustness';
import type { SpectraResult } from '../../src-shared/spectra';
import { tempDir } from '../support/files';
import { recordingContext } from '../support/job-context';
import { relInfDiff } from '../support/numeric';
import { realDataAvailable } from '../support/real-data';
import { readManifest } from '../support/studies';
import { webgpuEngine } from '../support/webgpu';
import { idridSubset, studyWithIdrid, writeRandomRun } from '../unit/lrp/service-helpers';

const status = await webgpuEngine();
const idrid = status ? realDataAvailable('idrid-seg-quarter') : false;

type Backend = 'webgpu' | 'wasm' | 'cpu';
const S = 32;

async function use(backend: Backend): Promise<void> {
  if (backend === 'webgpu') await webgpuEngine();
  else await initEngine({ preference: backend, env: { ...process.env, FUNDUSLAB_BACKEND: undefined } });
  expect(tf.getBackend()).toBe(backend);
}

/** Runs `f` on each backend (webgpu last, so the file ends on it) and checks it leaves no tensor behind. */
async function onEach<T>(f: (backend: Backend) => Promise<T>): Promise<Record<Backend, T>> {
  const out = {} as Record<Backend, T>;
  for (const b of ['wasm', 'cpu', 'webgpu'] as const) {
    await use(b);
    const before = tf.memory().numTensors;
    out[b] = await f(b);
    expect(tf.memory().numTensors, `tensors left on ${b}`).toBe(before);
  }
  return out;
}

/** max(2·drift, floor), drift = the cpu backend's distance from wasm. */
const tolerance = (cpuDrift: number, floor: number) => Math.max(2 * cpuDrift, floor);

let study = '';
let lrpStudy = '';

/** `demo-eval` (8 graded test patients, 32 px) and a run `r` holding a random resnet18-w4 at 32 px; an IDRiD study with the same run. */
beforeAll(async () => {
  if (!status) return;
  study = path.join(await tempDir('webgpu-analyses'), 'study');
  await new StudyService({ appVersion: 'test' }).create(study, 'WebGPU analyses');
  const source = path.join(path.dirname(study), 'demo-eval-src');
  await writeEyepacsDemo(source, { patients: 1, testPatients: 8, size: 64, seed: 23, distribution: 'balanced' });
  await importDataset(
    { type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo-eval', settings: { inputSize: S, overlaySize: S }, concurrency: 2 },
    study,
    detachedContext(),
  );
  (await writeRandomRun(study, 'r', 'resnet18-w4', S, 5)).dispose();
  if (idrid) {
    lrpStudy = await studyWithIdrid(await idridSubset(['IDRiD_01', 'IDRiD_20']), S);
    (await writeRandomRun(lrpStudy, 'r', 'resnet18-w4', S, 5)).dispose();
  }
}, 120_000);

describe.skipIf(!status)('analyses on webgpu vs wasm', () => {
  it('spectra: every layer’s eigenvalues as on wasm', async () => {
    const results = await onEach(async () =>
      runSpectra({ runId: 'r', datasetId: 'demo-eval', images: 12, batchSize: 6, seed: 4 }, study, detachedContext()),
    );
    const { webgpu, wasm, cpu } = results as Record<Backend, SpectraResult>;
    expect(webgpu.backend).toBe('webgpu');
    expect(webgpu.layers.map((l) => l.name)).toEqual(wasm.layers.map((l) => l.name));
    let worst = 0;
    let drift = 0;
    const scaled = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / Math.max(...b.map(Math.abs));
    for (const [i, l] of wasm.layers.entries()) {
      worst = Math.max(worst, scaled(webgpu.layers[i]!.eigenvalues, l.eigenvalues));
      drift = Math.max(drift, scaled(cpu.layers[i]!.eigenvalues, l.eigenvalues));
    }
    console.log(`spectra eigenvalues webgpu−wasm ${worst.toExponential(1)}, cpu−wasm ${drift.toExponential(1)} (of λmax)`);
    expect(worst).toBeLessThanOrEqual(tolerance(drift, 1e-5));
  });

  it('robustness: every cell as on wasm', async () => {
    const request = {
      runIds: ['r'],
      datasetId: 'demo-eval',
      corruptions: ['gaussian_noise' as const, 'pixelate' as const],
      severities: [2],
      images: 16,
    };
    const results = await onEach(async () => runRobustness(request, study, recordingContext()));
    const { webgpu, wasm, cpu } = results as Record<Backend, RobustnessResult>;
    const [g, w, c] = [webgpu, wasm, cpu].map((r) => r.models[0]!.cells);
    expect(g).toHaveLength(3);
    const p = (cells: typeof g) => cells!.map((x) => x.meanTrueClassProbability);
    const worst = relInfDiff(p(g), p(w));
    const drift = relInfDiff(p(c), p(w));
    console.log(`robustness mean true-class probability webgpu−wasm ${worst.toExponential(1)}, cpu−wasm ${drift.toExponential(1)}`);
    expect(worst).toBeLessThanOrEqual(tolerance(drift, 1e-5));
    const pairs = 1 / (webgpu.positives * (webgpu.images - webgpu.positives));
    for (const [i, cell] of g!.entries()) expect(Math.abs(cell.auc! - w![i]!.auc!)).toBeLessThanOrEqual(pairs + 1e-12);
  });

  it.skipIf(!idrid)('LRP: the heatmaps of explainRun as on wasm', async () => {
    const results = await onEach(async () => {
      const result = await explainRun({ runId: 'r', datasetId: 'idrid', batchSize: 2 }, lrpStudy, recordingContext());
      const dir = path.join(lrpStudy, 'explanations', result.name);
      const heat = await Promise.all(
        result.images.map(async (img) => {
          const buf = await fsp.readFile(path.join(dir, img.heatmap));
          return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        }),
      );
      return { result, heat };
    });
    const { webgpu, wasm, cpu } = results as Record<Backend, { result: ExplanationResult; heat: Float32Array[] }>;
    expect(webgpu.heat).toHaveLength(2);
    const worst = Math.max(...webgpu.heat.map((h, i) => relInfDiff(h, wasm.heat[i]!)));
    const drift = Math.max(...cpu.heat.map((h, i) => relInfDiff(h, wasm.heat[i]!)));
    console.log(`LRP heatmaps webgpu−wasm ${worst.toExponential(1)}, cpu−wasm ${drift.toExponential(1)} (of max|heatmap|)`);
    expect(worst).toBeLessThanOrEqual(tolerance(drift, 1e-5));
  });

  it('predict: logits as on wasm', async () => {
    const manifest = await readManifest(study, 'demo-eval');
    const files = manifest.items.slice(0, 4).map((it) => path.join(study, 'datasets', 'demo-eval', it.cache!.input));
    const results = await onEach(async () => {
      const m = await loadRunModel(study, 'r');
      try {
        return await predictImages(m.model, files, { size: m.inputSize, mean: m.mean, std: m.std, batchSize: 3 });
      } finally {
        m.model.dispose();
      }
    });
    for (const [i, p] of results.webgpu.entries())
      for (const [k, v] of p.logits.entries())
        expect(Math.abs(v - results.wasm[i]!.logits[k]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(v)));
  });

  it('the doctor self-test passes on webgpu, gradients within the usual 1e-3 of the cpu reference', async () => {
    await use('webgpu');
    const result = await runSelfTest({ size: 16, batch: 4, steps: 2 }, detachedContext());
    expect(result.backend).toBe('webgpu');
    expect(result.checks.filter((c) => !c.passed)).toEqual([]);
    expect(result.gradientMaxRelDiffVsCpu).toBeLessThanOrEqual(1e-3);
    console.log(`self-test on webgpu: gradient max relative difference vs cpu ${result.gradientMaxRelDiffVsCpu!.toExponential(1)}`);
  });
});
