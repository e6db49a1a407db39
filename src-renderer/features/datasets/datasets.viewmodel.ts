/**
 * Everything the Datasets views show, as pure functions (no React, no DOM): the import wizard's
 * steps, checks and request, the grade histogram and grade × split table, the issues table, the
 * thumbnail pages. Charts receive these ready-made and derive nothing.
 */
import { contract, LESION_COLOURS, LESION_NAMES, type DatasetSummary, type ReadableDatasetSummary } from '../../../src-shared/contract';
import {
  cacheSizeText,
  decimalBytes,
  ImportRequest,
  ImportResult,
  isReplaceRefusal,
  LESIONS,
  type DatasetType,
  type Lesion,
  type ValidationIssue,
} from '../../../src-shared/datasets';
import { fieldIssues } from '../../../src-shared/errors';
import type { JobState } from '../../../src-shared/jobs';
import { formatDateTime } from '../../shared/format.viewmodel';

// ---- Import wizard ------------------------------------------------------------------------------

export interface DatasetTypeInfo {
  type: DatasetType;
  label: string;
  /** One line: the folder layout the importer expects. */
  layout: string;
}

export const DATASET_TYPES: readonly DatasetTypeInfo[] = [
  {
    type: 'eyepacs',
    label: 'EyePACS (Kaggle)',
    layout: 'train/ and test/ with <patient>_<left|right>.jpeg, trainLabels.csv (image, level) and optionally retinopathy_solution.csv.',
  },
  {
    type: 'messidor2',
    label: 'Messidor-2',
    layout: 'The images and the adjudicated-grade CSV (image_id, adjudicated_dr_grade, …) in one folder.',
  },
  {
    type: 'idrid-grading',
    label: 'IDRiD — B. Disease Grading',
    layout: '"1. Original Images/<set>/IDRiD_NNN.jpg" and the grade CSVs in "2. Groundtruths/" (the part folder or its parent).',
  },
  {
    type: 'idrid-seg',
    label: 'IDRiD — A. Segmentation',
    layout:
      '"1. Original Images/<set>/IDRiD_NN.jpg" and lesion masks in "2. All Segmentation Groundtruths/<set>/<lesion>/" (MA, HE, EX, SE, OD).',
  },
  {
    type: 'folder',
    label: 'Folder + CSV',
    layout: 'Any folder of images and a CSV naming each image and its grade 0-4; you map the columns.',
  },
];

export function typeInfo(type: DatasetType): DatasetTypeInfo {
  return DATASET_TYPES.find((t) => t.type === type)!;
}

export type WizardStep = 'type' | 'folder' | 'columns' | 'options' | 'review';

export function wizardSteps(type: DatasetType): WizardStep[] {
  return type === 'folder' ? ['type', 'folder', 'columns', 'options', 'review'] : ['type', 'folder', 'options', 'review'];
}

export const STEP_LABELS: Record<WizardStep, string> = {
  type: 'Dataset type',
  folder: 'Folder',
  columns: 'Columns',
  options: 'Options',
  review: 'Review',
};

export interface WizardForm {
  type: DatasetType;
  path: string;
  csv: string;
  imageColumn: string;
  gradeColumn: string;
  /** '' = none (every image is its own patient). */
  patientColumn: string;
  /** Kept as text while the user types. */
  inputSize: string;
  overlaySize: string;
  validateOnly: boolean;
  /** What the images are for: as the layout's splits say, or all of them a test (held-out) or training set. */
  use: ImageUse;
}

export type ImageUse = 'layout' | 'test' | 'train';

/** The choices of the options step, each with what it means. */
export const IMAGE_USES: readonly { use: ImageUse; label: string; help: string }[] = [
  {
    use: 'layout',
    label: "As the dataset's layout says",
    help: 'EyePACS: its train/ and test/ folders; IDRiD: its training and testing sets; a plain folder: no split (training draws from every image).',
  },
  {
    use: 'test',
    label: 'All images are a held-out test set',
    help: 'Never trained on; evaluations and the study wizard use this set as a test set.',
  },
  { use: 'train', label: 'All images are for training', help: 'Runs draw their training and validation images from the whole set.' },
];

export const INITIAL_WIZARD: WizardForm = {
  type: 'eyepacs',
  path: '',
  csv: '',
  imageColumn: '',
  gradeColumn: '',
  patientColumn: '',
  inputSize: '224',
  overlaySize: '512',
  validateOnly: false,
  use: 'layout',
};

export type FieldErrors = Record<string, string>;

function toInt(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
}

/** The import request the form describes (not yet validated); `replace` once the user confirmed replacing a dataset others depend on. */
export function buildImportRequest(form: WizardForm, replace = false): ImportRequest {
  const settings = { inputSize: toInt(form.inputSize), overlaySize: toInt(form.overlaySize) };
  const common = {
    path: form.path.trim(),
    settings,
    preprocess: !form.validateOnly,
    ...(form.use !== 'layout' ? { split: form.use } : {}),
    ...(replace ? { replace: true } : {}),
  };
  if (form.type === 'folder') {
    return {
      type: 'folder',
      ...common,
      csv: form.csv.trim(),
      imageColumn: form.imageColumn,
      gradeColumn: form.gradeColumn,
      ...(form.patientColumn ? { patientColumn: form.patientColumn } : {}),
    };
  }
  return { type: form.type, ...common };
}

/** Fields each step owns (issue paths are mapped to these names). */
const STEP_FIELDS: Record<WizardStep, readonly string[]> = {
  type: ['type'],
  folder: ['path', 'csv'],
  columns: ['imageColumn', 'gradeColumn', 'patientColumn'],
  options: ['inputSize', 'overlaySize'],
  review: [],
};

/** `settings.inputSize` → `inputSize`; others keep their first segment. */
export function fieldOfIssuePath(issuePath: string): string {
  const parts = issuePath.split('.');
  return parts[0] === 'settings' && parts[1] ? parts[1] : (parts[0] ?? '');
}

/** Field errors of the whole form, checked with the very schema the importer applies. */
export function checkImportForm(form: WizardForm): FieldErrors {
  const parsed = ImportRequest.safeParse(buildImportRequest(form));
  const errors: FieldErrors = {};
  if (!parsed.success) {
    for (const issue of fieldIssues(parsed.error)) {
      const field = fieldOfIssuePath(issue.path);
      if (!(field in errors)) errors[field] = /expected number, received NaN/i.test(issue.message) ? 'Enter a whole number' : issue.message;
    }
  }
  if (form.type === 'folder' && form.imageColumn && form.imageColumn === form.gradeColumn)
    errors.gradeColumn ??= 'Pick a different column than for the image';
  return errors;
}

/** Field errors that block leaving `step`. */
export function checkWizardStep(form: WizardForm, step: WizardStep): FieldErrors {
  const all = checkImportForm(form);
  return Object.fromEntries(Object.entries(all).filter(([field]) => STEP_FIELDS[step].includes(field)));
}

/** The CSV preview check for the column step (same schema as the channel). */
export function checkCsvPath(csv: string): string | null {
  const parsed = contract['datasets.csvPreview'].input.safeParse({ path: csv.trim() });
  return parsed.success ? null : (fieldIssues(parsed.error)[0]?.message ?? 'Invalid path');
}

/** Picks likely columns by name (the user can change them). */
export function guessColumns(columns: readonly string[]): { imageColumn: string; gradeColumn: string; patientColumn: string } {
  const find = (patterns: RegExp[]) => {
    for (const re of patterns) {
      const hit = columns.find((c) => re.test(c.trim()));
      if (hit !== undefined) return hit;
    }
    return '';
  };
  const imageColumn = find([/^image$/i, /^image[ _-]?(id|name|file)$/i, /^(file|filename|file[ _-]?name|path)$/i, /image/i, /file/i]);
  const gradeColumn = find([/^(level|grade)$/i, /dr[ _-]?grade/i, /retinopathy[ _-]?grade/i, /grade/i, /level/i, /^(dr|label)$/i]);
  const patientColumn = find([/^patient$/i, /^patient[ _-]?id$/i, /patient/i, /subject/i]);
  return {
    imageColumn,
    gradeColumn: gradeColumn === imageColumn ? '' : gradeColumn,
    patientColumn: [imageColumn, gradeColumn].includes(patientColumn) ? '' : patientColumn,
  };
}

export interface ReviewRow {
  label: string;
  value: string;
  mono?: boolean;
}

export function reviewRows(form: WizardForm): ReviewRow[] {
  const rows: ReviewRow[] = [
    { label: 'Type', value: typeInfo(form.type).label },
    { label: 'Folder', value: form.path.trim(), mono: true },
  ];
  if (form.type === 'folder') {
    rows.push(
      { label: 'CSV', value: form.csv.trim(), mono: true },
      { label: 'Image column', value: form.imageColumn },
      { label: 'Grade column', value: form.gradeColumn },
      { label: 'Patient column', value: form.patientColumn || 'none (each image is its own patient)' },
    );
  }
  rows.push(
    { label: 'Images', value: IMAGE_USES.find((u) => u.use === form.use)!.label },
    { label: 'Input size', value: `${form.inputSize.trim()} px` },
    { label: 'Overlay size', value: `${form.overlaySize.trim()} px` },
    { label: 'Mode', value: form.validateOnly ? 'Validate only (no preprocessed images: no thumbnails)' : 'Validate and preprocess' },
  );
  return rows;
}

/** The dataset id of a finished import job, or null. */
export function importedDatasetId(job: JobState | undefined | null): string | null {
  if (!job || job.kind !== 'dataset.import' || job.status !== 'succeeded') return null;
  const parsed = ImportResult.safeParse(job.result);
  return parsed.success ? parsed.data.datasetId : null;
}

/**
 * The question to ask when an import was refused because it would replace a dataset that runs, pretrainings or results
 * depend on: the refusal itself (it names them), or null for any other outcome.
 */
export function replaceQuestion(job: JobState | undefined | null): string | null {
  if (!job || job.kind !== 'dataset.import' || job.status !== 'failed' || !isReplaceRefusal(job.error)) return null;
  return job.error!.message;
}

export function parseImportResult(value: unknown): ImportResult | null {
  const parsed = ImportResult.safeParse(value);
  return parsed.success ? parsed.data : null;
}

// ---- Summaries, histogram, tables ---------------------------------------------------------------

/** Short grade names for narrow table headers (PDR: proliferative DR). */
export const GRADE_SHORT: Record<string, string> = {
  '0': 'No DR',
  '1': 'Mild',
  '2': 'Moderate',
  '3': 'Severe',
  '4': 'PDR',
  ungraded: 'Ungraded',
};

export const GRADE_LABELS: Record<string, string> = {
  '0': 'No DR',
  '1': 'Mild',
  '2': 'Moderate',
  '3': 'Severe',
  '4': 'Proliferative',
  ungraded: 'Ungraded',
};

const GRADE_KEYS = ['0', '1', '2', '3', '4', 'ungraded'] as const;

export interface HistogramBar {
  key: string;
  /** Axis label: `0` … `4`, `–` for ungraded. */
  tick: string;
  name: string;
  count: number;
  /** Share of all images, 0-100 (for tooltips and the accessible table). */
  percent: number;
  /** Referable under the default definition (grades 3-4). */
  referable: boolean;
}

export interface GradeHistogramModel {
  bars: HistogramBar[];
  total: number;
  /** A one-sentence text alternative for the chart. */
  description: string;
  /** No image has a grade (e.g. a segmentation set): show `description` instead of bars. */
  noGrades: boolean;
}

/** Bars for grades 0-4, plus "ungraded" only when there are such images. */
export function gradeHistogram(grades: Record<string, number>): GradeHistogramModel {
  const total = GRADE_KEYS.reduce((n, k) => n + (grades[k] ?? 0), 0);
  const bars = GRADE_KEYS.filter((k) => k !== 'ungraded' || (grades[k] ?? 0) > 0).map((key) => {
    const count = grades[key] ?? 0;
    return {
      key,
      tick: key === 'ungraded' ? 'n/a' : key,
      name: key === 'ungraded' ? GRADE_LABELS[key]! : `${key} · ${GRADE_LABELS[key]}`,
      count,
      percent: total > 0 ? Math.round((count / total) * 1000) / 10 : 0,
      referable: key === '3' || key === '4',
    };
  });
  const graded = total - (grades.ungraded ?? 0);
  const noGrades = graded === 0;
  const description =
    total === 0
      ? 'No images.'
      : noGrades
        ? `No DR grades: all ${total} images are ungraded (this source has no grades).`
        : `Images per grade: ${bars.map((b) => `${b.name} ${b.count}`).join(', ')}.`;
  return { bars, total, description, noGrades };
}

export interface SplitGradeTable {
  /** `label`: grade number (or "n/a"), `short`: its short name, `title`: the full name. */
  columns: { key: string; label: string; short: string; title: string }[];
  rows: { split: string; label: string; cells: number[]; total: number }[];
  totals: number[];
  total: number;
}

const SPLIT_LABELS: Record<string, string> = { train: 'Train', test: 'Test', none: 'No split' };

export function splitGradeTable(perSplitGrade: Record<string, Record<string, number>>): SplitGradeTable {
  const present = GRADE_KEYS.filter((k) => k !== 'ungraded' || Object.values(perSplitGrade).some((r) => (r[k] ?? 0) > 0));
  const splits = [
    'train',
    'test',
    'none',
    ...Object.keys(perSplitGrade)
      .filter((s) => !(s in SPLIT_LABELS))
      .sort(),
  ].filter((s) => s in perSplitGrade);
  const rows = splits.map((split) => {
    const cells = present.map((k) => perSplitGrade[split]?.[k] ?? 0);
    return { split, label: SPLIT_LABELS[split] ?? split, cells, total: cells.reduce((a, b) => a + b, 0) };
  });
  const totals = present.map((_, i) => rows.reduce((n, r) => n + r.cells[i]!, 0));
  return {
    columns: present.map((k) => ({
      key: k,
      label: k === 'ungraded' ? 'n/a' : k,
      short: GRADE_SHORT[k]!,
      title: k === 'ungraded' ? 'Ungraded' : `Grade ${k}: ${GRADE_LABELS[k]}`,
    })),
    rows,
    totals,
    total: totals.reduce((a, b) => a + b, 0),
  };
}

export interface CardModel {
  id: string;
  title: string;
  typeLabel: string;
  synthetic: boolean;
  facts: { label: string; value: string }[];
  issues: { error: number; warning: number };
  issueText: string;
  histogram: GradeHistogramModel;
  lesions: { lesion: Lesion; name: string; count: number; colour: string }[];
  warning: string | null;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

export function issueText(issues: { error: number; warning: number }): string {
  if (issues.error === 0 && issues.warning === 0) return 'No issues';
  const parts = [];
  if (issues.error > 0) parts.push(plural(issues.error, 'error'));
  if (issues.warning > 0) parts.push(plural(issues.warning, 'warning'));
  return parts.join(', ');
}

export function lesionCounts(masks: Partial<Record<Lesion, number>>): CardModel['lesions'] {
  return LESIONS.filter((l) => (masks[l] ?? 0) > 0).map((lesion) => ({
    lesion,
    name: LESION_NAMES[lesion],
    count: masks[lesion]!,
    colour: LESION_COLOURS[lesion],
  }));
}

export function datasetCard(s: ReadableDatasetSummary, locale?: string): CardModel {
  const splitText = Object.entries(s.splits)
    .map(([k, n]) => `${n.toLocaleString('en')} ${(SPLIT_LABELS[k] ?? k).toLowerCase()}`)
    .join(' · ');
  return {
    id: s.id,
    title: s.name,
    typeLabel: typeInfo(s.type).label,
    synthetic: s.synthetic,
    facts: [
      { label: 'Images', value: s.items.toLocaleString('en') },
      { label: 'Patients', value: s.patients.toLocaleString('en') },
      { label: 'Splits', value: splitText || '—' },
      { label: 'Cache', value: cacheFact(s) },
      { label: 'Imported', value: formatDateTime(s.updated, locale) },
    ],
    issues: s.issues,
    issueText: issueText(s.issues),
    histogram: gradeHistogram(s.grades),
    lesions: lesionCounts(s.masks),
    warning: s.reportProblem ?? (s.preprocessed ? null : 'Validated only: no preprocessed images, so no thumbnails.'),
  };
}

export function detailFacts(s: ReadableDatasetSummary, locale?: string): { label: string; value: string; mono?: boolean }[] {
  return [
    { label: 'Source folder', value: s.source, mono: true },
    { label: 'Type', value: typeInfo(s.type).label },
    {
      label: 'Images',
      value: `${s.items.toLocaleString('en')}${s.candidates !== null ? ` of ${s.candidates.toLocaleString('en')} checked` : ''}`,
    },
    { label: 'Patients', value: s.patients.toLocaleString('en') },
    {
      label: 'Preprocessing',
      value: s.preprocessed
        ? `${s.settings.inputSize} px input, ${s.settings.overlaySize} px overlay, ${s.settings.format.toUpperCase()}`
        : 'none (validated only)',
    },
    { label: 'Cache on disk', value: s.cacheSize ? cacheSizeText(s.cacheSize) : cacheFact(s) },
    { label: 'Imported', value: formatDateTime(s.updated, locale) },
  ];
}

/** The preprocessing cache's size on a card: `312 MB · 105 kB per image`; why there is none otherwise. */
export function cacheFact(s: ReadableDatasetSummary): string {
  if (!s.preprocessed) return 'none (validated only)';
  if (!s.cacheSize) return 'not measured (import again to measure)';
  return `${decimalBytes(s.cacheSize.bytes)} · ${decimalBytes(s.cacheSize.bytesPerImage)} per image`;
}

/** Readable datasets first (by id), unreadable ones after them. */
export function sortSummaries(list: readonly DatasetSummary[]): DatasetSummary[] {
  return [...list].sort((a, b) => (a.readable === b.readable ? a.id.localeCompare(b.id) : a.readable ? -1 : 1));
}

// ---- Issues table -------------------------------------------------------------------------------

export interface IssuesModel {
  kinds: { kind: string; count: number }[];
  rows: (ValidationIssue & { key: string })[];
  shown: number;
  total: number;
}

/** Issues filtered by kind ('' = all), errors first; kinds listed with their counts. */
export function issuesTable(issues: readonly ValidationIssue[], kind: string): IssuesModel {
  const counts = new Map<string, number>();
  for (const i of issues) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  const rows = issues
    .map((i, n) => ({ ...i, key: `${n}` }))
    .filter((i) => !kind || i.kind === kind)
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return {
    kinds: [...counts].map(([k, count]) => ({ kind: k, count })).sort((a, b) => a.kind.localeCompare(b.kind)),
    rows,
    shown: rows.length,
    total: issues.length,
  };
}

// ---- Thumbnails ---------------------------------------------------------------------------------

export const THUMBS_PER_PAGE = 24;
export const THUMB_SIZE = 160;

export function pageCount(total: number, perPage = THUMBS_PER_PAGE): number {
  return Math.max(1, Math.ceil(total / perPage));
}

export function pageOffset(page: number, perPage = THUMBS_PER_PAGE): number {
  return Math.max(0, (page - 1) * perPage);
}

export function pageRangeText(offset: number, shown: number, total: number): string {
  if (total === 0) return 'No images';
  return `${(offset + 1).toLocaleString('en')}–${(offset + shown).toLocaleString('en')} of ${total.toLocaleString('en')}`;
}

/** Lesions to offer as overlay toggles: those with at least one mask in the dataset. */
export function lesionToggles(masks: Partial<Record<Lesion, number>>): { lesion: Lesion; name: string; colour: string }[] {
  return lesionCounts(masks).map(({ lesion, name, colour }) => ({ lesion, name, colour }));
}

/** The masks to draw over one item: the switched-on lesions it has. */
export function masksFor(itemLesions: readonly Lesion[], enabled: readonly Lesion[]): Lesion[] {
  return LESIONS.filter((l) => enabled.includes(l) && itemLesions.includes(l));
}

/** Two caption lines for a thumbnail: the id, then grade and split. */
export function itemCaptionLines(item: { id: string; grade: number | null; split: string | null }): [string, string] {
  return [item.id, `${item.grade === null ? 'ungraded' : `grade ${item.grade}`}${item.split ? ` · ${item.split}` : ''}`];
}

export function itemCaption(item: { id: string; grade: number | null; split: string | null }): string {
  const grade = item.grade === null ? 'ungraded' : `grade ${item.grade}`;
  return `${item.id} · ${grade}${item.split ? ` · ${item.split}` : ''}`;
}
