/**
 * explainRun on real IDRiD images (three images of ../shared/data/idrid-seg-quarter, imported at 64 px
 * by the idrid-seg importer; IDRiD_43 has no HE mask) with a random resnet18-w8 run. Oracles:
 * - each heatmap file equals the channel sum of the relevance computed directly (resnetExplainer on
 *   the cached input decoded and normalised here) to 1e-5 relative;
 * - every reported RMA/RRA of `sum,pos`/`sum,abs` equals the value recomputed from the heatmap file
 *   and the cached masks decoded here (the union as their OR), to 1e-9;
 * - the noise control equals scoreRegions of noiseHeatmap(64, 64, 3, mixSeedPair(seed, index));
 * - the summaries equal summarize() of the per-image values; skipped images are counted.
 * - the share of positive relevance outside the fundus equals a naive recomputation from the heatmap
 *   file and the fundus circle re-derived here from the item's crop geometry, to 1e-12 (float64);
 * Also: results named by their settings (other settings sit beside, the same settings replace their own,
 * batch size does not change the name), no temporary folder left, bad input, cancellation, no leaked tensors.
 * With CI=true a missing data folder fails these tests; elsewhere they are skipped with a message.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import tf from '@tensorflow/tfjs';
import type { Tensor4D } from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelevance } from '../../../src-main/analysis/lrp/explain';
import { resnetExplainer } from '../../../src-main/analysis/lrp/index';
import {
  noiseHeatmap,
  poolHeatmap,
  relevanceMassAccuracy,
  relevanceRankAccuracy,
  scoreRegions,
  summarize,
  unionMask,
} from '../../../src-main/analysis/lrp/rma-rra';
import { explainRun, explanationName } from '../../../src-main/analysis/lrp/service';
import { initEngine } from '../../../src-main/engine/backend';
import type { ResNet } from '../../../src-main/engine/models/resnet';
import { mixSeedPair } from '../../../src-main/random/prng';
import { DatasetManifest } from '../../../src-shared/datasets';
import { ExplanationResult, type ExplainLesion } from '../../../src-shared/explanations';
import { recordingContext } from '../../support/job-context';
import { relInfDiff } from '../../support/numeric';
import { realDataAvailable } from '../../support/real-data';
import { idridSubset, RUN_NORMALISATION, studyWithIdrid, writeRandomRun } from './service-helpers';

const IDS = ['IDRiD_01', 'IDRiD_20', 'IDRiD_43'];
const S = 64;
let study: string;
let model: ResNet;
let manifest: DatasetManifest;

const available = realDataAvailable('idrid-seg-quarter');
const DEFAULT_NAME = explanationName({ runId: 'r18', datasetId: 'idrid' }).name;

/**
 * Naive fundus test of pixel (x, y) at side `size`: the crop box scaled into the square, the circle of
 * diameter max(w, h)/(1 + 2·margin) about its centre.
 */
function naiveInFundus(
  crop: NonNullable<DatasetManifest['items'][number]['crop']>,
  margin: number,
  size: number,
  x: number,
  y: number,
): boolean {
  const s = size / crop.side;
  const w = Math.max(1, Math.min(size, Math.round(crop.width * s)));
  const h = Math.max(1, Math.min(size, Math.round(crop.height * s)));
  const l = Math.min(size - w, Math.round(crop.padLeft * s));
  const t = Math.min(size - h, Math.round(crop.padTop * s));
  if (x < l || x >= l + w || y < t || y >= t + h) return false;
  const r = Math.max(w, h) / 2 / (1 + 2 * margin);
  return (x + 0.5 - (l + w / 2)) ** 2 + (y + 0.5 - (t + h / 2)) ** 2 <= r * r;
}

beforeAll(async () => {
  if (!available) return;
  await initEngine({ preference: 'auto' });
  study = await studyWithIdrid(await idridSubset(IDS), S);
  model = await writeRandomRun(study, 'r18', 'resnet18-w8', S, 5);
  manifest = DatasetManifest.parse(JSON.parse(await fsp.readFile(path.join(study, 'datasets', 'idrid', 'manifest.json'), 'utf8')));
}, 120_000);

afterAll(() => model?.dispose());

async function decodeMask(file: string): Promise<Uint8Array> {
  const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return Uint8Array.from({ length: info.width * info.height }, (_, p) => (data[p * info.channels]! > 0 ? 1 : 0));
}

async function normalisedInput(file: string): Promise<Tensor4D> {
  const { data } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const { mean, std } = RUN_NORMALISATION;
  return tf.tensor4d(
    Float32Array.from(data, (v, i) => (v / 255 - mean[i % 3]!) / std[i % 3]!),
    [1, S, S, 3],
  );
}

describe.skipIf(!available)('explainRun on idrid-seg-quarter (3 images, 64 px, random resnet18-w8)', () => {
  it('writes result.json and heatmaps whose numbers are reproduced from the files and masks', { timeout: 60_000 }, async () => {
    const before = tf.memory().numTensors;
    const result = await explainRun({ runId: 'r18', datasetId: 'idrid', batchSize: 2 }, study, recordingContext());
    expect(tf.memory().numTensors).toBe(before);
    // Named by run, dataset and the settings hash; batch size is not a setting of the name.
    expect(DEFAULT_NAME).toMatch(/^r18__idrid__[0-9a-f]{8}$/);
    expect(result.name).toBe(DEFAULT_NAME);
    expect(result.settings).toMatchObject({ defaults: true, hash: DEFAULT_NAME.slice(-8) });
    expect(result.settings!.values).not.toHaveProperty('batchSize');
    const dir = path.join(study, 'explanations', DEFAULT_NAME);
    const onDisk = ExplanationResult.parse(JSON.parse(await fsp.readFile(path.join(dir, 'result.json'), 'utf8')));
    expect(onDisk).toEqual(result);
    expect((await fsp.readdir(path.join(study, 'explanations'))).sort()).toEqual([DEFAULT_NAME]);
    expect(result.images.map((i) => i.id)).toEqual(IDS);
    expect(result.heatmap.shape).toEqual([S, S]);
    expect(result.composite.canonizers).toEqual(['merge-batchnorm', 'residual-sum']);
    expect(result.composite.rules.find((r) => r.layer === 'conv1')!.rule).toBe('AlphaBeta(α=1, β=0)');
    expect(result.composite.rules.find((r) => r.layer === 'maxpool')!.rule).toBe('Gradient');
    expect(result.composite.rules.find((r) => r.layer === 'layer1.0.add')).toMatchObject({ type: 'sum', rule: 'Norm' });

    const lrp = resnetExplainer(model);
    let compared = 0;
    for (const img of result.images) {
      console.info(
        `${img.id}: mask pixels ${Object.entries(img.regions)
          .map(([k, o]) => `${k} ${'maskPixels' in o! ? o.maskPixels : o!.skipped}`)
          .join(', ')}`,
      );
      const item = manifest.items[img.index]!;
      expect(item.id).toBe(img.id);
      expect(img).toMatchObject({ grade: null, startClasses: [3], startSource: 'ungraded-class' });
      expect(img.startRelevance).toBe(1);

      // Heatmap file = channel sum of the relevance computed here.
      const buf = await fsp.readFile(path.join(dir, img.heatmap));
      const heat = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      expect(heat.length).toBe(S * S);
      const x = await normalisedInput(path.join(study, 'datasets', 'idrid', item.cache!.input));
      const r = lrp.explainer.explain(x, (z) => startRelevance(z, [[3]], 'unit'));
      const rel = r.relevance.dataSync() as Float32Array;
      tf.dispose([r.relevance, r.logits, r.start, x]);
      const direct = Float32Array.from({ length: S * S }, (_, p) => rel[3 * p]! + rel[3 * p + 1]! + rel[3 * p + 2]!);
      expect(relInfDiff(heat, direct)).toBeLessThanOrEqual(1e-5);

      // Share of positive relevance outside the fundus, recomputed naively from the file (float64, 1e-12).
      let pos = 0;
      let out = 0;
      for (let y = 0; y < S; y++)
        for (let xx = 0; xx < S; xx++) {
          const v = heat[y * S + xx]!;
          if (v <= 0) continue;
          pos += v;
          if (!naiveInFundus(item.crop!, manifest.settings.cropMargin, S, xx, y)) out += v;
        }
      expect(img.outsideFundusShare).not.toBeNull();
      expect(Math.abs(img.outsideFundusShare! - out / pos)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(img.relevanceSum - heat.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(
        1e-4 * Math.max(1, Math.abs(img.relevanceSum)),
      );

      // RMA/RRA of the channel-sum poolings, recomputed from the file and the masks.
      const masks: Partial<Record<ExplainLesion, Uint8Array>> = {};
      for (const lesion of ['MA', 'HE', 'EX'] as const) {
        const m = item.masks?.[lesion]?.cache?.input;
        if (m) masks[lesion] = await decodeMask(path.join(study, 'datasets', 'idrid', m));
      }
      const regions = { ...masks, union: unionMask([masks.MA, masks.HE, masks.EX]) ?? undefined };
      for (const [region, mask] of Object.entries(regions)) {
        const outcome = img.regions[region as 'MA']!;
        if (!mask) {
          expect(outcome).toEqual({ skipped: 'no-mask' });
          continue;
        }
        if (!('lrp' in outcome)) {
          expect(outcome).toEqual({ skipped: 'empty-mask' });
          expect(mask.every((v) => v === 0)).toBe(true);
          continue;
        }
        expect(outcome.maskPixels).toBe(mask.reduce((a, b) => a + b, 0));
        compared++;
        const sumAbs = Float64Array.from(heat, (v) => Math.abs(v));
        const sumPos = Float64Array.from(heat, (v) => Math.max(v, 0));
        expect(Math.abs(outcome.lrp['sum,abs'].rma! - relevanceMassAccuracy(sumAbs, mask)!)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(outcome.lrp['sum,abs'].rra - relevanceRankAccuracy(sumAbs, mask)!)).toBeLessThanOrEqual(1e-9);
        const rmaPos = relevanceMassAccuracy(sumPos, mask);
        if (rmaPos === null) expect(outcome.lrp['sum,pos'].rma).toBeNull();
        else expect(Math.abs(outcome.lrp['sum,pos'].rma! - rmaPos)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(outcome.lrp['sum,pos'].rra - relevanceRankAccuracy(sumPos, mask)!)).toBeLessThanOrEqual(1e-9);
        // The noise control from its seed.
        const noise = scoreRegions(noiseHeatmap(S, S, 3, mixSeedPair(0, img.index)), 3, masks)[region as 'MA']!;
        expect('scores' in noise && noise.scores['l2-norm,sq']).toEqual(outcome.noise['l2-norm,sq']);
        expect(poolHeatmap(heat, 1, 'sum,abs').length).toBe(S * S);
      }
    }
    lrp.dispose();
    expect(compared).toBeGreaterThanOrEqual(6);
    const shares = result.images.map((i) => i.outsideFundusShare!);
    expect(result.outsideFundus!.images).toBe(3);
    expect(Math.abs(result.outsideFundus!.mean! - shares.reduce((a, b) => a + b, 0) / 3)).toBeLessThanOrEqual(1e-12);

    // IDRiD_43 has no haemorrhage mask: skipped and counted.
    expect(result.images[2]!.regions.HE).toEqual({ skipped: 'no-mask' });
    expect(result.summary.HE!.skipped.noMask).toBe(1);
    // Summaries = summarize() of the per-image values.
    for (const region of ['MA', 'union'] as const) {
      const values = result.images.map((i) => i.regions[region]).filter((o) => o && 'lrp' in o) as {
        lrp: Record<string, { rma: number | null; rra: number }>;
      }[];
      expect(result.summary[region]!.scored).toBe(values.length);
      expect(result.summary[region]!.lrp['max-norm'].rra).toEqual(summarize(values.map((v) => v.lrp['max-norm']!.rra)));
    }
  });

  it(
    'referable start, zB first layer, proportional max pooling; other settings sit beside, the same settings replace their own',
    { timeout: 60_000 },
    async () => {
      const result = await explainRun(
        {
          runId: 'r18',
          datasetId: 'idrid',
          images: ['IDRiD_20'],
          start: 'referable',
          startValue: 'logit',
          lrp: { firstLayer: 'zbox', maxPool: 'proportional' },
          noiseSeed: 9,
        },
        study,
        recordingContext(),
      );
      expect(result.images).toHaveLength(1);
      expect(result.images[0]).toMatchObject({ id: 'IDRiD_20', startClasses: [3, 4], startSource: 'referable' });
      expect(result.images[0]!.startRelevance).toBeCloseTo(result.images[0]!.logits[3]! + result.images[0]!.logits[4]!, 5);
      const conv1 = result.composite.rules.find((r) => r.layer === 'conv1')!.rule;
      const low = RUN_NORMALISATION.mean.map((m, c) => -m / RUN_NORMALISATION.std[c]!);
      expect(conv1).toBe(
        `ZBox(low=[${low.map((v) => Number(v.toPrecision(6))).join(', ')}], high=[${RUN_NORMALISATION.mean.map((m, c) => Number(((1 - m) / RUN_NORMALISATION.std[c]!).toPrecision(6))).join(', ')}])`,
      );
      expect(result.composite.rules.find((r) => r.layer === 'maxpool')!.rule).toBe('Norm');
      expect(result.name).not.toBe(DEFAULT_NAME);
      expect(result.settings).toMatchObject({ defaults: false, values: { images: ['IDRiD_20'], noiseSeed: 9, start: 'referable' } });
      const entries = await fsp.readdir(path.join(study, 'explanations'));
      expect(entries.sort()).toEqual([DEFAULT_NAME, result.name].sort());
      const files = await fsp.readdir(path.join(study, 'explanations', result.name, 'heatmaps'));
      expect(files).toEqual([`${String(result.images[0]!.index).padStart(5, '0')}.f32`]);
      // The same settings (another batch size) replace their own result; the default one stays.
      const again = await explainRun(
        {
          runId: 'r18',
          datasetId: 'idrid',
          images: ['IDRiD_20'],
          start: 'referable',
          startValue: 'logit',
          lrp: { firstLayer: 'zbox', maxPool: 'proportional' },
          noiseSeed: 9,
          batchSize: 1,
        },
        study,
        recordingContext(),
      );
      expect(again.name).toBe(result.name);
      expect(again.createdAt >= result.createdAt).toBe(true);
      expect((await fsp.readdir(path.join(study, 'explanations'))).sort()).toEqual([DEFAULT_NAME, result.name].sort());
      const onDisk = ExplanationResult.parse(
        JSON.parse(await fsp.readFile(path.join(study, 'explanations', result.name, 'result.json'), 'utf8')),
      );
      expect(onDisk.createdAt).toBe(again.createdAt);
      expect(onDisk.request.batchSize).toBe(1);
    },
  );

  it('refuses bad input with the field named, and writes nothing when cancelled', async () => {
    await expect(explainRun({ runId: 'r18', datasetId: 'idrid', images: ['IDRiD_99'] }, study, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('"IDRiD_99"'),
      issues: [{ path: 'images', message: 'unknown image id' }],
    });
    await expect(explainRun({ runId: 'nope', datasetId: 'idrid' }, study, recordingContext())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      issues: [{ path: 'runId', message: 'no such run' }],
    });
    await expect(explainRun({ runId: 'r18', datasetId: 'nope' }, study, recordingContext())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      explainRun({ runId: 'r18', datasetId: 'idrid', lrp: { firstLayer: 'gamma' } } as never, study, recordingContext()),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', issues: [expect.objectContaining({ path: 'lrp.firstLayer' })] });
    const other = await writeRandomRun(study, 'r18-96', 'resnet18-w8', 96, 6);
    other.dispose();
    await expect(explainRun({ runId: 'r18-96', datasetId: 'idrid' }, study, recordingContext())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'datasetId', message: 'preprocessed at 64 px, the run needs 96 px' }],
    });

    const ctx = recordingContext();
    ctx.controller.abort();
    const before = tf.memory().numTensors;
    await expect(explainRun({ runId: 'r18', datasetId: 'idrid', images: 1 }, study, ctx)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
    const entries = await fsp.readdir(path.join(study, 'explanations'));
    expect(entries.filter((e) => e.startsWith('.'))).toEqual([]);
    expect(existsSync(path.join(study, 'explanations', DEFAULT_NAME, 'result.json'))).toBe(true);
  });
});

describe.skipIf(!available)('explainRun on a damaged cached mask', () => {
  it(
    'refuses the mask whose bytes differ from the manifest, naming the file, the image, the dataset and the remedy',
    { timeout: 60_000 },
    async () => {
      const damaged = await studyWithIdrid(await idridSubset([IDS[0]!]), S);
      (await writeRandomRun(damaged, 'r18', 'resnet18-w8', S, 5)).dispose();
      const m = DatasetManifest.parse(JSON.parse(await fsp.readFile(path.join(damaged, 'datasets', 'idrid', 'manifest.json'), 'utf8')));
      const ex = m.items[0]!.masks!.EX!.cache!;
      const file = path.join(damaged, 'datasets', 'idrid', ex.input);
      // A valid PNG of the right size, but not the one the import wrote: only the recorded hash tells them apart.
      await fsp.writeFile(
        file,
        await sharp({ create: { width: S, height: S, channels: 3, background: '#ffffff' } })
          .greyscale()
          .png()
          .toBuffer(),
      );
      const error = await explainRun({ runId: 'r18', datasetId: 'idrid' }, damaged, recordingContext()).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code).toBe('STUDY_CORRUPT');
      expect(error?.message).toContain(
        `The cached image ${file} of image "${IDS[0]} (EX mask)" in dataset "idrid" does not match its manifest`,
      );
      expect(error?.message).toMatch(/re-import the dataset to regenerate it\.$/);
      expect(existsSync(path.join(damaged, 'explanations', DEFAULT_NAME))).toBe(false);
    },
  );
});
