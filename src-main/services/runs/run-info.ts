/**
 * What a study's run folders hold (spec, result, best-model info), read without tensors: pure file
 * reading, safe in the main process. run-model.ts loads the model itself.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../../../src-shared/errors';
import type { RunSummary } from '../../../src-shared/contract';
import { GridSpec, cellSpecInput, runSettings, type RunSettings, type RunStanding } from '../../../src-shared/grid';
import { ResolvedNormalisation, TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { readRevisioned } from '../study-folder/revision';
import { requireStudyFolder } from '../study-folder/study-service';
import { readStudyJsonFile, TRAINING_SPEC_RULES } from '../study-folder/study-files';
import { studyLayout, type RunLayout } from '../study-folder/layout';
import { currentIdentity, readRunIdentity, runStanding, type StoredRunIdentity } from './identity';

export { RUN_ID_PATTERN } from '../../../src-shared/ids';
import { RUN_ID_PATTERN } from '../../../src-shared/ids';

/** runs/<run-id>/best/metrics.json */
export const BestModelInfo = z
  .object({
    epoch: z.number().int().positive(),
    valAuc: z.number().nullable(),
    valLoss: z.number(),
    referable: z.array(z.number().int().min(0).max(4)),
    selection: z.enum(['val-auc', 'last-epoch']),
    runId: z.string(),
    arch: z.string(),
    classes: z.number().int().positive(),
    normalisation: ResolvedNormalisation,
  })
  .passthrough();
export type BestModelInfo = z.infer<typeof BestModelInfo>;

export interface RunInfo {
  runId: string;
  runDir: string;
  /** Every file of the run folder (services/study-folder/layout.ts). */
  files: RunLayout;
  spec: TrainingSpec;
  /** metrics.json when the run finished, else null. */
  result: TrainingResult | null;
  /** best/metrics.json when a best model exists, else null. */
  best: BestModelInfo | null;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new AppError('STUDY_CORRUPT', `${file} could not be read as JSON: ${(e as Error).message}`);
  }
}

/** Reads a run's spec, result and best-model info (no tensors). `field` names the request field. */
export async function readRunInfo(studyPath: string, runId: string, field = 'runId'): Promise<RunInfo> {
  if (!RUN_ID_PATTERN.test(runId))
    throw new AppError('BAD_REQUEST', `Invalid run id "${runId}".`, [{ path: field, message: 'invalid run id' }]);
  const files = studyLayout(studyPath).run(runId);
  const runDir = files.dir;
  const specFile = files.spec;
  if (!existsSync(specFile))
    throw new AppError('NOT_FOUND', `Run "${runId}" is not in the study ${studyPath} (no ${specFile}).`, [
      { path: field, message: 'no such run' },
    ]);
  const spec = await readStudyJsonFile(specFile, TRAINING_SPEC_RULES);
  const metricsFile = files.metrics;
  const result = existsSync(metricsFile) ? TrainingResult.safeParse(await readJson(metricsFile)) : null;
  const bestFile = files.bestMetrics;
  let best: BestModelInfo | null = null;
  if (existsSync(bestFile)) {
    const parsed = BestModelInfo.safeParse(await readJson(bestFile));
    if (!parsed.success)
      throw new AppError(
        'STUDY_CORRUPT',
        `${bestFile} is invalid: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
      );
    best = parsed.data;
  }
  return { runId, runDir, files, spec, result: result?.success ? result.data : null, best };
}

/**
 * Every run folder of the study that holds a spec.json, sorted by id. A damaged spec.json (or
 * best/metrics.json) stops the listing with an error naming the file: a run is never left out
 * silently. A folder without spec.json is not a run.
 */
export async function listRuns(studyPath: string): Promise<RunInfo[]> {
  const dir = studyLayout(requireStudyFolder(studyPath)).folder('runs');
  const names = existsSync(dir)
    ? (await fsp.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && RUN_ID_PATTERN.test(d.name)).map((d) => d.name)
    : [];
  const out: RunInfo[] = [];
  for (const name of names.sort()) {
    if (!existsSync(studyLayout(studyPath).run(name).spec)) continue;
    out.push(await readRunInfo(studyPath, name));
  }
  return out;
}

/** A run with its identity.json and whether it still matches the current grid (services/runs/identity.ts). */
export interface RunWithStanding extends RunInfo {
  identity: StoredRunIdentity | null;
  standing: RunStanding;
  settings: RunSettings;
}

/**
 * Every run of the study with its standing: each run is compared with the spec and identity the
 * current grid gives its strategy, label fraction and seed. Without a grid every run is current.
 */
export async function listRunsWithStanding(studyPath: string): Promise<RunWithStanding[]> {
  const runs = await listRuns(studyPath);
  // grid.json carries its revision beside the grid (study-folder/revision.ts); an unreadable grid compares nothing.
  const stored = await readRevisioned(studyLayout(studyPath).gridFile).catch(() => null);
  const grid = stored ? (GridSpec.safeParse(stored.value).data ?? null) : null;
  const references = new Map<string, Promise<Parameters<typeof runStanding>[1]>>();
  const referenceOf = (spec: TrainingSpec) => {
    const key = JSON.stringify([spec.strategy, spec.fraction, spec.seed]);
    let ref = references.get(key);
    if (!ref) {
      const parsed = grid ? TrainingSpec.safeParse(cellSpecInput(grid, spec.strategy, spec.fraction, spec.seed)) : null;
      ref = parsed?.success
        ? currentIdentity(studyPath, parsed.data).then((identity) => ({ spec: parsed.data, identity }))
        : Promise.resolve(null);
      references.set(key, ref);
    }
    return ref;
  };
  const out: RunWithStanding[] = [];
  for (const run of runs) {
    const identity = await readRunIdentity(run.files);
    out.push({
      ...run,
      identity,
      standing: runStanding({ spec: run.spec, identity }, await referenceOf(run.spec)),
      settings: runSettings(run.spec),
    });
  }
  return out;
}

/** Every run folder with a readable spec, summarised for the analysis pages (sorted by id), with its settings and standing. */
export async function runSummaries(studyPath: string): Promise<RunSummary[]> {
  return (await listRunsWithStanding(studyPath)).map((r) => ({
    runId: r.runId,
    strategy: r.spec.strategy,
    fraction: r.spec.fraction,
    seed: r.spec.seed,
    arch: r.spec.arch,
    inputSize: r.spec.inputSize,
    datasetId: r.spec.datasetId ?? null,
    finished: r.result !== null,
    hasModel: r.best !== null,
    bestValAuc: r.result?.bestValAuc ?? r.best?.valAuc ?? null,
    settings: r.settings,
    standing: r.standing,
  }));
}
