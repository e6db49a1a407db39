/**
 * The study's training grid (grid.json): strategies × label fractions × seeds, each cell one run
 * (runs/<defaultRunId(spec)>/, or <defaultRunId>-v2, -v3, … when that folder was trained with other
 * settings: services/runs/identity.ts runFolderFor). A cell's status is read from its run folder, so
 * the grid survives restarts without bookkeeping of its own: no folder → pending; a checkpoint but no
 * metrics.json → partial (resumes where it stopped); metrics.json → done. Run folders no cell trains
 * now are listed beside the cells (`others`) with their standing (outdated and why). IFI cells without their weights file are
 * blocked (not errors), so the rest of the grid can run. Pure file reading (no tfjs): the main
 * process uses it; grid-run.ts runs the cells.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PreprocessingRecord, type CacheUse } from '../../../src-shared/datasets';
import { AppError, parseOrThrow, type FieldIssue } from '../../../src-shared/errors';
import {
  GridSpec,
  GridView,
  IDENTITY_INCOMPLETE_NOTE,
  RunDetail,
  cellSpecInput,
  runSettings,
  type GridCell,
  type GridSpecInput,
} from '../../../src-shared/grid';
import {
  PretrainEpochLog,
  runOutcomeText,
  PretrainSummary,
  TrainingEpochLog,
  TrainingResult,
  TrainingSpec,
  type PretrainLearningCheck,
  type TrainingStrategy,
} from '../../../src-shared/training';
import { CHECKPOINT_FILES, studyLayout } from '../study-folder/layout';
import { activeWorkLockHolder, holderWhere } from '../study-folder/lock';
import { readStopRequest } from '../runs/steer';
import { requireStudyFolder } from '../study-folder/study-service';
import { readRevisioned, saveRevisioned } from '../study-folder/revision';
import { readRunIdentity, runFolderFor } from '../runs/identity';
import { listRunsWithStanding, readRunInfo } from '../runs/run-info';
import { pretrainId } from './run-id';

const requireStudy = (studyPath: string) => requireStudyFolder(studyPath);

/** The grid of the study, or null when none was set. */
export async function readGrid(studyPath: string): Promise<GridSpec | null> {
  return (await readGridFile(studyPath))?.grid ?? null;
}

/** The grid and grid.json's revision (0 for a file from before revisions), or null when none was set. */
export async function readGridFile(studyPath: string): Promise<{ grid: GridSpec; revision: number } | null> {
  const file = studyLayout(requireStudy(studyPath)).gridFile;
  const stored = await readRevisioned(file);
  return stored ? { grid: parseOrThrow(GridSpec, stored.value, file), revision: stored.revision } : null;
}

/**
 * Validates and stores a grid. Every cell must parse as a TrainingSpec; the first cell that does not
 * is refused with its issues under `base.` / `overrides.<strategy>.` paths. `baseRevision` is the
 * grid.json revision the edit started from: another stored revision refuses the save (CONFLICT, "changed
 * elsewhere — reload"); without it the grid replaces whatever is stored (`funduslab grid --spec`).
 */
export async function saveGrid(studyPath: string, input: GridSpecInput, baseRevision?: number): Promise<GridView> {
  const study = requireStudy(studyPath);
  const grid = parseOrThrow(GridSpec, input, 'training grid');
  for (const strategy of grid.strategies) {
    const parsed = TrainingSpec.safeParse(cellSpecInput(grid, strategy, grid.fractions[0]!, grid.seeds[0]!));
    if (!parsed.success) {
      const issues: FieldIssue[] = parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '');
        const where = grid.overrides[strategy] && key in grid.overrides[strategy]! ? `overrides.${strategy}` : 'base';
        return { path: [where, ...i.path.map(String)].join('.'), message: i.message };
      });
      throw new AppError(
        'BAD_REQUEST',
        `The grid's ${strategy} runs would not be valid training specs: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      );
    }
    if (!parsed.data.datasetId)
      throw new AppError('BAD_REQUEST', 'The grid names no dataset: set base.datasetId to a dataset of the study.', [
        { path: 'base.datasetId', message: 'required' },
      ]);
  }
  await saveRevisioned(studyLayout(study).gridFile, grid, baseRevision, 'The training grid');
  return gridView(study);
}

/** One cell's spec, run id and status (see the module comment). */
async function describeCell(
  study: string,
  grid: GridSpec,
  strategy: TrainingStrategy,
  fraction: number,
  seed: number,
): Promise<GridCell & { parsed: TrainingSpec | null }> {
  const input = cellSpecInput(grid, strategy, fraction, seed);
  const parsed = TrainingSpec.safeParse(input);
  const base = { strategy, fraction, seed, epochsDone: 0, bestValAuc: null };
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return {
      ...base,
      runId: `${strategy}-f${fraction}-s${seed}`.toLowerCase(),
      status: 'invalid',
      reason: `${i.path.join('.')}: ${i.message}`,
      spec: null,
      epochs: 0,
      parsed: null,
    };
  }
  const spec = parsed.data;
  // The folder of the same settings, else a fresh one (<id>-v2, …): a folder trained otherwise stays, listed as outdated.
  const { runId, existing } = await runFolderFor(study, spec);
  const files = studyLayout(study).run(runId);
  const note = existing && !(await readRunIdentity(files)) ? IDENTITY_INCOMPLETE_NOTE : null;
  const cell = { ...base, runId, spec, epochs: spec.epochs, settings: runSettings(spec), note, parsed: spec };
  const metrics = files.metrics;
  if (existsSync(metrics)) {
    const r = TrainingResult.safeParse(JSON.parse(await fsp.readFile(metrics, 'utf8').catch(() => 'null')));
    if (r.success)
      return {
        ...cell,
        status: 'done',
        // Finished at the user's request: done, and said so.
        reason: r.data.stoppedByRequest ? runOutcomeText(r.data, spec.epochs) : null,
        epochsDone: r.data.finalEpoch,
        bestValAuc: r.data.bestValAuc,
      };
  }
  const state = path.join(files.checkpoint.dir, CHECKPOINT_FILES.state);
  if (existsSync(state)) {
    const s = JSON.parse(await fsp.readFile(state, 'utf8').catch(() => '{}')) as { epoch?: number; best?: { valAuc: number } | null };
    return { ...cell, status: 'partial', reason: null, epochsDone: s.epoch ?? 0, bestValAuc: s.best?.valAuc ?? null };
  }
  if (spec.strategy.startsWith('IFI')) {
    // Said in the words of the study wizard's Weights step, where the file is chosen (a grid file names it imagenetWeights / mocoWeights).
    const what = spec.strategy === 'IFI-FS' ? 'the ImageNet weights file' : 'the MoCo v2 checkpoint file';
    if (!spec.pretrainedWeights)
      return {
        ...cell,
        status: 'blocked',
        reason: `${spec.strategy} needs ${spec.strategy === 'IFI-FS' ? 'ImageNet weights' : 'a MoCo v2 ImageNet checkpoint'}: none is chosen in the study wizard's Weights step`,
      };
    const file = path.resolve(study, spec.pretrainedWeights);
    if (!existsSync(file)) return { ...cell, status: 'blocked', reason: `${what} ${file} does not exist` };
  }
  return { ...cell, status: 'pending', reason: null };
}

/** The grid and the status of every cell, strategy-major then fraction then seed. */
export async function gridView(studyPath: string): Promise<GridView> {
  const study = requireStudy(studyPath);
  const stored = await readGridFile(study);
  if (!stored) return { spec: null, cells: [] }; // no grid.json: revision 0
  const { grid, revision } = stored;
  const cells: GridCell[] = [];
  for (const strategy of grid.strategies) {
    for (const fraction of grid.fractions) {
      for (const seed of grid.seeds) {
        const { parsed: _parsed, ...cell } = await describeCell(study, grid, strategy, fraction, seed);
        cells.push(cell);
      }
    }
  }
  const inGrid = new Set(cells.map((c) => c.runId));
  const others = (await listRunsWithStanding(study))
    .filter((r) => !inGrid.has(r.runId))
    .map((r) => ({
      runId: r.runId,
      strategy: r.spec.strategy,
      fraction: r.spec.fraction,
      seed: r.spec.seed,
      finished: r.result !== null,
      bestValAuc: r.result?.bestValAuc ?? r.best?.valAuc ?? null,
      settings: r.settings,
      standing: r.standing,
    }));
  return GridView.parse({ spec: grid, cells, revision, others });
}

/** The cells that can run now (pending or partial), with their parsed specs. */
export async function runnableCells(studyPath: string): Promise<{ cell: GridCell; spec: TrainingSpec }[]> {
  const view = await gridView(studyPath);
  return view.cells
    .filter((c) => c.status === 'pending' || c.status === 'partial')
    .map((cell) => ({ cell, spec: TrainingSpec.parse(cell.spec) }));
}

async function readNdjson<T>(file: string, parse: (v: unknown) => T): Promise<T[]> {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of (await fsp.readFile(file, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(parse(JSON.parse(line)));
    } catch {
      /* a torn last line while the run writes; the next poll sees it whole */
    }
  }
  return out;
}

/** The learning check of a finished pretraining (its summary.json), or null: not finished, from before the check, or unreadable. */
async function readPretrainCheck(summaryFile: string): Promise<PretrainLearningCheck | null> {
  if (!existsSync(summaryFile)) return null;
  try {
    return PretrainSummary.parse(JSON.parse(await fsp.readFile(summaryFile, 'utf8'))).learningCheck;
  } catch {
    return null;
  }
}

/** The caches a run, pretraining or result recorded in its preprocessing.json, or null: none recorded, or unreadable. */
async function readPreprocessing(file: string): Promise<CacheUse[] | null> {
  if (!existsSync(file)) return null;
  try {
    return PreprocessingRecord.parse(JSON.parse(await fsp.readFile(file, 'utf8'))).caches;
  } catch {
    return null;
  }
}

/** A run's spec, result and logs so far (for the live curves of the dashboard). */
export async function runDetail(studyPath: string, runId: string): Promise<RunDetail> {
  const info = await readRunInfo(requireStudy(studyPath), runId);
  const log = await readNdjson(info.files.log, (v) => TrainingEpochLog.parse(v));
  const pretrain = info.spec.strategy === 'IWNE-CL' ? studyLayout(studyPath).pretrain(pretrainId(info.spec).id) : null;
  const pretrainLog = pretrain ? await readNdjson(pretrain.log, (v) => PretrainEpochLog.parse(v)) : [];
  return RunDetail.parse({
    runId,
    spec: info.spec,
    result: info.result,
    log,
    pretrainLog,
    pretrainCheck: pretrain ? await readPretrainCheck(pretrain.summary) : null,
    preprocessing: await readPreprocessing(info.files.preprocessing),
    // Who trains it now (a live work lock), and a "finish after this epoch" request still waiting.
    trainer: await activeWorkLockHolder(info.files.dir).then((h) => (h ? `${h.what} (${holderWhere(h)})` : null)),
    stopRequest: info.result ? null : await readStopRequest(info.files),
  });
}
