/**
 * The robustness analysis (paper Fig 4; definitions in src-shared/robustness.ts): every model sees
 * the same corrupted images — each (image, corruption, severity) is corrupted once, from the image's
 * cached input at the runs' input size, and fed to every model of that size with its own
 * normalisation. Writes robustness/<name>/result.json and gallery/*.png as one result folder
 * (services/study-folder/result-folder.ts), so an error, a cancellation or a crash leaves nothing
 * half-written and an earlier result is only replaced by a complete one.
 *
 * A dataset cached at another size than the runs' is refused, or with `preprocessOnDemand` its chosen
 * images are preprocessed at the runs' size into its cache first (services/datasets/at-input-size.ts).
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import tf from '@tensorflow/tfjs';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import {
  CORRUPTION_NAMES,
  RobustnessRequest,
  RobustnessResult,
  type CorruptionName,
  type RobustnessCell,
  type RobustnessDifference,
  type RobustnessModel,
  type RobustnessRequestInput,
} from '../../../src-shared/robustness';
import { normalize } from '../../engine/augment/ops';
import { hashSeeds } from '../../random/streams';
import { engineStatus, initEngine } from '../../engine/backend';
import { readDatasetManifest, requirePreprocessed } from '../../services/datasets/manifest-file';
import { cacheUse, datasetAtInputSize, writePreprocessingRecord, type OnDemandPreprocessing } from '../../services/datasets/at-input-size';
import { referableProbability, rocAuc } from '../../services/evaluation/metrics';
import { defaultSplit, inSplit } from '../../services/evaluation/evaluate';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { loadRunModel, type LoadedRunModel } from '../../services/runs/run-model';
import { resultInputs, writeResultInputs } from '../../services/runs/identity';
import { GALLERY_FOLDER, PREPROCESSING_FILE, RESULT_FILE, settingsResultName, studyLayout } from '../../services/study-folder/layout';
import type { ResultSettings } from '../../../src-shared/result-settings';
import { writeResultFolder } from '../../services/study-folder/result-folder';
import { requireStudyFolder } from '../../services/study-folder/study-service';
import { ImageSource, type TrainingItem } from '../../services/training/data';
import { corrupt, type Severity } from '../corruptions';

/**
 * Folder name of a robustness result and its settings: the dataset, a hash of the sorted run ids (as
 * before settings-named results) and the hash of every other request setting except `batchSize`
 * (images per forward pass; eval-mode models score each image alone). Missing corruptions count as
 * all 19 and severities as their sorted set, so equivalent requests share a name.
 */
export function robustnessName(requestInput: RobustnessRequestInput): { name: string; settings: ResultSettings } {
  const req = parseOrThrow(RobustnessRequest, requestInput, 'robustness request');
  const runs = createHash('sha256')
    .update([...req.runIds].sort().join('\n'))
    .digest('hex')
    .slice(0, 10);
  const values = (r: RobustnessRequest) => {
    const { runIds: _r, datasetId: _d, batchSize: _b, ...rest } = r;
    return { ...rest, corruptions: r.corruptions ?? [...CORRUPTION_NAMES], severities: [...new Set(r.severities)].sort((a, b) => a - b) };
  };
  const defaults = RobustnessRequest.parse({ runIds: req.runIds, datasetId: req.datasetId });
  return settingsResultName([req.datasetId, runs], values(req), values(defaults));
}

interface Item extends TrainingItem {
  grade: number;
}

export interface RobustnessOptions {
  /** Preprocess a dataset cached at another size than the runs' (the chosen images) instead of refusing it. */
  preprocessOnDemand?: boolean;
  onPreprocessed?: (report: OnDemandPreprocessing) => void;
}

export async function runRobustness(
  input: RobustnessRequestInput | RobustnessRequest,
  studyPath: string,
  ctx: JobContext,
  opts: RobustnessOptions = {},
): Promise<RobustnessResult> {
  const req = parseOrThrow(RobustnessRequest, input, 'robustness request');
  const study = requireStudyFolder(studyPath);
  const started = performance.now();
  const inputs = await resultInputs(study, { datasets: [req.datasetId], runs: req.runIds });
  let loaded = await readDatasetManifest(study, req.datasetId);
  requirePreprocessed(loaded, req.datasetId);
  const imported = loaded;
  const split = req.split ?? defaultSplit(loaded.manifest);
  const items: Item[] = [];
  loaded.manifest.items.forEach((it, index) => {
    if (items.length < req.images && it.grade !== null && it.cache && inSplit(it, split))
      items.push({ index, id: it.id, grade: it.grade, file: path.join(loaded.datasetDir, it.cache.input) });
  });
  if (items.length < 2)
    throw new AppError(
      'BAD_REQUEST',
      `Dataset "${req.datasetId}" has ${items.length} graded image(s) in split ${split}; robustness needs at least 2.`,
      [{ path: 'datasetId', message: 'too few graded images' }],
    );
  const corruptions = (req.corruptions ?? [...CORRUPTION_NAMES]) as CorruptionName[];
  const severities = [...new Set(req.severities)].sort((a, b) => a - b) as Severity[];

  if (!engineStatus()) await initEngine({ preference: 'auto' });
  const backend = engineStatus()?.active ?? tf.getBackend();
  const models: LoadedRunModel[] = [];
  try {
    for (const [i, runId] of req.runIds.entries()) {
      const m = await loadRunModel(study, runId, `runIds.${i}`);
      models.push(m);
      if (m.best.classes !== 5)
        throw new AppError('BAD_REQUEST', `Run "${runId}" has a ${m.best.classes}-class head; robustness needs the 5 grades.`, [
          { path: `runIds.${i}`, message: 'not a 5-grade model' },
        ]);
      if (loaded.manifest.settings.inputSize !== m.inputSize && opts.preprocessOnDemand && i === 0) {
        // The runs' size (every run needs the same one, checked below), for the chosen images only.
        const wanted = new Map(items.map((it) => [it.index, it]));
        const at = await datasetAtInputSize(loaded, m.inputSize, { select: (_item, index) => wanted.has(index) }, ctx);
        at.loaded.manifest.items.forEach((it, index) => {
          const item = wanted.get(index);
          if (item && it.cache) item.file = path.join(at.loaded.datasetDir, it.cache.input);
        });
        loaded = at.loaded;
        if (at.report) opts.onPreprocessed?.(at.report);
      }
      if (loaded.manifest.settings.inputSize !== m.inputSize) {
        throw new AppError(
          'BAD_REQUEST',
          `Dataset "${req.datasetId}" was preprocessed at ${loaded.manifest.settings.inputSize} px but run "${runId}" trained at ${m.inputSize} px; import the dataset again at ${m.inputSize} px.`,
          [{ path: 'datasetId', message: 'preprocessed at another input size' }],
        );
      }
    }
    const size = models[0]!.inputSize;
    const source = new ImageSource(size);
    const clean = await Promise.all(items.map((it) => source.get(it)));
    const labelsFor = (m: LoadedRunModel) => Uint8Array.from(items, (it) => (m.spec.referable.includes(it.grade) ? 1 : 0));

    /** P(referable) of every model for a set of uint8 images (one array per image). */
    let modelSeconds = 0;
    const predict = async (images: Uint8Array[]): Promise<Float64Array[]> => {
      const t0 = performance.now();
      const out = models.map(() => new Float64Array(images.length));
      for (let start = 0; start < images.length; start += req.batchSize) {
        throwIfCancelled(ctx);
        const chunk = images.slice(start, start + req.batchSize);
        const px = new Float32Array(chunk.length * size * size * 3);
        chunk.forEach((im, k) => {
          for (let j = 0; j < im.length; j++) px[k * im.length + j] = im[j]! / 255;
        });
        const x = tf.tensor4d(px, [chunk.length, size, size, 3]);
        try {
          for (const [mi, m] of models.entries()) {
            const logits = tf.tidy(() => m.model.forward(normalize(x, m.mean, m.std), { training: false }));
            const p = referableProbability(await logits.data(), m.spec.referable);
            logits.dispose();
            out[mi]!.set(p, start);
          }
        } finally {
          x.dispose();
        }
      }
      modelSeconds += (performance.now() - t0) / 1000;
      return out;
    };
    const score = (m: LoadedRunModel, p: Float64Array): { mean: number; auc: number | null } => {
      const labels = labelsFor(m);
      let s = 0;
      for (let i = 0; i < p.length; i++) s += labels[i] ? p[i]! : 1 - p[i]!;
      const pos = labels.reduce((a, b) => a + b, 0);
      return { mean: s / p.length, auc: pos > 0 && pos < labels.length ? rocAuc(labels, p) : null };
    };

    const cells: RobustnessCell[][] = models.map(() => []);
    const total = 1 + corruptions.length * severities.length;
    let done = 0;
    const cleanP = await predict(clean);
    models.forEach((m, mi) => {
      const s = score(m, cleanP[mi]!);
      cells[mi]!.push({ corruption: 'clean', severity: 0, meanTrueClassProbability: s.mean, auc: s.auc });
    });
    ctx.progress(++done, total, 'clean images');

    const galleryIndex = Math.max(
      0,
      req.galleryImage
        ? items.findIndex((it) => it.id === req.galleryImage)
        : items.findIndex((it) => models[0]!.spec.referable.includes(it.grade)),
    );
    if (req.galleryImage && items[galleryIndex]?.id !== req.galleryImage)
      throw new AppError('BAD_REQUEST', `galleryImage "${req.galleryImage}" is not among the evaluated images of "${req.datasetId}".`, [
        { path: 'galleryImage', message: 'not found' },
      ]);
    const gallery: { corruption: CorruptionName | 'clean'; severity: number; png: Buffer }[] = [
      { corruption: 'clean', severity: 0, png: await png(clean[galleryIndex]!, size) },
    ];
    const corruptSeconds: Record<string, number> = {};
    for (const [ci, name] of corruptions.entries()) {
      for (const sev of severities) {
        throwIfCancelled(ctx);
        const t0 = performance.now();
        const corrupted: Uint8Array[] = [];
        for (const [k, it] of items.entries()) {
          const out = await corrupt({ width: size, height: size, data: clean[k]! }, name, sev, hashSeeds(req.seed, it.index, ci, sev));
          corrupted.push(out.data);
        }
        corruptSeconds[name] = (corruptSeconds[name] ?? 0) + (performance.now() - t0) / 1000;
        const p = await predict(corrupted);
        models.forEach((m, mi) => {
          const s = score(m, p[mi]!);
          cells[mi]!.push({ corruption: name, severity: sev, meanTrueClassProbability: s.mean, auc: s.auc });
        });
        gallery.push({ corruption: name, severity: sev, png: await png(corrupted[galleryIndex]!, size) });
        ctx.progress(++done, total, `${name} severity ${sev}`);
      }
    }

    const modelResults: RobustnessModel[] = models.map((m, mi) => ({
      runId: m.runId,
      strategy: m.spec.strategy,
      fraction: m.spec.fraction,
      seed: m.spec.seed,
      arch: m.spec.arch,
      inputSize: m.inputSize,
      referable: m.spec.referable,
      cells: cells[mi]!,
    }));
    const fig4 = clMinusFs(modelResults);
    const { name, settings } = robustnessName(req);
    const result = RobustnessResult.parse({
      schemaVersion: 1,
      name,
      settings,
      datasetId: req.datasetId,
      split,
      images: items.length,
      positives: labelsFor(models[0]!).reduce((a, b) => a + b, 0),
      seed: req.seed,
      corruptions,
      severities,
      models: modelResults,
      fig4,
      gallery: {
        image: items[galleryIndex]!.id,
        files: gallery.map((g) => ({
          corruption: g.corruption,
          severity: g.severity,
          file: `${GALLERY_FOLDER}/${g.corruption}-${g.severity}.png`,
        })),
      },
      timing: { corruptSeconds, modelSeconds, totalSeconds: (performance.now() - started) / 1000 },
      backend,
      createdAt: new Date().toISOString(),
    });
    await writeResultFolder(studyLayout(study).result('robustness', name), async (tmp) => {
      await fsp.mkdir(path.join(tmp, GALLERY_FOLDER));
      for (const [i, g] of gallery.entries()) await fsp.writeFile(path.join(tmp, result.gallery!.files[i]!.file), g.png);
      await fsp.writeFile(path.join(tmp, RESULT_FILE), JSON.stringify(result, null, 2) + '\n');
      await writeResultInputs(tmp, inputs);
      await writePreprocessingRecord(path.join(tmp, PREPROCESSING_FILE), [cacheUse(imported, size, items.length)]);
    });
    return result;
  } finally {
    for (const m of models) m.model.dispose();
  }
}

/** CL − FS per initialisation for every (fraction, seed) where both runs exist. */
export function clMinusFs(models: readonly RobustnessModel[]): RobustnessDifference[] {
  const out: RobustnessDifference[] = [];
  for (const init of ['IWNE', 'IFI'] as const) {
    for (const cl of models.filter((m) => m.strategy === `${init}-CL`)) {
      const fs = models.find((m) => m.strategy === `${init}-FS` && m.fraction === cl.fraction && m.seed === cl.seed);
      if (!fs) continue;
      const byKey = new Map(fs.cells.map((c) => [`${c.corruption}|${c.severity}`, c]));
      out.push({
        initialisation: init,
        fraction: cl.fraction,
        seed: cl.seed,
        cl: cl.runId,
        fs: fs.runId,
        cells: cl.cells
          .filter((c) => c.corruption !== 'clean' && byKey.has(`${c.corruption}|${c.severity}`))
          .map((c) => ({
            corruption: c.corruption as CorruptionName,
            severity: c.severity,
            difference: c.meanTrueClassProbability - byKey.get(`${c.corruption}|${c.severity}`)!.meanTrueClassProbability,
          })),
      });
    }
  }
  return out;
}

async function png(rgb: Uint8Array, size: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}
