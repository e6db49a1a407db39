/**
 * The embedded demo dataset: procedural, seeded, SYNTHETIC fundus photographs (with lesion masks)
 * in the EyePACS and IDRiD layouts, plus a non-fundus texture set. See fundus.ts for the model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FundusStyle } from './fundus';
import {
  syntheticNotice,
  writeEyepacsDemo,
  writeIdridDemo,
  writeTextureSet,
  type DemoProgress,
  type EyepacsDemoResult,
  type IdridDemoResult,
  type TextureSetResult,
} from './writers';

export { renderFundus, LESION_COUNTS, EX_SPOTS_PER_CLUSTER } from './fundus';
export type { FundusImage, FundusMasks, FundusStyle, Grade, Eye, LesionCounts, RenderFundusOptions } from './fundus';
export { renderTexture, TEXTURE_CLASSES } from './textures';
export type { TextureClass, TextureImage } from './textures';
export { Rng, mixSeedPair } from '../../random/prng';
export {
  writeEyepacsDemo,
  writeIdridDemo,
  writeTextureSet,
  encodeJpeg,
  encodeMaskTiff,
  syntheticNotice,
  EYEPACS_DISTRIBUTION,
  BALANCED_DISTRIBUTION,
  SAME_GRADE_BOTH_EYES,
} from './writers';
export type {
  DemoProgress,
  EyepacsDemoOptions,
  IdridDemoOptions,
  TextureSetOptions,
  EyepacsDemoResult,
  IdridDemoResult,
  TextureSetResult,
} from './writers';

export interface DemoDataOptions {
  seed: number;
  patients: number;
  testPatients: number;
  /** EyePACS images: square side, or width x height. */
  size: number | { width: number; height: number };
  balanced: boolean;
  style: FundusStyle;
  idridImages: number;
  idridHeight: number;
  texturesPerClass: number;
  textureSize: number;
}

export interface DemoDataResult {
  root: string;
  eyepacs: EyepacsDemoResult;
  idrid: IdridDemoResult | null;
  textures: TextureSetResult | null;
  elapsedMs: number;
}

/** Writes all three demo sets under `outDir` with a SYNTHETIC.txt at the root. */
export async function writeDemoData(outDir: string, o: DemoDataOptions, progress?: DemoProgress): Promise<DemoDataResult> {
  const started = performance.now();
  await mkdir(outDir, { recursive: true });
  await writeFile(
    path.join(outDir, 'SYNTHETIC.txt'),
    syntheticNotice('The FundusLab demo dataset (eyepacs/, idrid/, textures/)', o.seed, { ...o }),
  );
  const eyepacs = await writeEyepacsDemo(
    outDir,
    {
      patients: o.patients,
      testPatients: o.testPatients,
      size: o.size,
      seed: o.seed,
      distribution: o.balanced ? 'balanced' : 'eyepacs',
      style: o.style,
    },
    progress,
  );
  const idrid =
    o.idridImages > 0 ? await writeIdridDemo(outDir, { images: o.idridImages, size: o.idridHeight, seed: o.seed }, progress) : null;
  const textures =
    o.texturesPerClass > 0
      ? await writeTextureSet(outDir, { perClass: o.texturesPerClass, size: o.textureSize, seed: o.seed }, progress)
      : null;
  return { root: outDir, eyepacs, idrid, textures, elapsedMs: performance.now() - started };
}
