/**
 * The study folder's layout: the one module that names the folders and files of a study. Every
 * other module asks it for a path; none spells a study folder or file name itself (a test checks
 * this). Pure path arithmetic — no file system access — so every layer above the engine may use it.
 *
 * ```
 * <study>/
 *   study.json  study-plan.json  grid.json
 *   datasets/<id>/        manifest.json, validation.json, cache/<settings-key>/<shard>/<file>; .lock while an import
 *                         writes it; validation.next.json while an import commits; stats/<settings-key>.json (the
 *                         input statistics of the domain-shift check)
 *   runs/<run-id>/        spec.json, identity.json, split.json, preprocessing.json, log.ndjson, metrics.json, normalisation.json,
 *                         best/{model.safetensors, metrics.json}, checkpoint/, checkpoint.prev/; stop-request.json
 *                         while a "finish after this epoch" request waits; metrics-until-epoch-<E>.json after an extension
 *   pretrain/<id>/        settings.json, split.json, preprocessing.json, summary.json, log.ndjson, normalisation.json, encoder.safetensors,
 *                         checkpoint/, checkpoint.prev/
 *   evaluations/<run>__<dataset>__<split>/   result.json, inputs.json, preprocessing.json, predictions.csv
 *   spectra/<run>__<dataset>__<settings>/    result.json, inputs.json, preprocessing.json
 *   robustness/<dataset>__<runs>__<settings>/   result.json, inputs.json, preprocessing.json, gallery/*.png
 *   explanations/<run>__<dataset>__<settings>/  result.json, inputs.json, preprocessing.json, heatmaps/
 *                         (<settings>: 8 hex digits of the settings hash, settingsResultName; results written
 *                         before are named without it and still read)
 *   reports/              report-<time>.pdf and its <name>-assets/ folder
 *   jobs/                 <job-id>.json, <job-id>.log
 *   demo-data/            the synthetic demo data the app generates into the study (textures/: the stand-ins' texture set)
 *   .trash/<time>/        deleted items at their path inside the study, and trash-entry.json
 *   standin-weights/<arch>-<size>-<scale>/   demo stand-ins for the IFI weights (job kind weights.standin)
 *   cluster.json          the study's Slurm defaults (any `funduslab grid --executor slurm` option)
 *   cluster/<submission-id>/   submission.json, <role>.sbatch scripts, <jobid>_<index>.log task logs,
 *                         tasks/<role>-<index>.json (each task's own record)
 * ```
 *
 * A run folder and a pretraining folder hold `.lock` while a process (a local run or a cluster task)
 * trains them (study-folder/lock.ts withWorkLock).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { canonicalJson, settingsValues, type ResultSettings } from '../../../src-shared/result-settings';

export const STUDY_FILE = 'study.json';
export const STUDY_PLAN_FILE = 'study-plan.json';
export const GRID_FILE = 'grid.json';
/** The file every result folder (evaluations, spectra, robustness, explanations) holds. */
export const RESULT_FILE = 'result.json';
/** What a result was computed from (dataset content hashes, run models): services/runs/identity.ts. */
export const RESULT_INPUTS_FILE = 'inputs.json';
export const PREDICTIONS_FILE = 'predictions.csv';
export const MANIFEST_FILE = 'manifest.json';
export const VALIDATION_FILE = 'validation.json';
/** The validation report of an import that is being committed (renamed to validation.json right after its manifest). */
export const PENDING_VALIDATION_FILE = 'validation.next.json';
export const GALLERY_FOLDER = 'gallery';

/** The study's top-level folders, by what they hold. */
export const STUDY_FOLDERS = {
  datasets: 'datasets',
  runs: 'runs',
  pretrain: 'pretrain',
  evaluations: 'evaluations',
  spectra: 'spectra',
  robustness: 'robustness',
  explanations: 'explanations',
  reports: 'reports',
  jobs: 'jobs',
  demoData: 'demo-data',
  cluster: 'cluster',
} as const;
export type StudyFolderKind = keyof typeof STUDY_FOLDERS;

/** The folders a new study is created with (the others appear when something is written into them). */
export const NEW_STUDY_FOLDERS: readonly StudyFolderKind[] = ['datasets', 'runs', 'reports', 'jobs'];

/** The result folders written by writeResultFolder (one folder per result, named by its settings). */
export type ResultFolderKind = 'evaluations' | 'spectra' | 'robustness' | 'explanations';

/** First 8 hex digits of SHA-256 of the settings' canonical JSON (keys sorted, undefined members left out). */
export function settingsHash(values: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(values)).digest('hex').slice(0, 8);
}

/**
 * An analysis result's folder name and its recorded settings: the readable parts (run, dataset …) and
 * the settings hash joined by `__`. `defaults` are the settings of a request naming only the run(s)
 * and the dataset.
 */
export function settingsResultName(
  readable: readonly string[],
  values: Record<string, unknown>,
  defaults: Record<string, unknown>,
): { name: string; settings: ResultSettings } {
  const hash = settingsHash(values);
  return {
    name: [...readable, hash].join('__'),
    settings: { hash, values: settingsValues(values), defaults: hash === settingsHash(defaults) },
  };
}

/** A checkpoint folder and its committed predecessor (training runs and pretrainings share the protocol). */
export interface CheckpointLayout {
  /** The last complete checkpoint. */
  dir: string;
  /** The checkpoint before it, kept while a new one is swapped in. */
  previousDir: string;
}
/** The files inside a checkpoint folder (a pretraining's holds `moco` instead of `model`). */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  moco: 'moco.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'state.json',
} as const;

function checkpointOf(dir: string): CheckpointLayout {
  return { dir: path.join(dir, 'checkpoint'), previousDir: path.join(dir, 'checkpoint.prev') };
}

export interface DatasetLayout {
  dir: string;
  manifest: string;
  validation: string;
  /** The new validation report while an import commits: renamed to `validation` once the new manifest is in place. */
  pendingValidation: string;
  /** Root of the preprocessing caches (one sub-folder per settings key). */
  cacheRoot: string;
  /** Per-image statistics of the preprocessed inputs with settings `key` (services/datasets/input-stats.ts). */
  stats(key: string): string;
}

export interface RunLayout {
  dir: string;
  spec: string;
  /** What trained the run beyond its spec (dataset content hash, weights SHA-256): services/runs/identity.ts. */
  identity: string;
  /** The dataset content and the training and validation ids the run uses: services/runs/identity.ts. */
  split: string;
  /** The preprocessing cache the run reads its images from (PreprocessingRecord). */
  preprocessing: string;
  log: string;
  /** The finished run's TrainingResult. */
  metrics: string;
  normalisation: string;
  bestDir: string;
  bestModel: string;
  bestMetrics: string;
  checkpoint: CheckpointLayout;
  /**
   * "Finish after this epoch": written atomically by whoever asks (services/runs/steer.ts), read by the
   * process that trains the run after each finished epoch, removed when the run ends.
   */
  stopRequest: string;
  /** The result of the run before it was extended from epoch `epoch` (metrics.json moved aside). */
  metricsBeforeExtension(epoch: number): string;
}

export interface PretrainLayout {
  dir: string;
  /** The settings that identify the pretraining. */
  settings: string;
  /** The dataset content and the image ids the pretraining uses: services/runs/identity.ts. */
  split: string;
  /** The preprocessing cache the pretraining reads its images from (PreprocessingRecord). */
  preprocessing: string;
  /** Written when the pretraining finished. */
  summary: string;
  log: string;
  normalisation: string;
  encoder: string;
  checkpoint: CheckpointLayout;
}

/** One cluster submission's folder (services/cluster). */
export interface ClusterSubmissionLayout {
  dir: string;
  submission: string;
  /** `<role>.sbatch`: the script of one of the submission's jobs. */
  script(role: string): string;
  /** The sbatch --output pattern of the submission's tasks: `%A_%a.log` (`%j.log` for a plain job). */
  logPattern(array: boolean): string;
  /** The log Slurm writes for one task (array job id and index, or the job id of a plain job). */
  log(jobId: string, arrayIndex: number | null): string;
  tasksDir: string;
  /** `tasks/<role>-<index>.json`: the task's own record. */
  taskRecord(role: string, index: number): string;
}

export interface ResultFolderLayout {
  /** `<study>/<kind>/`: the parent of every result of this kind. */
  parent: string;
  dir: string;
  result: string;
  /** inputs.json: what the result was computed from. */
  inputs: string;
  /** preprocessing.json: the preprocessing caches the result read its images from. */
  preprocessing: string;
}

/** Every path of one study, from its folder. */
export class StudyLayout {
  readonly root: string;

  constructor(studyPath: string) {
    this.root = path.resolve(studyPath);
  }

  folder(kind: StudyFolderKind): string {
    return path.join(this.root, STUDY_FOLDERS[kind]);
  }

  get studyFile(): string {
    return path.join(this.root, STUDY_FILE);
  }

  get planFile(): string {
    return path.join(this.root, STUDY_PLAN_FILE);
  }

  get gridFile(): string {
    return path.join(this.root, GRID_FILE);
  }

  dataset(datasetId: string): DatasetLayout {
    const dir = path.join(this.folder('datasets'), datasetId);
    return {
      dir,
      manifest: path.join(dir, MANIFEST_FILE),
      validation: path.join(dir, VALIDATION_FILE),
      pendingValidation: path.join(dir, PENDING_VALIDATION_FILE),
      cacheRoot: path.join(dir, CACHE_FOLDER),
      stats: (key: string) => path.join(dir, STATS_FOLDER, `${key}.json`),
    };
  }

  run(runId: string): RunLayout {
    const dir = path.join(this.folder('runs'), runId);
    const bestDir = path.join(dir, 'best');
    return {
      dir,
      spec: path.join(dir, 'spec.json'),
      identity: path.join(dir, 'identity.json'),
      split: path.join(dir, SPLIT_FILE),
      preprocessing: path.join(dir, PREPROCESSING_FILE),
      log: path.join(dir, 'log.ndjson'),
      metrics: path.join(dir, 'metrics.json'),
      normalisation: path.join(dir, 'normalisation.json'),
      bestDir,
      bestModel: path.join(bestDir, 'model.safetensors'),
      bestMetrics: path.join(bestDir, 'metrics.json'),
      checkpoint: checkpointOf(dir),
      stopRequest: path.join(dir, 'stop-request.json'),
      metricsBeforeExtension: (epoch) => path.join(dir, `metrics-until-epoch-${epoch}.json`),
    };
  }

  /** A pretraining's folder; `dir` overrides where it lives (tests, the stand-in weights). */
  pretrain(id: string, dir?: string): PretrainLayout {
    const root = dir ? path.resolve(dir) : path.join(this.folder('pretrain'), id);
    return pretrainFiles(root);
  }

  /** `<study>/cluster.json`: the study's Slurm defaults. */
  get clusterDefaultsFile(): string {
    return path.join(this.root, 'cluster.json');
  }

  /** `<study>/cluster/<id>/`: one Slurm submission. */
  clusterSubmission(id: string): ClusterSubmissionLayout {
    const dir = path.join(this.folder('cluster'), id);
    const tasksDir = path.join(dir, 'tasks');
    return {
      dir,
      submission: path.join(dir, 'submission.json'),
      script: (role) => path.join(dir, `${role}.sbatch`),
      logPattern: (array) => path.join(dir, array ? '%A_%a.log' : '%j.log'),
      log: (jobId, arrayIndex) => path.join(dir, arrayIndex === null ? `${jobId}.log` : `${jobId}_${arrayIndex}.log`),
      tasksDir,
      taskRecord: (role, index) => path.join(tasksDir, `${role}-${index}.json`),
    };
  }

  /** `<kind>/<name>/` and its result.json. */
  result(kind: ResultFolderKind, name: string): ResultFolderLayout {
    const parent = this.folder(kind);
    const dir = path.join(parent, name);
    return {
      parent,
      dir,
      result: path.join(dir, RESULT_FILE),
      inputs: path.join(dir, RESULT_INPUTS_FILE),
      preprocessing: path.join(dir, PREPROCESSING_FILE),
    };
  }

  evaluation(name: string): ResultFolderLayout & { predictions: string } {
    const r = this.result('evaluations', name);
    return { ...r, predictions: path.join(r.dir, PREDICTIONS_FILE) };
  }

  /** reports/report-<time>.pdf: where a report goes when no file is given. */
  defaultReportFile(now = new Date()): string {
    return path.join(this.folder('reports'), `report-${now.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.pdf`);
  }
}

export const CACHE_FOLDER = 'cache';
/** datasets/<id>/stats/: input statistics per settings key, for the domain-shift check. */
export const STATS_FOLDER = 'stats';
/** A run's or a pretraining's record of the dataset content and item ids it uses. */
export const SPLIT_FILE = 'split.json';
/** A run's, a pretraining's or a result's record of the preprocessing caches it read (src-shared/datasets.ts PreprocessingRecord). */
export const PREPROCESSING_FILE = 'preprocessing.json';

/** A pretraining folder's files (the folder itself may lie outside a study: stand-in weights). */
export function pretrainFiles(dir: string): PretrainLayout {
  return {
    dir,
    settings: path.join(dir, 'settings.json'),
    split: path.join(dir, SPLIT_FILE),
    preprocessing: path.join(dir, PREPROCESSING_FILE),
    summary: path.join(dir, 'summary.json'),
    log: path.join(dir, 'log.ndjson'),
    normalisation: path.join(dir, 'normalisation.json'),
    encoder: path.join(dir, 'encoder.safetensors'),
    checkpoint: checkpointOf(dir),
  };
}

/** A cache file's path relative to its dataset folder, as the manifest stores it (forward slashes). */
export function cacheRelativePath(settingsKey: string, shard: string, file: string): string {
  return [CACHE_FOLDER, settingsKey, shard, file].join('/');
}

/** The layout of the study at `studyPath`. */
export function studyLayout(studyPath: string): StudyLayout {
  return new StudyLayout(studyPath);
}

/** `<pdf>-assets/`: the figures and tables written beside a report. */
export function reportAssetsDir(pdf: string): string {
  return pdf.replace(/\.pdf$/i, '') + '-assets';
}

/** A report's PDF and assets folder, and the hidden names beside them its writer uses while it swaps them in (report/write-files.ts). */
export interface ReportFilesLayout {
  pdf: string;
  assets: string;
  /** The earlier PDF and assets folder while the new ones are swapped in. */
  previousPdf: string;
  previousAssets: string;
  /** Prefixes of the temporary PDF and assets folder being written (a random suffix follows). */
  tempPdfPrefix: string;
  tempAssetsPrefix: string;
}

export function reportFilesLayout(pdf: string): ReportFilesLayout {
  const dir = path.dirname(pdf);
  const assets = reportAssetsDir(pdf);
  const hidden = (p: string, suffix: string) => path.join(dir, `.${path.basename(p)}${suffix}`);
  return {
    pdf,
    assets,
    previousPdf: hidden(pdf, '.previous'),
    previousAssets: hidden(assets, '.previous'),
    tempPdfPrefix: hidden(pdf, '.tmp-'),
    tempAssetsPrefix: hidden(assets, '.tmp-'),
  };
}

// ---- Study lock: one writer per study
/** `<study>/.lock`: who trains or writes results in the study now (study-folder/lock.ts). */
export const STUDY_LOCK_FILE = '.lock';

/** The study's lock file. */
export function studyLockFile(studyPath: string): string {
  return path.join(path.resolve(studyPath), STUDY_LOCK_FILE);
}

/** `<run or pretraining folder>/.lock`: the one process training that folder now (a local run or a cluster task). */
export function workLockFile(dir: string): string {
  return path.join(path.resolve(dir), STUDY_LOCK_FILE);
}

/** `<file>.lock`: held only while a revisioned file (the plan, the grid) is compared and replaced. */
export function fileLockFile(file: string): string {
  return `${file}${STUDY_LOCK_FILE}`;
}

/** `<lock>.stale-<tag>`: a stale lock moved aside while it is taken over (removed at once). */
export function staleLockFile(lockFile: string, tag: string): string {
  return `${lockFile}.stale-${tag}`;
}

// ---- The study's trash (deleted runs, datasets, evaluations, analyses and reports) ----

/** `<study>/.trash/`: deleted items wait here, each deletion in its own `<timestamp>/` entry, until restored or emptied. */
export const TRASH_FOLDER = '.trash';
/** The manifest of one trash entry (what was deleted, when, from where). */
export const TRASH_MANIFEST_FILE = 'trash-entry.json';

/** `<study>/.trash/` and its entries. */
export function trashLayout(studyPath: string): { root: string; entry(id: string): { dir: string; manifest: string } } {
  const root = path.join(path.resolve(studyPath), TRASH_FOLDER);
  return {
    root,
    entry: (id) => ({ dir: path.join(root, id), manifest: path.join(root, id, TRASH_MANIFEST_FILE) }),
  };
}

// ---- Demo stand-in weights derived in the study (job kind weights.standin) ----
/** Where the demo stand-ins for the IFI weights of one architecture, input size and scale live, and the texture set they come from. */
export interface StandinLayout {
  /** `<study>/standin-weights/<arch>-<size>-<scale>/`: the two weight files and the MoCo pretraining's checkpoints. */
  dir: string;
  /** `<study>/demo-data/textures/`: the synthetic texture set (written by writeTextureSet into demo-data/). */
  textures: string;
  /** Written once the texture set is complete. */
  texturesComplete: string;
}

export function standinLayout(studyPath: string, key: { arch: string; inputSize: number; scale: string }): StandinLayout {
  const study = studyLayout(studyPath);
  const textures = path.join(study.folder('demoData'), 'textures');
  return {
    dir: path.join(study.root, 'standin-weights', `${key.arch}-${key.inputSize}-${key.scale}`),
    textures,
    texturesComplete: path.join(textures, '.complete'),
  };
}
