/**
 * Datasets of a study: the import request (one per supported source layout), the manifest written
 * to `datasets/<id>/manifest.json`, and the validation report written to
 * `datasets/<id>/validation.json` (docs/design.md, "The study folder").
 */
import { z } from 'zod';
import { AbsolutePath, FolderPath } from './study';

export const DATASET_SCHEMA_VERSION = 1;

/** Source layouts FundusLab can import. */
export const DatasetType = z.enum(['eyepacs', 'messidor2', 'idrid-grading', 'idrid-seg', 'folder']);
export type DatasetType = z.infer<typeof DatasetType>;

/** Lesion masks of IDRiD "A. Segmentation": microaneurysms, haemorrhages, hard/soft exudates, optic disc. */
export const Lesion = z.enum(['MA', 'HE', 'EX', 'SE', 'OD']);
export type Lesion = z.infer<typeof Lesion>;
export const LESIONS = Lesion.options;

export const Grade = z.number().int().min(0).max(4);
export const Split = z.enum(['train', 'test']);
export type Split = z.infer<typeof Split>;
export const Eye = z.enum(['left', 'right']);
export type Eye = z.infer<typeof Eye>;

/** A dataset id: becomes a folder name under `datasets/`. */
export const DatasetId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'Use lower-case letters, digits, ".", "_" and "-" (starting with a letter or digit)');

/** How images are preprocessed into the cache. Every field changes the cache key. */
export const PreprocessSettings = z.object({
  inputSize: z.number().int().min(32).max(2048).default(224).describe('Side of the square training input in pixels (the paper: 224)'),
  overlaySize: z
    .number()
    .int()
    .min(32)
    .max(4096)
    .default(512)
    .describe(
      "Side of the larger square copy kept for viewing and explanation overlays; never more than the side of the source's cropped square",
    ),
  cropThreshold: z
    .number()
    .int()
    .min(0)
    .max(254)
    .default(15)
    .describe('Luminance (0-255) above which a pixel of the downscaled image counts as retina when cropping the black border'),
  cropMargin: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.02)
    .describe("Margin added around the retina's bounding box, as a fraction of the box's larger side"),
  format: z
    .enum(['png', 'jpeg'])
    .default('png')
    .describe(
      'Format of the cached training inputs: PNG (lossless, default) or JPEG quality 95 (about 3x smaller). Overlay copies are always JPEG quality 95, masks PNG (inputs) and lossless WebP (overlays)',
    ),
});
export type PreprocessSettings = z.infer<typeof PreprocessSettings>;

/** Plausibility limits of the validation pass (they decide what is imported, not how). */
export const ValidationLimits = z.object({
  minSide: z.number().int().min(1).default(64).describe('Images whose shorter side is smaller (pixels) are excluded'),
  maxSide: z.number().int().min(1).default(10000).describe('Images whose longer side is larger (pixels) are excluded'),
  maxAspect: z.number().min(1).default(3).describe('Largest allowed width/height (or height/width) ratio'),
  maxImageBytes: z
    .number()
    .int()
    .min(1)
    .default(64 * 1024 * 1024)
    .describe('Image files larger than this (bytes) are excluded without being read'),
  maxMaskBytes: z
    .number()
    .int()
    .min(1)
    .default(64 * 1024 * 1024)
    .describe('Mask files larger than this (bytes) exclude their image without being read'),
});
export type ValidationLimits = z.infer<typeof ValidationLimits>;

const Common = {
  path: FolderPath.describe("Absolute path of the dataset's root folder (never written to)"),
  id: DatasetId.optional().describe(
    'Dataset id; default: the source folder\'s name in lower case, runs of characters other than a-z, 0-9, ".", "_" and "-" replaced by "-" (…/IDRiD Seg gives "idrid-seg"), so a re-import of a folder reuses its cache',
  ),
  settings: PreprocessSettings.prefault({}).describe('How images are preprocessed into the cache (every field changes the cache key)'),
  limits: ValidationLimits.prefault({}).describe('Plausibility limits of the validation pass (they decide what is imported, not how)'),
  preprocess: z
    .boolean()
    .default(true)
    .describe('false: validate only (decode every image), write the manifest and report but no cache files'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe('Images processed at the same time (each decode also uses libvips threads); default: the number of CPUs, at least 2'),
  replace: z
    .boolean()
    .optional()
    .describe(
      'Replace a dataset of the same id that runs, pretrainings, evaluations or analyses depend on (they stay and are marked outdated); without it such a re-import is refused',
    ),
  split: Split.nullable()
    .default(null)
    .describe(
      "Record every image in this split, whatever the layout says: `test` declares a held-out test set (training never uses it; evaluations and the study wizard default to it), `train` a set to train on; default: the layout's own splits (EyePACS `train/` and `test/`, IDRiD's training and testing sets; a plain folder has none)",
    ),
};

export const ImportRequest = z.discriminatedUnion('type', [
  z.object({
    type: z
      .literal('eyepacs')
      .describe(
        'EyePACS as the Kaggle "Diabetic Retinopathy Detection" download: `train/` and `test/` with `<patient>_<left|right>.jpeg`, `trainLabels.csv` (image, level) and optionally `retinopathy_solution.csv`',
      ),
    ...Common,
  }),
  z.object({
    type: z.literal('messidor2').describe('Messidor-2: the images and the adjudicated-grade CSV (image_id, adjudicated_dr_grade, …)'),
    ...Common,
    csv: AbsolutePath.optional().describe(
      'The adjudicated-grade CSV; default: the CSV in the dataset folder with `image_id` and `adjudicated_dr_grade`',
    ),
  }),
  z.object({
    type: z
      .literal('idrid-grading')
      .describe('IDRiD "B. Disease Grading": `1. Original Images/<set>/IDRiD_NNN.jpg` and the grade CSVs in `2. Groundtruths/`'),
    ...Common,
  }),
  z.object({
    type: z
      .literal('idrid-seg')
      .describe(
        'IDRiD "A. Segmentation": `1. Original Images/<set>/IDRiD_NN.jpg` and lesion masks in `2. All Segmentation Groundtruths/<set>/<lesion>/` (MA, HE, EX, SE, OD)',
      ),
    ...Common,
  }),
  z.object({
    type: z.literal('folder').describe('Any folder of images and a CSV naming each image and its grade 0-4'),
    ...Common,
    csv: AbsolutePath.describe('The label CSV (RFC 4180; `,`, `;` or tab)'),
    imageColumn: z.string().min(1).describe('Column naming the image file (with or without extension, or a path relative to the folder)'),
    gradeColumn: z.string().min(1).describe('Column with the ICDR grade 0-4'),
    patientColumn: z
      .string()
      .min(1)
      .optional()
      .describe('Column with the patient id, so both eyes stay on the same side of every split; default: each image is its own patient'),
  }),
]);
export type ImportRequest = z.input<typeof ImportRequest>;
export type ParsedImportRequest = z.output<typeof ImportRequest>;

/** Where the crop of an original image went: the retina's box (original pixels) padded to a square. */
export const CropGeometry = z.object({
  left: z.number().int().min(0),
  top: z.number().int().min(0),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** Side of the square the box is centred in (black padding makes up the difference). */
  side: z.number().int().min(1),
  padLeft: z.number().int().min(0),
  padTop: z.number().int().min(0),
});
export type CropGeometry = z.infer<typeof CropGeometry>;

export const SourceFile = z.object({
  /** Path relative to the dataset's source folder, with forward slashes. */
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().min(0),
});
export type SourceFile = z.infer<typeof SourceFile>;

/**
 * Cache files relative to `datasets/<id>/`: `input` (training input), `overlay` (larger copy), and the
 * SHA-256 of each as written (checked whenever a cache file is read; absent in manifests written before).
 */
export const CacheFiles = z.object({
  input: z.string(),
  overlay: z.string(),
  inputSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  overlaySha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type CacheFiles = z.infer<typeof CacheFiles>;

export const MaskEntry = z.object({
  source: SourceFile,
  /** Binary (0/255) PNG masks with the image's crop geometry; absent when preprocessing was off. */
  cache: CacheFiles.optional(),
  /** Lesion pixels in the original mask (after binarising with > 0). */
  positivePixels: z.number().int().min(0),
});
export type MaskEntry = z.infer<typeof MaskEntry>;

export const DatasetItem = z.object({
  /** Unique within the dataset (e.g. `10003_left`; IDRiD grading: `train/IDRiD_001`, its train and test ids overlap). */
  id: z.string().min(1),
  patient: z.string().min(1),
  eye: Eye.nullable(),
  grade: Grade.nullable(),
  /** Risk of diabetic macular edema where the source gives it (IDRiD 0-2, Messidor-2 0-1). */
  dme: z.number().int().min(0).nullable().optional(),
  split: Split.nullable(),
  source: SourceFile,
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  crop: CropGeometry.optional(),
  cache: CacheFiles.optional(),
  /** The EXIF orientation (2-8) applied on decoding (`width`/`height` are upright); absent: none needed. */
  orientation: z.number().int().min(2).max(8).optional(),
  /** The source's colour space converted to sRGB on decoding (`cmyk`, `icc:<profile>`); absent: sRGB or grey already. */
  colourSpace: z.string().optional(),
  /** Lesion masks that exist for this image; a lesion absent here has no mask in the source (no such lesion). */
  masks: z.partialRecord(Lesion, MaskEntry).optional(),
});
export type DatasetItem = z.infer<typeof DatasetItem>;

export const DatasetManifest = z.object({
  schemaVersion: z.literal(DATASET_SCHEMA_VERSION),
  id: DatasetId,
  type: DatasetType,
  /** Absolute path of the source folder at import time. */
  source: z.string(),
  created: z.string(),
  updated: z.string(),
  settings: PreprocessSettings,
  /** Hash of the settings that shaped the cache files (their folder name under `cache/`). */
  settingsKey: z.string(),
  preprocessed: z.boolean(),
  /** What the importer had to assume, e.g. "patient = image id (the source does not pair eyes)". */
  notes: z.array(z.string()),
  items: z.array(DatasetItem),
  /**
   * The preprocessing cache of these settings as the import left it (`cache/<settingsKey>/`): bytes and
   * number of every file the items use (training inputs, overlay copies, masks, entries), measured on
   * disk at import. Absent when the import only validated, and in manifests written before sizes were
   * recorded (a re-import records it).
   */
  cacheSize: z.object({ bytes: z.number().int().min(0), files: z.number().int().min(0) }).optional(),
});
export type DatasetManifest = z.infer<typeof DatasetManifest>;

export const IssueKind = z.enum([
  'missing-file', // a CSV row names an image that is not there
  'unlabelled', // an image with no CSV row
  'unreadable', // cannot be opened / decoded
  'truncated',
  'not-an-image',
  'implausible-size',
  'duplicate-id',
  'bad-grade', // outside 0-4 or not an integer
  'ungradable',
  'ungraded',
  'mask-size-mismatch',
  'mask-unreadable',
  'orphan-mask', // a mask whose image is missing
  'bad-csv', // a CSV that misses a column or cannot be parsed
  'ambiguous-file', // a CSV file name that matches several images
  'outside-folder', // a link that leads out of the dataset folder (never read)
  'not-a-regular-file', // a device, FIFO, socket or folder where a file is expected (never read)
  'too-large', // a file above its size limit (never read)
]);
export type IssueKind = z.infer<typeof IssueKind>;

export const ValidationIssue = z.object({
  kind: IssueKind,
  /** `error`: the item was left out; `warning`: it was imported (or nothing was lost). */
  severity: z.enum(['error', 'warning']),
  /** File concerned, relative to the source folder where possible. */
  file: z.string(),
  id: z.string().optional(),
  reason: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** Image counts per split (`train`, `test`, `none`) and grade (`0`-`4`, `ungraded`). */
export const GradeCounts = z.record(z.string(), z.record(z.string(), z.number().int()));
export type GradeCounts = z.infer<typeof GradeCounts>;

export const ValidationReport = z.object({
  schemaVersion: z.literal(DATASET_SCHEMA_VERSION),
  datasetId: DatasetId,
  type: DatasetType,
  source: z.string(),
  created: z.string(),
  counts: z.object({
    /** Images and label rows the importer looked at (distinct ids). */
    candidates: z.number().int(),
    imported: z.number().int(),
    excluded: z.number().int(),
    patients: z.number().int(),
    byKind: z.partialRecord(IssueKind, z.number().int()),
    /** Imported images turned upright by their EXIF orientation. */
    reoriented: z.number().int().optional(),
    /** Imported images converted to sRGB from another colour space (CMYK, an embedded non-sRGB profile). */
    colourConverted: z.number().int().optional(),
  }),
  perSplitGrade: GradeCounts,
  /** Number of imported images with a mask of each lesion. */
  masks: z.partialRecord(Lesion, z.number().int()).optional(),
  issues: z.array(ValidationIssue),
  notes: z.array(z.string()),
  /** What the import read: regular files inside the source folder only, each at most these sizes. */
  limits: z
    .object({
      maxImageBytes: z.number().int(),
      maxMaskBytes: z.number().int(),
      maxCsvBytes: z.number().int(),
      maxSide: z.number().int(),
    })
    .optional(),
});
export type ValidationReport = z.infer<typeof ValidationReport>;

/**
 * The preprocessing cache a run, a pretraining or a result read its images from (`preprocessing.json`
 * in its folder): every consumer reads a dataset at an input size from the cache folder of the
 * import's settings with that size, rendered from the source image (at the import's size: the
 * import's own cache; at another size: made on demand by the same rendering).
 */
export const CacheUse = z
  .object({
    datasetId: z.string(),
    /** The input size the images were read at. */
    inputSize: z.number().int(),
    /** The input size the dataset was imported at. */
    importSize: z.number().int(),
    /** The cache folder `datasets/<id>/cache/<settingsKey>/`. */
    settingsKey: z.string(),
    /** The images were rendered at `inputSize` from the source image (never resampled from another size's cache). */
    resampling: z.literal('from source'),
    /** Images read. */
    images: z.number().int().nonnegative(),
  })
  .strict();
export type CacheUse = z.infer<typeof CacheUse>;

/** `preprocessing.json`: the caches a run, pretraining or result used (one per dataset and input size). */
export const PreprocessingRecord = z
  .object({
    caches: z.array(CacheUse),
    recordedAt: z.string(),
  })
  .strict();
export type PreprocessingRecord = z.infer<typeof PreprocessingRecord>;

/** A dataset's preprocessing cache at one input size (the import's settings otherwise). */
export const CacheSize = z
  .object({
    inputSize: z.number().int(),
    settingsKey: z.string(),
    /** The size the dataset is imported at (its manifest's cache). */
    imported: z.boolean(),
    /** Images with a cache entry in the folder. */
    images: z.number().int().nonnegative(),
    /** Bytes of the folder's files. */
    bytes: z.number().int().nonnegative(),
  })
  .strict();
export type CacheSize = z.infer<typeof CacheSize>;

export const ImportResult = z.object({
  datasetId: DatasetId,
  /** Absolute paths of the written files. */
  manifestPath: z.string(),
  validationPath: z.string(),
  imported: z.number().int(),
  excluded: z.number().int(),
  /** Images decoded and written to the cache in this run. */
  processed: z.number().int(),
  /** Images whose cache entry was reused (same content and settings). */
  cached: z.number().int(),
  /** Lesion masks decoded and written in this run. */
  masksProcessed: z.number().int(),
  seconds: z.number(),
  /**
   * The preprocessing cache as the import left it (the manifest's `cacheSize`, per image, and its folder); null when it
   * only validated (and in results of older versions).
   */
  cache: z
    .object({
      bytes: z.number().int().min(0),
      files: z.number().int().min(0),
      bytesPerImage: z.number().int().min(0),
      folder: z.string(),
    })
    .nullable()
    .default(null),
  report: ValidationReport,
  /** The dataset's preprocessing caches after the import, one per input size (the import's and those made on demand). */
  cacheSizes: z.array(CacheSize).optional(),
});
export type ImportResult = z.infer<typeof ImportResult>;

/**
 * The synthetic demo data added to a study from the app (job kind dataset.demo): generated images in
 * the EyePACS layout (with a test split) and the IDRiD segmentation layout (lesion masks), written to
 * `<study>/demo-data/` and imported as the datasets `eyepacs-demo` and `idrid-demo`. For trying FundusLab
 * without patient data; every screen and the report say the images are synthetic.
 */
export const DemoDataRequest = z
  .object({
    patients: z.number().int().min(4).max(2000).default(60).describe('Training-split patients (two eyes each)'),
    testPatients: z.number().int().min(2).max(2000).default(20).describe('Test-split patients'),
    idridImages: z.number().int().min(0).max(200).default(6).describe('IDRiD-layout images with lesion masks (0: none)'),
    inputSize: z.number().int().min(32).max(1024).default(64).describe('Training input size the images are preprocessed at'),
    seed: z.number().int().nonnegative().default(1).describe('Seed of the generator'),
  })
  .strict();
export type DemoDataRequest = z.output<typeof DemoDataRequest>;
export const DemoDataResult = z
  .object({
    folder: z.string().describe('Where the generated source images are'),
    datasets: z.array(z.object({ datasetId: DatasetId, imported: z.number().int(), reused: z.boolean() }).strict()),
    seconds: z.number(),
  })
  .strict();
export type DemoDataResult = z.infer<typeof DemoDataResult>;

/**
 * The refusal of a re-import that would replace a dataset others depend on (code CONFLICT): names the
 * dataset, why it would change and each dependent (`run <id>`, `pretraining <id>`, `evaluation <name>`, …).
 */
export function replaceRefusalMessage(datasetId: string, change: string, dependents: readonly string[]): string {
  const n = dependents.length;
  return (
    `Dataset "${datasetId}" already exists and ${n} item${n === 1 ? '' : 's'} of the study depend${n === 1 ? 's' : ''} on it: ${dependents.join(', ')}. ` +
    `This import would replace it (${change}). Nothing was changed. Import with --replace (in the app: confirm the replacement) to replace it: ` +
    `these items stay in the study and are marked outdated, as their dataset changed; or import under another id (--id).`
  );
}

/** Whether a failed import (its error code and message) was refused for want of `replace`: the app then asks to confirm it. */
export function isReplaceRefusal(error: { code: string; message: string } | null | undefined): boolean {
  return error?.code === 'CONFLICT' && / already exists and \d+ items? of the study depends? on it: /.test(error.message);
}

/** `512 B`, `12.3 kB`, `4.56 MB` (decimal units, 3 significant digits). */
export function decimalBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/** A dataset's preprocessing cache in words: `312 MB (105 kB per image, 9102 files)`. */
export function cacheSizeText(size: { bytes: number; files: number; bytesPerImage: number }): string {
  return `${decimalBytes(size.bytes)} (${decimalBytes(size.bytesPerImage)} per image, ${size.files} files)`;
}
