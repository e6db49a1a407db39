/**
 * The one contract between the renderer and the main side. Every call is declared here once, with
 * a zod schema for its input and output; every event (pushed from main) with a schema for its
 * payload. The Electron IPC adapter, the HTTP bridge and the typed renderer client are all built
 * from these tables; the main side parses every inbound payload as `unknown` with `input`.
 */
import { z } from 'zod';
import { StudyPlan } from './study-plan';
import { EngineStatus, DoctorReport } from './engine';
import { AbsolutePath, FolderPath, StudyFolderPath, StudyName, StudySummary, userPath } from './study';
import { RecentStudy, Settings, SettingsPatch } from './settings';
import { JobId, JobRequest, JobState } from './jobs';
import { DatasetId, DatasetType, Eye, GradeCounts, Lesion, PreprocessSettings, Split, ValidationIssue } from './datasets';
import { WeightsInspection, WeightsInspectRequest } from './weights';
import { GridSpec, GridView, Revision, RunDetail, RunSettings, RunStanding, RunStopAnswer } from './grid';
import { RunExtension } from './training';
import { RunId } from './ids';
import { EvaluationResult, StudyResults } from './evaluation';
import { SpectraResult } from './spectra';
import { RobustnessResult } from './robustness';
import { ExplainLesion, ExplanationResult } from './explanations';
import { RunModelIdentity } from './run-identity';
import { TrashDeleteResult, TrashEntry, TrashEntryId, TrashItemName, TrashKind } from './trash';
import { FilesListing, FilesListRequest } from './files';
import { ClusterStatus, Submission } from './cluster';

const Empty = z.object({}).strict();

export const AppInfo = z.object({
  name: z.literal('FundusLab'),
  version: z.string(),
  /** `electron`: the desktop app; `browser`: the renderer served by the HTTP bridge. */
  host: z.enum(['electron', 'browser']),
  platform: z.string(),
  capabilities: z.object({
    /** A native folder picker is available (Electron only). */
    folderDialog: z.boolean(),
    /** A native file picker is available (Electron only). */
    fileDialog: z.boolean(),
    /** Files can be opened with the operating system's default application (`shell.openPath`; Electron only). */
    openPath: z.boolean(),
  }),
  /** Where the app keeps its own state (settings, app-level jobs). */
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

// ---- Read-only views of a study's imported datasets (`datasets.*`) -------------------------------

/** Images per grade (`0`-`4`, `ungraded`). */
export const GradeHistogram = z.record(z.string(), z.number().int().min(0));

/** One imported dataset as the Datasets page lists it, read from its manifest and validation report. */
export const DatasetSummary = z.discriminatedUnion('readable', [
  z.object({
    readable: z.literal(true),
    id: DatasetId,
    type: DatasetType,
    /** Display name (the dataset id: FundusLab names datasets by their id). */
    name: z.string(),
    /** Absolute path of the source folder at import time. */
    source: z.string(),
    /** The source folder says it holds synthetic (generated) images, not patient photographs. */
    synthetic: z.boolean(),
    created: z.string(),
    updated: z.string(),
    preprocessed: z.boolean(),
    settings: PreprocessSettings,
    items: z.number().int().min(0),
    patients: z.number().int().min(0),
    grades: GradeHistogram,
    /** Images per split (`train`, `test`, `none`). */
    splits: z.record(z.string(), z.number().int().min(0)),
    perSplitGrade: GradeCounts,
    /** Images with a mask of each lesion. */
    masks: z.partialRecord(Lesion, z.number().int().min(0)),
    issues: z.object({ error: z.number().int().min(0), warning: z.number().int().min(0) }),
    /** Candidates the importer looked at and how many it left out (null without a readable report). */
    candidates: z.number().int().min(0).nullable(),
    excluded: z.number().int().min(0).nullable(),
    notes: z.array(z.string()),
    /**
     * The preprocessing cache on disk as its import measured it (bytes, files, bytes per imported image);
     * null when the dataset was only validated or imported before sizes were recorded.
     */
    cacheSize: z
      .object({ bytes: z.number().int().min(0), files: z.number().int().min(0), bytesPerImage: z.number().int().min(0) })
      .nullable()
      .default(null),
    /** Why validation.json could not be read (the manifest could); null when it was read. */
    reportProblem: z.string().nullable(),
  }),
  z.object({
    readable: z.literal(false),
    /** The folder name under `datasets/`. */
    id: z.string(),
    reason: z.string(),
  }),
]);
export type DatasetSummary = z.infer<typeof DatasetSummary>;
export type ReadableDatasetSummary = Extract<DatasetSummary, { readable: true }>;

export const DatasetDetail = z.object({
  summary: DatasetSummary,
  /** Every issue of the validation report (empty when the report is unreadable). */
  issues: z.array(ValidationIssue),
});
export type DatasetDetail = z.infer<typeof DatasetDetail>;

export const MAX_ITEMS_PAGE = 200;

export const ItemFilter = z
  .object({
    grade: z.union([z.number().int().min(0).max(4), z.literal('ungraded')]).optional(),
    split: z.enum(['train', 'test', 'none']).optional(),
    /** Only items with a mask of this lesion. */
    lesion: Lesion.optional(),
  })
  .strict();
export type ItemFilter = z.infer<typeof ItemFilter>;

export const DatasetItemRow = z.object({
  id: z.string(),
  patient: z.string(),
  eye: Eye.nullable(),
  grade: z.number().int().nullable(),
  split: Split.nullable(),
  lesions: z.array(Lesion),
  /** A preprocessed image is cached (false for "validate only" imports). */
  hasImage: z.boolean(),
});
export type DatasetItemRow = z.infer<typeof DatasetItemRow>;

export const ItemsPage = z.object({
  /** Items matching the filter (all pages). */
  total: z.number().int().min(0),
  offset: z.number().int().min(0),
  items: z.array(DatasetItemRow),
});
export type ItemsPage = z.infer<typeof ItemsPage>;

/**
 * Overlay colour of each lesion mask (the service draws them, the legend shows them). Light colours that stand out on the fundus and
 * stay apart from each other and from the relevance heatmap's red and blue, also for red-, green- and blue-blind viewers
 * (test/unit/shared/colour.test.ts measures the ΔE).
 */
export const LESION_COLOURS: Record<Lesion, string> = {
  MA: '#ffcc00',
  HE: '#ff66ff',
  EX: '#66ffff',
  SE: '#99cc99',
  OD: '#ffff99',
};

/** Overlay colour of the union of the explained lesions (Fig 5's union panel, the report's), apart from every lesion colour too. */
export const UNION_COLOUR = '#ccff99';

export const LESION_NAMES: Record<Lesion, string> = {
  MA: 'Microaneurysms',
  HE: 'Haemorrhages',
  EX: 'Hard exudates',
  SE: 'Soft exudates',
  OD: 'Optic disc',
};

const StudyRef = { studyPath: StudyFolderPath };

/** What `runs.extend` did: the extension recorded in the run's spec.json, and the job that trains the added epochs. */
export const RunExtendAnswer = z
  .object({
    runId: z.string(),
    extension: RunExtension,
    previousResult: z.string().nullable().describe("Where the run's result before the extension was moved (metrics-until-epoch-<E>.json)"),
    job: JobState.nullable().describe('The train.run job that trains the added epochs (null: see note)'),
    note: z.string().nullable().describe('Why no job was queued, and how to train the run instead'),
  })
  .strict();
export type RunExtendAnswer = z.infer<typeof RunExtendAnswer>;

/** Results and reports leave out evaluations of outdated runs unless this is true (they are then marked). */
const IncludeOutdated = {
  includeOutdated: z.boolean().optional().describe('Include evaluations of runs trained with settings the grid no longer has'),
};

/** A CSV export: the text and a suggested file name (the renderer saves it; no path crosses the contract). */
export const CsvFile = z
  .object({ csv: z.string(), fileName: z.string().regex(/^[^/\\]+\.csv$/, 'A file name ending in .csv, without folders') })
  .strict();
export type CsvFile = z.infer<typeof CsvFile>;

/** One filter of a native file dialog: a label and extensions without the dot (`*` for any). */
export const FileFilter = z
  .object({
    name: z.string().min(1).max(100),
    extensions: z
      .array(z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,19})$/, 'An extension without the leading dot, or *'))
      .min(1)
      .max(20),
  })
  .strict();
export type FileFilter = z.infer<typeof FileFilter>;

// ---- Read-only views of the analyses, runs and reports (`spectra.*`, `robustness.*`, `explanations.*`, `runs.list`, `reports.*`) ----

/** A folder name under spectra/, robustness/ or explanations/ (never a path: no separators, no leading dot). */
export const AnalysisName = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'A folder name of the analysis: lower-case letters, digits, ".", "_" and "-"');

/** A file inside an analysis folder, relative to it (e.g. `gallery/clean-0.png`): no `..`, no leading `/`, no backslash. */
export const AnalysisFile = z
  .string()
  .min(1)
  .max(300)
  .regex(
    /^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/,
    'A file of the analysis folder, relative to it, without ".."',
  );

/** One run folder of the study, as the analysis pages offer it (read from runs/<id>/spec.json, metrics.json, best/metrics.json). */
export const RunSummary = z
  .object({
    ...RunModelIdentity.shape,
    /** The dataset the run trained on. */
    datasetId: z.string().nullable(),
    /** metrics.json is written: the run finished. */
    finished: z.boolean(),
    /** best/ holds a selected model (what the analyses load). */
    hasModel: z.boolean(),
    bestValAuc: z.number().nullable(),
    /** Epochs, lr, batch size and input size of the run. */
    settings: RunSettings.optional(),
    /** Current, or outdated with the settings that differ from the grid's (src-shared/grid.ts RunStanding). */
    standing: RunStanding.optional(),
  })
  .strict();
export type RunSummary = z.infer<typeof RunSummary>;

/** A PDF report under <study>/reports/. */
export const ReportFileInfo = z
  .object({
    /** File name inside reports/. */
    file: z.string(),
    /** Absolute path (for opening it with the operating system). */
    path: z.string(),
    bytes: z.number().int().min(0),
    /** ISO time of the last change. */
    modified: z.string(),
    /** The figures/tables folder written beside it (`<name>-assets`), when present. */
    assetsDir: z.string().nullable(),
  })
  .strict();
export type ReportFileInfo = z.infer<typeof ReportFileInfo>;

/** A PDF report file name inside reports/. */
export const ReportFileName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._ -]*\.pdf$/i, 'A .pdf file name inside reports/, without folders');

/** One image's LRP heatmap: float32 [height, width] row-major, and optionally the lesion masks it was scored against (1 = lesion). */
export const HeatmapAnswer = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    values: z.array(z.number()),
    masks: z.partialRecord(ExplainLesion, z.array(z.number().int().min(0).max(1))),
  })
  .strict();
export type HeatmapAnswer = z.infer<typeof HeatmapAnswer>;

// ---- The study's trash (`trash.*`): delete into <study>/.trash/<timestamp>/, list, restore, empty ----

/** A deletion: the item of `kind` named `name` moves into the trash; `confirm` is needed for a dataset that runs or results depend on. */
export const TrashDeleteRequest = z
  .object({ studyPath: FolderPath, kind: TrashKind, name: TrashItemName, confirm: z.boolean().optional() })
  .strict();
export type TrashDeleteRequest = z.infer<typeof TrashDeleteRequest>;

// ---- Trained models (`models.export`): a run's selected model written where the user chooses ----

/** `safetensors`: one file in PyTorch's layout (torchvision names); `tfjs`: a folder with model.json and weights.bin. */
export const ModelExportFormat = z.enum(['safetensors', 'tfjs']);
export type ModelExportFormat = z.infer<typeof ModelExportFormat>;

export const ModelExportRequest = z
  .object({
    studyPath: StudyFolderPath,
    runId: RunId,
    format: ModelExportFormat,
    /** A `.safetensors` file, or the folder the tfjs files go into (the user path rule: absolute, outside the system folders). */
    out: userPath('the export destination'),
    /** Replace what is already there; otherwise an existing file is refused (CONFLICT). */
    overwrite: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.format !== 'safetensors' || /\.safetensors$/i.test(r.out), {
    message: 'A safetensors export is a file ending in .safetensors',
    path: ['out'],
  });
export type ModelExportRequest = z.infer<typeof ModelExportRequest>;

export const ModelExportResult = z
  .object({ runId: z.string(), format: ModelExportFormat, arch: z.string(), files: z.array(z.string()).min(1) })
  .strict();
export type ModelExportResult = z.infer<typeof ModelExportResult>;

export const contract = {
  'app.info': { input: Empty, output: AppInfo },
  'engine.status': { input: Empty, output: EngineStatus },
  'engine.doctor': { input: Empty, output: DoctorReport },
  'settings.get': { input: Empty, output: Settings },
  'settings.update': { input: SettingsPatch, output: Settings },
  'study.create': { input: z.object({ path: FolderPath, name: StudyName }).strict(), output: StudySummary },
  'study.open': { input: z.object({ path: FolderPath }).strict(), output: StudySummary },
  'study.recent': { input: Empty, output: z.array(RecentStudy) },
  'dialog.pickFolder': {
    input: z.object({ title: z.string().max(200) }).strict(),
    output: z.object({ path: z.string().nullable() }),
  },
  'dialog.pickFile': {
    input: z.object({ title: z.string().max(200), filters: z.array(FileFilter).max(10).optional() }).strict(),
    output: z.object({ path: z.string().nullable() }),
  },
  'jobs.submit': { input: JobRequest, output: JobState },
  'jobs.list': { input: Empty, output: z.array(JobState) },
  'jobs.get': { input: JobId, output: JobState },
  'jobs.cancel': { input: JobId, output: JobState },
  'jobs.retry': { input: JobId, output: JobState },
  'datasets.list': { input: z.object(StudyRef).strict(), output: z.array(DatasetSummary) },
  'datasets.get': { input: z.object({ ...StudyRef, datasetId: z.string().min(1).max(200) }).strict(), output: DatasetDetail },
  'datasets.items': {
    input: z
      .object({
        ...StudyRef,
        datasetId: z.string().min(1).max(200),
        offset: z.number().int().min(0).max(10_000_000),
        limit: z.number().int().min(1).max(MAX_ITEMS_PAGE),
        filter: ItemFilter.optional(),
      })
      .strict(),
    output: ItemsPage,
  },
  'datasets.image': {
    input: z
      .object({
        ...StudyRef,
        datasetId: z.string().min(1).max(200),
        itemId: z.string().min(1).max(500),
        /** `input`: the training-size copy; `overlay`: the larger copy kept for overlays. */
        variant: z.enum(['input', 'overlay']),
        /** Side of the returned square image in pixels (default: the cached copy's own size). */
        size: z.number().int().min(16).max(1024).optional(),
        /** Lesion masks drawn over the image, each in its LESION_COLOURS colour. */
        masks: z.array(Lesion).max(5).optional(),
      })
      .strict(),
    output: z.object({ dataUrl: z.string().startsWith('data:image/png;base64,'), width: z.number().int(), height: z.number().int() }),
  },
  'datasets.csvPreview': {
    input: z.object({ path: AbsolutePath }).strict(),
    output: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.string())), rowCount: z.number().int().min(0) }),
  },
  /** What a weights file holds and what importing it into each architecture would do (read in a worker). */
  'weights.inspect': { input: WeightsInspectRequest, output: WeightsInspection },
  /** The study's training grid (grid.json) and the status of every cell, read from the run folders. */
  'grid.get': { input: z.object(StudyRef).strict(), output: GridView },
  /** Validates and stores the grid (every cell must be a valid training spec). */
  'grid.save': {
    input: z
      .object({
        ...StudyRef,
        spec: GridSpec,
        /** The grid.json revision the edit started from (GridView.revision): a save based on another one is refused (CONFLICT). */
        baseRevision: Revision.optional(),
      })
      .strict(),
    output: GridView,
  },
  /** Submits a train.run job for every pending or unfinished cell that has no queued or running job. */
  'grid.launch': {
    input: z.object(StudyRef).strict(),
    output: z.object({ submitted: z.array(JobState), skipped: z.array(z.object({ runId: z.string(), reason: z.string() })) }),
  },
  /** The study plan last run in this study (study-plan.json, written by study.run / `funduslab study`), or null. */
  'studyPlan.get': { input: z.object(StudyRef).strict(), output: StudyPlan.nullable() },
  /** A run's spec, result and logs so far (live loss / AUC curves). */
  'runs.get': { input: z.object({ ...StudyRef, runId: RunId }).strict(), output: RunDetail },
  /** "Finish after this epoch": asks whatever process trains the run (this app, a CLI command, a cluster task) to end it then. */
  'runs.stopAfterEpoch': { input: z.object({ ...StudyRef, runId: RunId }).strict(), output: RunStopAnswer },
  /** Extends a finished or stopped run to `epochs` (spec.json keeps the history) and queues its training (a train.run job). */
  'runs.extend': {
    input: z.object({ ...StudyRef, runId: RunId, epochs: z.number().int().positive().max(100_000) }).strict(),
    output: RunExtendAnswer,
  },
  /** Every evaluation of the study: results table, paired tests, Fig 2 series. */
  'results.get': { input: z.object({ ...StudyRef, ...IncludeOutdated }).strict(), output: StudyResults },
  /** One evaluation (ROC curve, operating points) by its folder name under evaluations/. */
  'evaluations.get': { input: z.object({ ...StudyRef, name: z.string().min(1).max(300) }).strict(), output: EvaluationResult },
  /** The results table as CSV (the columns of `funduslab results --csv`), for the renderer to save as a file. */
  'results.tableCsv': { input: z.object({ ...StudyRef, ...IncludeOutdated }).strict(), output: CsvFile },
  /** One evaluation's per-image predictions.csv, by its folder name under evaluations/. */
  'evaluations.predictionsCsv': { input: z.object({ ...StudyRef, name: z.string().min(1).max(300) }).strict(), output: CsvFile },
  /** Every spectra/<name>/result.json of the study (unreadable ones skipped). */
  'spectra.list': { input: z.object(StudyRef).strict(), output: z.array(SpectraResult) },
  /** Every robustness/<name>/result.json of the study (unreadable ones skipped). */
  'robustness.list': { input: z.object(StudyRef).strict(), output: z.array(RobustnessResult) },
  /** One gallery image of a robustness result: `file` must be one of the result's gallery files. */
  'robustness.gallery': {
    input: z.object({ ...StudyRef, name: AnalysisName, file: AnalysisFile }).strict(),
    output: z.object({ dataUrl: z.string().startsWith('data:image/png;base64,') }),
  },
  /** Every explanations/<name>/result.json of the study (unreadable ones skipped). */
  'explanations.list': { input: z.object(StudyRef).strict(), output: z.array(ExplanationResult) },
  /** One image's heatmap of an explanation (an image of the result), with its lesion masks at the heatmap size when `masks` is true. */
  'explanations.heatmap': {
    input: z.object({ ...StudyRef, name: AnalysisName, imageId: z.string().min(1).max(500), masks: z.boolean().optional() }).strict(),
    output: HeatmapAnswer,
  },
  /** Every run folder of the study with a readable spec. */
  'runs.list': { input: z.object(StudyRef).strict(), output: z.array(RunSummary) },
  /** The PDF reports under <study>/reports/, newest first. */
  'reports.list': { input: z.object(StudyRef).strict(), output: z.array(ReportFileInfo) },
  /** One report under <study>/reports/ as a data URL (browser mode saves it as a download). */
  'reports.file': {
    input: z.object({ ...StudyRef, file: ReportFileName }).strict(),
    output: z.object({ dataUrl: z.string().startsWith('data:application/pdf;base64,'), fileName: z.string() }),
  },
  /** Opens a PDF report or a report's assets folder with the operating system (Electron only; UNSUPPORTED in browser mode). */
  'shell.openPath': { input: z.object({ path: AbsolutePath }).strict(), output: z.object({ opened: z.string() }) },
  /** Moves a run, evaluation, analysis, dataset or report into the study's trash (a dataset with dependents: only with `confirm`). */
  'trash.delete': { input: TrashDeleteRequest, output: TrashDeleteResult },
  /** The study's trash entries, newest first. */
  'trash.list': { input: z.object({ studyPath: FolderPath }).strict(), output: z.array(TrashEntry) },
  /** Moves an entry back where it was (refused while something occupies that place). */
  'trash.restore': { input: z.object({ studyPath: FolderPath, entry: TrashEntryId }).strict(), output: TrashEntry },
  /** Removes one entry for good, or the whole trash without `entry`. */
  'trash.empty': {
    input: z.object({ studyPath: FolderPath, entry: TrashEntryId.optional() }).strict(),
    output: z.object({ removed: z.array(z.string()) }),
  },
  // ---- Server-side file browser (`files.list`: the Weights step's Browse in browser mode) ----
  /** One folder's sub-folders and weights files (.pth, .pth.tar, .safetensors, .json): names and sizes, never contents. */
  'files.list': { input: FilesListRequest, output: FilesListing },
  // ---- Trained models ----
  /** Writes a run's selected model (best/) as .safetensors or tfjs to a path the user chose (read and written in a worker). */
  'models.export': { input: ModelExportRequest, output: ModelExportResult },
  // ---- Slurm cluster submissions of the study (cluster/<submission-id>/) ----
  /** Every submission under <study>/cluster/, newest first, with the state of each task (Slurm's view, else the task's own record). */
  'cluster.status': { input: z.object(StudyRef).strict(), output: ClusterStatus },
  /** Cancels (scancel) the jobs of one submission, or of every submission without `submission`; answers the Slurm job ids cancelled. */
  'cluster.cancel': {
    input: z.object({ ...StudyRef, submission: Submission.shape.id.optional() }).strict(),
    output: z.object({ cancelled: z.array(z.string()) }),
  },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export const events = {
  /** A job changed: status, progress or log. Sent for every job on every change (throttled). */
  'jobs.update': JobState,
  /** Settings changed (from another window, or the CLI). */
  'settings.changed': Settings,
} as const satisfies Record<string, z.ZodType>;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type ChannelInput<C extends Channel> = z.input<Contract[C]['input']>;
export type ParsedInput<C extends Channel> = z.output<Contract[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<Contract[C]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const CHANNELS = Object.keys(contract) as Channel[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(contract, value);
}
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value);
}

/** IPC channel names used by the Electron adapter (one for calls, one for events). */
export const IPC_INVOKE = 'funduslab:invoke';
export const IPC_EVENT = 'funduslab:event';
/** Name of the single object the preload exposes on `window`. */
export const PRELOAD_GLOBAL = 'funduslab';

/**
 * The single object the Electron preload exposes as `window.funduslab`. `invoke` resolves to an
 * `RpcResponse` envelope (never rejects for service errors); `subscribe` receives every contract
 * event and returns an unsubscribe function.
 */
export interface PreloadApi {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

/**
 * HTTP bridge protocol (browser mode), served on 127.0.0.1 only:
 *   POST /api/call/<channel>  body: JSON input; header `Authorization: Bearer <token>`;
 *                             answers 200 with an RpcResponse envelope (401/403/404/413/415 with an
 *                             error envelope for transport-level refusals).
 *   GET  /api/events?token=<token>   Server-Sent Events; `event: <name>`, `data: <json payload>`.
 * The token is handed to the page in the URL fragment (`#token=…`), which browsers never send to a server.
 */
export const BRIDGE_CALL_PREFIX = '/api/call/';
export const BRIDGE_EVENTS_PATH = '/api/events';
export const BRIDGE_TOKEN_FRAGMENT = 'token';
