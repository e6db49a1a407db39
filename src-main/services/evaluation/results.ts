/**
 * Study-wide results from every evaluations/<name>/result.json (written by evaluate.ts):
 *
 * (a) The results table: one row per evaluation (dataset × split × run), with the run's strategy,
 *     label fraction, seed and architecture (from its current spec, else the copy in result.json),
 *     AUC, DeLong and bootstrap 95% CIs and the target-sensitivity operating point.
 * (b) Paired comparisons on the same images (paper: IFI-CL vs IFI-FS …): among evaluations of the
 *     same dataset, split, referable set, architecture, label fraction and seed, CL vs FS within each
 *     initialisation (IFI-CL − IFI-FS, IWNE-CL − IWNE-FS) and IFI vs IWNE within each method
 *     (IFI-FS − IWNE-FS, IFI-CL − IWNE-CL), each by the paired DeLong test (pairedDelongTest) on the
 *     per-image P(referable) of the two predictions.csv files, rows matched by image id. Two files
 *     with different image sets or labels are not compared on their intersection: the comparison
 *     carries an error instead (and the rest of the results stay usable).
 * (c) Fig 2 series: per panel (dataset × split × referable set × architecture) and strategy, one
 *     point per label fraction: the mean AUC over the seeds and a band — one seed: its DeLong 95%
 *     CI; several seeds: the mean of the seeds' DeLong CI bounds (mean lower, mean upper) — plus the
 *     lowest and highest seed AUC.
 *
 * Folders starting with "." (temporaries of an evaluation being written) are ignored; unreadable
 * ones are listed in `skipped` with the reason. Each row carries its run's settings and standing
 * (services/runs/identity.ts); evaluations of outdated runs, and evaluations whose test dataset or
 * run model changed since they were computed (their inputs.json), are left out unless asked for.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import {
  CI_LEVEL,
  EvaluationResult,
  PREDICTIONS_COLUMNS,
  StudyResults,
  type ComparisonKind,
  type Fig2Panel,
  type PairedComparison,
  type ResultsRow,
} from '../../../src-shared/evaluation';
import { strategyRank, type TrainingStrategy } from '../../../src-shared/training';
import { columnIndex, parseCsv } from '../datasets/csv';
import { listRunsWithStanding, type RunWithStanding } from '../runs/run-info';
import { resultInputChanges } from '../runs/identity';
import type { RunStanding } from '../../../src-shared/run-identity';
import { PREDICTIONS_FILE, RESULT_FILE, studyLayout } from '../study-folder/layout';
import { readResultFolder, resultFolderOf, resultNames } from '../study-folder/result-folder';
import { csvField } from './files';
import { pairedDelongTest } from './metrics';

/** The four comparisons: [A, B, kind, within] (the test is A − B). */
export const COMPARISONS: readonly [TrainingStrategy, TrainingStrategy, ComparisonKind, PairedComparison['within']][] = [
  ['IFI-CL', 'IFI-FS', 'CL vs FS', 'IFI'],
  ['IWNE-CL', 'IWNE-FS', 'CL vs FS', 'IWNE'],
  ['IFI-FS', 'IWNE-FS', 'IFI vs IWNE', 'FS'],
  ['IFI-CL', 'IWNE-CL', 'IFI vs IWNE', 'CL'],
];

/** An evaluation as read from its folder. */
export interface LoadedEvaluation {
  dir: string;
  result: EvaluationResult;
  row: ResultsRow;
}

/** Per-image predictions of one evaluation (predictions.csv), by image id. */
export interface Predictions {
  file: string;
  ids: string[];
  labels: Map<string, number>;
  scores: Map<string, number>;
}

/** Reads evaluations/<name>/result.json by folder name (for the ROC viewer). */
export async function readEvaluation(studyPath: string, name: string): Promise<EvaluationResult> {
  return (await readResultFolder(studyPath, 'evaluations', name, EvaluationResult, 'evaluation')).result;
}

/**
 * evaluations/<name>/predictions.csv as the evaluation wrote it (for the CSV export). The name is
 * checked as readEvaluation checks it (a folder name, never a path) and must be a readable evaluation.
 */
export async function evaluationPredictionsCsv(studyPath: string, name: string): Promise<string> {
  const { folder } = await readResultFolder(studyPath, 'evaluations', name, EvaluationResult, 'evaluation');
  const file = path.join(folder, PREDICTIONS_FILE);
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    throw new AppError('NOT_FOUND', `Evaluation "${name}" has no per-image predictions: ${file} is missing or unreadable.`, [
      { path: 'name', message: 'no predictions.csv' },
    ]);
  }
}

async function parseResultFile(file: string): Promise<EvaluationResult> {
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new AppError('STUDY_CORRUPT', `${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const parsed = EvaluationResult.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'STUDY_CORRUPT',
      `${file} is not a valid evaluation result: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}

/** Reads predictions.csv (the columns of PREDICTIONS_COLUMNS; only image_id, referable and p_referable are used). */
export async function readPredictions(file: string): Promise<Predictions> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new AppError('STUDY_CORRUPT', `${file} is missing or unreadable.`);
  }
  const table = parseCsv(text);
  const col = (name: string): number => {
    const i = columnIndex(table, name);
    if (i < 0) throw new AppError('STUDY_CORRUPT', `${file} has no column "${name}" (expected ${PREDICTIONS_COLUMNS.join(',')}).`);
    return i;
  };
  const [ci, cl, cp] = [col('image_id'), col('referable'), col('p_referable')];
  const out: Predictions = { file, ids: [], labels: new Map(), scores: new Map() };
  for (const row of table.rows) {
    const id = row.cells[ci] ?? '';
    const label = Number(row.cells[cl]);
    const score = Number(row.cells[cp]);
    if (id === '' || (label !== 0 && label !== 1) || !Number.isFinite(score) || row.cells[cp]?.trim() === '') {
      throw new AppError('STUDY_CORRUPT', `${file} line ${row.line}: expected an image id, referable 0/1 and a finite p_referable.`);
    }
    if (out.labels.has(id)) throw new AppError('STUDY_CORRUPT', `${file} line ${row.line}: image "${id}" appears twice.`);
    out.ids.push(id);
    out.labels.set(id, label);
    out.scores.set(id, score);
  }
  return out;
}

/**
 * Labels and both score vectors in A's row order, after checking that both files hold the same
 * images with the same labels (AppError otherwise).
 */
export function alignPredictions(a: Predictions, b: Predictions): { labels: Uint8Array; scoresA: Float64Array; scoresB: Float64Array } {
  const onlyA = a.ids.filter((id) => !b.labels.has(id));
  const onlyB = b.ids.filter((id) => !a.labels.has(id));
  if (onlyA.length > 0 || onlyB.length > 0) {
    const show = (ids: string[]) =>
      ids
        .slice(0, 3)
        .map((id) => `"${id}"`)
        .join(', ') + (ids.length > 3 ? ', …' : '');
    throw new AppError(
      'CONFLICT',
      `The two evaluations hold different images (${a.ids.length} in ${a.file}, ${b.ids.length} in ${b.file}; ${onlyA.length} only in the first${onlyA.length ? `: ${show(onlyA)}` : ''}; ${onlyB.length} only in the second${onlyB.length ? `: ${show(onlyB)}` : ''}): evaluate both runs on the same dataset version again.`,
    );
  }
  const labels = new Uint8Array(a.ids.length);
  const scoresA = new Float64Array(a.ids.length);
  const scoresB = new Float64Array(a.ids.length);
  a.ids.forEach((id, i) => {
    if (a.labels.get(id) !== b.labels.get(id))
      throw new AppError(
        'CONFLICT',
        `Image "${id}" is labelled ${a.labels.get(id)} in ${a.file} but ${b.labels.get(id)} in ${b.file} (different grades or referable sets).`,
      );
    labels[i] = a.labels.get(id)!;
    scoresA[i] = a.scores.get(id)!;
    scoresB[i] = b.scores.get(id)!;
  });
  return { labels, scoresA, scoresB };
}

/** Paired DeLong test of two predictions.csv files (A − B), as stored in a PairedComparison. */
export function pairedTestOf(a: Predictions, b: Predictions): NonNullable<PairedComparison['test']> {
  const { labels, scoresA, scoresB } = alignPredictions(a, b);
  const t = pairedDelongTest(labels, scoresA, scoresB, { level: CI_LEVEL });
  return {
    n: labels.length,
    positives: t.nPositive,
    aucA: t.aucA,
    aucB: t.aucB,
    difference: t.difference,
    se: Math.sqrt(t.varianceDifference),
    z: Number.isFinite(t.z) ? t.z : null,
    p: t.p,
    lower: t.lower,
    upper: t.upper,
    level: t.level,
  };
}

/**
 * A result row; `changes` (runs/identity.ts resultInputChanges: the test dataset's content or the
 * run's model changed since the evaluation) make it outdated like an evaluation of an outdated run.
 */
function toRow(name: string, r: EvaluationResult, run: RunWithStanding | undefined, changes: string[] = []): ResultsRow {
  const s = run?.spec ?? r.run;
  const standing: RunStanding | undefined =
    changes.length > 0
      ? {
          ...(run?.standing ?? { identityComplete: false, note: null }),
          outdated: true,
          reasons: [...(run?.standing.reasons ?? []), ...changes.map((c) => `${c} since the evaluation`)],
        }
      : run?.standing;
  return {
    evaluation: name,
    datasetId: r.dataset.datasetId,
    split: r.split,
    referable: r.referable,
    runId: r.run.runId,
    strategy: s.strategy,
    fraction: s.fraction,
    seed: s.seed,
    arch: s.arch,
    n: r.n,
    positives: r.positives,
    auc: r.auc,
    delong: { lower: r.delong.lower, upper: r.delong.upper },
    bootstrap: { lower: r.bootstrap.lower, upper: r.bootstrap.upper, samples: r.bootstrap.samples },
    operatingPoint: r.operatingPoint,
    overlapsTraining: r.overlapsTraining,
    ...(r.domainShift ? { shiftWarning: r.domainShift.checked ? r.domainShift.warning : null } : {}),
    createdAt: r.createdAt,
    ...(run ? { settings: run.settings } : {}),
    ...(standing ? { standing } : {}),
  };
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** Table order: dataset, split, referable set, architecture, strategy, fraction, seed, run id. */
export function compareRows(a: ResultsRow, b: ResultsRow): number {
  return (
    cmp(a.datasetId, b.datasetId) ||
    cmp(a.split, b.split) ||
    cmp(a.referable.join(','), b.referable.join(',')) ||
    cmp(a.arch, b.arch) ||
    strategyRank(a.strategy) - strategyRank(b.strategy) ||
    a.fraction - b.fraction ||
    a.seed - b.seed ||
    cmp(a.runId, b.runId)
  );
}

/** Reads every evaluation of the study (unreadable folders go to `skipped`). */
export async function loadEvaluations(studyPath: string): Promise<{ evaluations: LoadedEvaluation[]; skipped: StudyResults['skipped'] }> {
  const study = path.resolve(studyPath);
  const root = studyLayout(study).folder('evaluations');
  const names = existsSync(root)
    ? (await fsp.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name)
    : [];
  // A result a crash left only as its `.previous` counts too (result-folder.ts).
  for (const name of await resultNames(root)) if (!names.includes(name)) names.push(name);
  names.sort();
  const runs = new Map((await listRunsWithStanding(study)).map((r) => [r.runId, r]));
  const evaluations: LoadedEvaluation[] = [];
  const skipped: StudyResults['skipped'] = [];
  for (const name of names) {
    const dir = resultFolderOf(root, name) ?? path.join(root, name);
    try {
      const result = await parseResultFile(path.join(dir, RESULT_FILE));
      const { changes } = await resultInputChanges(study, dir);
      evaluations.push({ dir, result, row: toRow(name, result, runs.get(result.run.runId), changes) });
    } catch (e) {
      skipped.push({ path: dir, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { evaluations, skipped };
}

/**
 * Fig 2's data from the table rows: one Fig2Panel per test set, as StudyResults.fig2 holds it (pure; see the module comment for the band).
 * src-shared/figures.ts fig2Panels turns it into chart panels.
 */
export function fig2Data(rows: readonly ResultsRow[]): Fig2Panel[] {
  const panels = new Map<string, { panel: Fig2Panel; bySeries: Map<TrainingStrategy, Map<number, ResultsRow[]>> }>();
  for (const row of [...rows].sort(compareRows)) {
    const key = JSON.stringify([row.datasetId, row.split, row.referable, row.arch]);
    let p = panels.get(key);
    if (!p) {
      p = {
        panel: { datasetId: row.datasetId, split: row.split, referable: row.referable, arch: row.arch, series: [] },
        bySeries: new Map(),
      };
      panels.set(key, p);
    }
    const series = p.bySeries.get(row.strategy) ?? new Map<number, ResultsRow[]>();
    p.bySeries.set(row.strategy, series);
    series.set(row.fraction, [...(series.get(row.fraction) ?? []), row]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...panels.values()].map(({ panel, bySeries }) => ({
    ...panel,
    series: [...bySeries.entries()]
      .sort((a, b) => strategyRank(a[0]) - strategyRank(b[0]))
      .map(([strategy, byFraction]) => ({
        strategy,
        points: [...byFraction.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([fraction, rs]) => {
            const aucs = rs.map((r) => r.auc);
            return {
              fraction,
              seeds: rs.map((r) => r.seed),
              runs: rs.map((r) => r.runId),
              meanAuc: mean(aucs),
              lower: mean(rs.map((r) => r.delong.lower)),
              upper: mean(rs.map((r) => r.delong.upper)),
              band: rs.length === 1 ? ('delong-ci' as const) : ('mean-delong-ci' as const),
              minAuc: Math.min(...aucs),
              maxAuc: Math.max(...aucs),
            };
          }),
      })),
  }));
}

/** The pairs to compare (pure): same dataset, split, referable set, architecture, fraction and seed. */
export function comparisonPairs(
  rows: readonly ResultsRow[],
): { a: ResultsRow; b: ResultsRow; kind: ComparisonKind; within: PairedComparison['within'] }[] {
  const groups = new Map<string, ResultsRow[]>();
  for (const row of [...rows].sort(compareRows)) {
    const key = JSON.stringify([row.datasetId, row.split, row.referable, row.arch, row.fraction, row.seed]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const out: ReturnType<typeof comparisonPairs> = [];
  for (const group of groups.values()) {
    for (const [sa, sb, kind, within] of COMPARISONS) {
      for (const a of group.filter((r) => r.strategy === sa)) {
        for (const b of group.filter((r) => r.strategy === sb)) out.push({ a, b, kind, within });
      }
    }
  }
  return out;
}

export interface StudyResultsOptions {
  /** Keep evaluations of outdated runs in the table, the paired tests and Fig 2 (default false: they are left out and listed). */
  includeOutdated?: boolean;
}

/**
 * Everything the results views need: table, paired comparisons, Fig 2 series. Evaluations of runs
 * that no longer match the grid (outdated) are left out of all three unless `includeOutdated`, and
 * listed in `excludedOutdated`, so a changed plan never mixes old and new models silently.
 */
export async function studyResults(studyPath: string, opts: StudyResultsOptions = {}): Promise<StudyResults> {
  const study = path.resolve(studyPath);
  const includeOutdated = opts.includeOutdated ?? false;
  const { evaluations: all, skipped } = await loadEvaluations(study);
  const isOutdated = (e: LoadedEvaluation) => e.row.standing?.outdated === true;
  const evaluations = includeOutdated ? all : all.filter((e) => !isOutdated(e));
  const excludedOutdated = includeOutdated
    ? []
    : all.filter(isOutdated).map((e) => ({ evaluation: e.row.evaluation, runId: e.row.runId, reasons: e.row.standing?.reasons ?? [] }));
  const rows = evaluations.map((e) => e.row).sort(compareRows);
  const dirOf = new Map(evaluations.map((e) => [e.row.evaluation, e.dir]));
  const cache = new Map<string, Promise<Predictions>>();
  const predictions = (name: string) => {
    let p = cache.get(name);
    if (!p) {
      p = readPredictions(path.join(dirOf.get(name)!, PREDICTIONS_FILE));
      p.catch(() => {});
      cache.set(name, p);
    }
    return p;
  };
  const comparisons: PairedComparison[] = [];
  for (const { a, b, kind, within } of comparisonPairs(rows)) {
    let test: PairedComparison['test'] = null;
    let error: string | null = null;
    try {
      test = pairedTestOf(await predictions(a.evaluation), await predictions(b.evaluation));
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    comparisons.push({
      datasetId: a.datasetId,
      split: a.split,
      referable: a.referable,
      arch: a.arch,
      fraction: a.fraction,
      seed: a.seed,
      kind,
      within,
      a: { runId: a.runId, strategy: a.strategy, evaluation: a.evaluation },
      b: { runId: b.runId, strategy: b.strategy, evaluation: b.evaluation },
      overlapsTraining: a.overlapsTraining || b.overlapsTraining,
      test,
      error,
    });
  }
  return StudyResults.parse({ studyPath: study, rows, comparisons, fig2: fig2Data(rows), skipped, includeOutdated, excludedOutdated });
}

/** Columns of the results-table CSV, in order. */
export const RESULTS_CSV_COLUMNS = [
  'dataset',
  'split',
  'referable',
  'run',
  'strategy',
  'fraction',
  'seed',
  'arch',
  'n',
  'positives',
  'auc',
  'delong_lower',
  'delong_upper',
  'bootstrap_lower',
  'bootstrap_upper',
  'bootstrap_samples',
  'target_sensitivity',
  'threshold',
  'sensitivity',
  'specificity',
  'overlaps_training',
  'evaluation',
  'epochs',
  'lr',
  'batch_size',
  'input_size',
  'outdated',
] as const;

/** The results table as CSV (header + one row per evaluation; numbers in full float64 precision; referable grades joined by spaces). */
export function resultsTableCsv(results: Pick<StudyResults, 'rows'>): string {
  const lines = [RESULTS_CSV_COLUMNS.join(',')];
  for (const r of results.rows) {
    const cells: (string | number | boolean)[] = [
      r.datasetId,
      r.split,
      r.referable.join(' '),
      r.runId,
      r.strategy,
      r.fraction,
      r.seed,
      r.arch,
      r.n,
      r.positives,
      r.auc,
      r.delong.lower,
      r.delong.upper,
      r.bootstrap.lower,
      r.bootstrap.upper,
      r.bootstrap.samples,
      r.operatingPoint.targetSensitivity,
      r.operatingPoint.threshold,
      r.operatingPoint.sensitivity,
      r.operatingPoint.specificity,
      r.overlapsTraining,
      r.evaluation,
      r.settings?.epochs ?? '',
      r.settings?.lr ?? '',
      r.settings?.batchSize ?? '',
      r.settings?.inputSize ?? '',
      r.standing ? (r.standing.outdated ? `outdated: ${r.standing.reasons.join('; ')}` : 'current') : '',
    ];
    lines.push(cells.map((c) => csvField(String(c))).join(','));
  }
  return lines.join('\n') + '\n';
}
