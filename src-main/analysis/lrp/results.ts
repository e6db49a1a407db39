/**
 * Reading explanation results (explanations/<name>/result.json with one float32 heatmap per image)
 * without tensors, for the main process and the report. An image id sent by the renderer must be one
 * of the result's images, and every resolved path must stay inside its folder.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import sharp, { type OutputInfo } from 'sharp';
import type { HeatmapAnswer } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { ExplanationResult, type ExplainLesion } from '../../../src-shared/explanations';
import { cacheDecodeError, readCacheFile } from '../../services/datasets/cache-check';
import { readDatasetManifest } from '../../services/datasets/manifest-file';
import { insideFolder, listResultFolders, readResultFolder } from '../../services/study-folder/result-folder';

/** Every explanation result of the study (unreadable ones skipped). */
export function listExplanations(studyPath: string): Promise<ExplanationResult[]> {
  return listResultFolders(studyPath, 'explanations', ExplanationResult);
}

/**
 * One image's heatmap of explanations/<name>/ ([H, W] float32 LE, the result's `heatmap.shape`) and,
 * with `withMasks`, the image's cached lesion masks of the scored lesions at the heatmap size (1 where
 * the cached mask is > 0, as the explain service scores them; resized by nearest neighbour if the
 * cache differs in size).
 */
export async function explanationHeatmap(studyPath: string, name: string, imageId: string, withMasks = false): Promise<HeatmapAnswer> {
  const { folder, result } = await readExplanation(studyPath, name);
  const image = result.images.find((im) => im.id === imageId);
  if (!image)
    throw new AppError('NOT_FOUND', `Image "${imageId}" is not among the images of the explanation "${name}".`, [
      { path: 'imageId', message: 'not an explained image' },
    ]);
  const [height, width] = result.heatmap.shape;
  const file = insideFolder(folder, image.heatmap, 'imageId');
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch {
    throw new AppError('STUDY_CORRUPT', `The heatmap ${file} of image "${imageId}" is missing or unreadable.`);
  }
  if (buf.length !== width * height * 4)
    throw new AppError(
      'STUDY_CORRUPT',
      `The heatmap ${file} has ${buf.length} bytes; a float32 [${height}, ${width}] heatmap has ${width * height * 4}.`,
    );
  const values = new Array<number>(width * height);
  for (let i = 0; i < values.length; i++) {
    const v = buf.readFloatLE(i * 4);
    if (!Number.isFinite(v)) throw new AppError('STUDY_CORRUPT', `The heatmap ${file} holds a non-finite value at pixel ${i}.`);
    values[i] = v;
  }
  const masks: Partial<Record<ExplainLesion, number[]>> = {};
  if (withMasks) {
    const { datasetDir, manifest } = await readDatasetManifest(path.resolve(studyPath), result.dataset.datasetId);
    const item = manifest.items.find((it) => it.id === imageId);
    for (const lesion of result.request.lesions) {
      const cached = item?.masks?.[lesion]?.cache?.input;
      if (!cached) continue;
      const maskFile = insideFolder(datasetDir, cached, 'imageId');
      let raw: { data: Buffer; info: OutputInfo };
      const what = `${imageId} (${lesion} mask)`;
      try {
        raw = await sharp(await readCacheFile(maskFile, what))
          .extractChannel(0)
          .resize(width, height, { fit: 'fill', kernel: 'nearest' })
          .raw()
          .toBuffer({ resolveWithObject: true });
      } catch (e) {
        throw cacheDecodeError(maskFile, what, e);
      }
      masks[lesion] = Array.from({ length: width * height }, (_, p) => (raw.data[p * raw.info.channels]! > 0 ? 1 : 0));
    }
  }
  return { width, height, values, masks };
}

/** The result and its folder (for the report's heatmaps). */
export function readExplanation(studyPath: string, name: string): Promise<{ folder: string; result: ExplanationResult }> {
  return readResultFolder(studyPath, 'explanations', name, ExplanationResult, 'explanation');
}
