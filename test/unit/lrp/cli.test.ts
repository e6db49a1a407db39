/**
 * `funduslab explain` and `funduslab bench lrp` called in-process (registered in
 * cli/main.ts and cli/commands/bench.ts): arguments reach the service, --json prints the results,
 * the text output is the Table-3-like summary, bad arguments are BAD_REQUEST naming the option;
 * the bench's report is consistent (ratio = LRP time / gradient time) and leaks no tensors.
 * `--png <dir>`: one PNG per image in <dir>/<result name>/ whose pixels equal overlayPixels of the
 * cached overlay copy, masks and heatmap file (exact), and overlays.csv whose P(referable) equals the
 * softmax of the recorded logits summed over the run's referable grades, computed here (1e-12).
 */
import tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBenchLrp } from '../../../src-main/cli/commands/bench-lrp';
import { runExplain } from '../../../src-main/cli/commands/explain';
import { initEngine } from '../../../src-main/engine/backend';
import { ExplanationResult } from '../../../src-shared/explanations';
import { captureOutput } from '../../support/cli';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { listExplanations } from '../../../src-main/analysis/lrp/results';
import { overlayFile, overlayPixels } from '../../../src-main/analysis/lrp/overlays';
import type { ExplainLesion } from '../../../src-shared/explanations';
import { tempDir } from '../../support/files';
import { readManifest } from '../../support/studies';
import { realDataAvailable } from '../../support/real-data';
import { idridSubset, studyWithIdrid, writeRandomRun } from './service-helpers';

const available = realDataAvailable('idrid-seg-quarter');
let study: string;

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
  if (!available) return;
  study = await studyWithIdrid(await idridSubset(['IDRiD_05', 'IDRiD_12']), 48);
  (await writeRandomRun(study, 'a', 'resnet18-w4', 48, 1)).dispose();
  (await writeRandomRun(study, 'b', 'resnet50-w2', 48, 2)).dispose();
}, 120_000);

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!available)('funduslab explain', () => {
  it('explains two runs with --json and passes the options through', { timeout: 60_000 }, async () => {
    const io = captureOutput();
    const code = await runExplain([
      '--study',
      study,
      '--runs',
      'a,b',
      '--dataset',
      'idrid',
      '--images',
      '1',
      '--start',
      'referable',
      '--referable',
      '2,3,4',
      '--first-layer',
      'flat',
      '--max-pool',
      'proportional',
      '--lesions',
      'EX,HE',
      '--noise-seed',
      '3',
      '--json',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(io.out()) as { ok: boolean; value: unknown[] };
    expect(printed.ok).toBe(true);
    const results = printed.value.map((v) => ExplanationResult.parse(v));
    expect(results.map((r) => r.run.runId)).toEqual(['a', 'b']);
    for (const r of results) {
      expect(r.images).toHaveLength(1);
      expect(r.images[0]!.startClasses).toEqual([2, 3, 4]);
      expect(r.request).toMatchObject({
        start: 'referable',
        lesions: ['EX', 'HE'],
        noiseSeed: 3,
        lrp: { firstLayer: 'flat', maxPool: 'proportional', sum: 'proportional' },
      });
      expect(Object.keys(r.summary).sort()).toEqual(['EX', 'HE', 'union']);
      expect(r.composite.rules[0]).toMatchObject({ layer: 'conv1', rule: 'Flat' });
    }
  });

  it('prints the Table-3 summary without --json', { timeout: 60_000 }, async () => {
    const io = captureOutput();
    expect(await runExplain(['--study', study, '--runs', 'a', '--dataset', 'idrid'])).toBe(0);
    const text = io.out();
    expect(text).toMatch(/Run a \(IWNE-FS, resnet18-w4, 48 px\) on idrid: 2 image\(s\)/);
    for (const region of ['MA', 'HE', 'EX', 'union']) expect(text).toMatch(new RegExp(`\\n  ${region}\\s+\\d+\\s+sum,pos`));
    expect(text.match(/l2-norm,sq/g)).toHaveLength(4);
  });

  it('writes overlay PNGs and overlays.csv with --png, and prints the outside-fundus share', { timeout: 60_000 }, async () => {
    const io = captureOutput();
    const out = await tempDir('overlays');
    expect(await runExplain(['--study', study, '--runs', 'a', '--dataset', 'idrid', '--noise-seed', '5', '--png', out])).toBe(0);
    const text = io.out();
    const result = (await listExplanations(study)).find((r) => r.run.runId === 'a' && r.request.noiseSeed === 5)!;
    expect(text).toContain(`Positive relevance outside the fundus: ${result.outsideFundus!.mean!.toFixed(4)} (mean over 2 image(s))`);
    expect(text).toContain(`Overlays: 2 PNG(s) and overlays.csv in ${path.join(out, result.name)}`);
    const dir = path.join(out, result.name);
    expect((await fsp.readdir(dir)).sort()).toEqual([...result.images.map((im) => overlayFile(im.index)), 'overlays.csv'].sort());
    const manifest = await readManifest(study, 'idrid');
    const datasetDir = path.join(study, 'datasets', 'idrid');
    const O = manifest.settings.overlaySize;
    const csv = (await fsp.readFile(path.join(dir, 'overlays.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('image_id,index,grade,p_referable,union_rma_sum_pos,union_rra_sum_pos,outside_fundus_share,png');
    for (const [i, im] of result.images.entries()) {
      const item = manifest.items[im.index]!;
      const rgb = async (file: string) =>
        new Uint8Array((await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true })).data);
      const masks: Partial<Record<ExplainLesion, Uint8Array>> = {};
      for (const l of result.request.lesions) {
        const m = item.masks?.[l]?.cache?.overlay;
        if (!m) continue;
        const { data, info } = await sharp(path.join(datasetDir, m)).raw().toBuffer({ resolveWithObject: true });
        masks[l] = Uint8Array.from({ length: O * O }, (_, p) => (data[p * info.channels]! > 0 ? 1 : 0));
      }
      const buf = await fsp.readFile(path.join(study, 'explanations', result.name, im.heatmap));
      const expected = overlayPixels({
        image: await rgb(path.join(datasetDir, item.cache!.overlay)),
        size: O,
        heatmap: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)),
        heatmapSize: 48,
        masks,
        crop: item.crop,
        cropMargin: manifest.settings.cropMargin,
      });
      expect(Buffer.from(await rgb(path.join(dir, overlayFile(im.index)))).equals(Buffer.from(expected))).toBe(true);
      const cells = csv[i + 1]!.split(',');
      expect(cells[0]).toBe(im.id);
      const e = im.logits.map((z) => Math.exp(z - Math.max(...im.logits)));
      const p = result.run.referable.reduce((s, g) => s + e[g]!, 0) / e.reduce((a, b) => a + b, 0);
      expect(Math.abs(Number(cells[3]) - p)).toBeLessThanOrEqual(1e-12);
      expect(Number(cells[6])).toBe(im.outsideFundusShare);
      expect(cells[7]).toBe(overlayFile(im.index));
    }
  });

  it('refuses missing or bad options naming them', async () => {
    captureOutput();
    await expect(runExplain(['--study', study, '--dataset', 'idrid'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'runs', message: expect.any(String) }],
    });
    await expect(runExplain(['--study', study, '--runs', 'a', '--dataset', 'idrid', '--max-pool', 'average'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [expect.objectContaining({ path: 'lrp.maxPool' })],
    });
    await expect(runExplain(['--study', study, '--runs', 'a', '--dataset', 'idrid', '--noise-seed', 'x'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'noise-seed', message: 'not an integer' }],
    });
  });
});

describe('funduslab bench lrp', () => {
  it('reports LRP and gradient times on the active backend with their ratio (tiny net)', { timeout: 60_000 }, async () => {
    const io = captureOutput();
    const before = tf.memory().numTensors;
    expect(await runBenchLrp(['--arch', 'resnet18-w2', '--size', '32', '--runs', '1', '--json'])).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const report = (
      JSON.parse(io.out()) as {
        value: { ratio: number; lrpMs: number; gradientMs: number; forwardMs: number; backend: string; target: number };
      }
    ).value;
    expect(report.backend).toBe(tf.getBackend());
    expect(report.ratio).toBeCloseTo(report.lrpMs / report.gradientMs, 10);
    expect(report.lrpMs).toBeGreaterThan(0);
    expect(report.target).toBe(3);
    await expect(runBenchLrp(['--size', '0'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
