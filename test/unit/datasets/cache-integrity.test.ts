/**
 * Cache integrity: the manifest records the SHA-256 of every cache file; the loader training, evaluation
 * and the analyses share (ImageSource) refuses a cache file that differs from it, and a cache file that
 * does not decode ("vipspng: libpng read error", "Warning treated as error due to failOn setting"),
 * with an error naming the file, the image, the dataset and the remedy; a re-import verifies the cache
 * files it would reuse and regenerates the damaged ones; a manifest without hashes keeps working.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { importDataset } from '../../../src-main/services/datasets/import/import-service';
import { datasetImage } from '../../../src-main/services/datasets/view';
import { studyLayout } from '../../../src-main/services/study-folder/layout';
import { ImageSource, planTrainingData, type TrainingItem } from '../../../src-main/services/training/data';
import { TrainingSpec } from '../../../src-shared/training';
import type { DatasetManifest } from '../../../src-shared/datasets';
import { tempDir } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, makeStudy, readManifest } from '../../support/studies';

const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
let study: string;
let source: string;

beforeEach(async () => {
  source = path.join(await tempDir('integrity-src'), 'demo');
  await writeEyepacsDemo(source, { patients: 6, testPatients: 2, size: 96, seed: 5, distribution: 'balanced' });
  study = await makeStudy();
  await importDataset(
    { type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
    study,
    recordingContext(),
  );
}, 60_000);

const reimport = () =>
  importDataset(
    { type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
    study,
    recordingContext(),
  );

/** The first training item as the loader sees it, and its ImageSource (the manifest read as training reads it). */
async function firstTrainingItem(): Promise<{ item: TrainingItem; source: ImageSource }> {
  const data = await planTrainingData(TrainingSpec.parse(demoSpec({ inputSize: 64, validationFraction: 0.3 })), study);
  return { item: data.train[0]!, source: new ImageSource(64, 0) };
}

describe('cache hashes in the manifest', () => {
  it('records the SHA-256 of every cache file as written', async () => {
    const dir = studyLayout(study).dataset('demo').dir;
    const manifest = await readManifest(study, 'demo');
    expect(manifest.items.length).toBe(16);
    for (const item of manifest.items) {
      expect(item.cache!.inputSha256).toBe(sha(await fsp.readFile(path.join(dir, item.cache!.input))));
      expect(item.cache!.overlaySha256).toBe(sha(await fsp.readFile(path.join(dir, item.cache!.overlay))));
    }
  });
});

describe('a damaged cache file', () => {
  it('that differs from its recorded hash is refused by the loader, naming file, image and dataset; a re-import regenerates it', async () => {
    const { item, source: images } = await firstTrainingItem();
    const good = await fsp.readFile(item.file);
    // Another valid PNG of the same size: it decodes, only the hash tells.
    await fsp.writeFile(item.file, await sharp(good).negate().png().toBuffer());
    const error = await images.get(item).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STUDY_CORRUPT' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The cached image ${item.file} of image "${item.id}" in dataset "demo" does not match its manifest: SHA-256 [0-9a-f]{64} instead of ` +
          `the recorded ${sha(good)} \\(the file was changed or damaged after the import\\); re-import the dataset to regenerate it\\.$`,
      ),
    );

    const ctx = recordingContext();
    const r = await importDataset(
      { type: 'eyepacs', path: path.join(source, 'eyepacs'), id: 'demo', settings: { inputSize: 64, overlaySize: 64 }, concurrency: 2 },
      study,
      ctx,
    );
    expect(r).toMatchObject({ processed: 1, cached: 15 });
    expect(ctx.messages.join('\n')).toContain(
      `Regenerated 1 cache file(s) that no longer had their recorded SHA-256 or did not decode: cache/`,
    );
    expect(await fsp.readFile(item.file)).toEqual(good);
    const again = await firstTrainingItem();
    expect((await again.source.get(again.item)).length).toBe(64 * 64 * 3);
  });

  it('that does not decode (truncated PNG) is named by the loader and the image view, in a manifest without hashes too', async () => {
    // A manifest written before hashes were recorded: no check by hash, the decoder's error names the file.
    const manifestFile = studyLayout(study).dataset('demo').manifest;
    const manifest = await readManifest(study, 'demo');
    const legacy: DatasetManifest = {
      ...manifest,
      items: manifest.items.map((i) => ({ ...i, cache: { input: i.cache!.input, overlay: i.cache!.overlay } })),
    };
    await fsp.writeFile(manifestFile, JSON.stringify(legacy, null, 2));
    const { item, source: images } = await firstTrainingItem();
    const other = (await planTrainingData(TrainingSpec.parse(demoSpec({ inputSize: 64, validationFraction: 0.3 })), study)).train[1]!;
    expect((await images.get(other)).length).toBe(64 * 64 * 3); // old manifests keep working
    const good = await fsp.readFile(item.file);
    await fsp.writeFile(item.file, good.subarray(0, Math.floor(good.length * 0.6)));
    const error = await images.get(item).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STUDY_CORRUPT' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The cached image ${item.file} of image "${item.id}" in dataset "demo" cannot be decoded \\(.*(libpng read error|failOn setting).*\\); ` +
          're-import the dataset to regenerate it\\.$',
      ),
    );
    await expect(datasetImage({ studyPath: study, datasetId: 'demo', itemId: item.id, variant: 'input' })).rejects.toMatchObject({
      code: 'STUDY_CORRUPT',
      message: expect.stringMatching(
        new RegExp(`^The cached image .*${path.basename(item.file)} of image "${item.id}" in dataset "demo" cannot be decoded`),
      ),
    });

    // The re-import finds it by decoding (no hash recorded), regenerates it and records hashes from now on.
    const r = await reimport();
    expect(r).toMatchObject({ processed: 1, cached: 15 });
    expect(await fsp.readFile(item.file)).toEqual(good);
    const after = await readManifest(study, 'demo');
    expect(after.items.every((i) => /^[0-9a-f]{64}$/.test(i.cache!.inputSha256 ?? ''))).toBe(true);
    expect((await images.get(item)).length).toBe(64 * 64 * 3);
  });
});
