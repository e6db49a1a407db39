/**
 * A finished (or checkpointed) training run as the analyses use it: its spec, the model it selected
 * (runs/<run-id>/best/model.safetensors, torchvision names), the input normalisation it trained
 * with, and the preprocessing size. Evaluation, spectra, robustness and explanations all load runs
 * through here, so test-time preprocessing is the validation preprocessing of the run.
 */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../src-shared/errors';
import { TrainingResult, TrainingSpec } from '../../../src-shared/training';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { importWeights } from '../../engine/weights/import';
import { readWeightFile } from '../../engine/weights/read';

export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,79}$/;

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
    normalisation: z.object({ mean: z.array(z.number()).length(3), std: z.array(z.number()).length(3), source: z.string() }),
  })
  .passthrough();
export type BestModelInfo = z.infer<typeof BestModelInfo>;

export interface RunInfo {
  runId: string;
  runDir: string;
  spec: TrainingSpec;
  /** metrics.json when the run finished, else null. */
  result: TrainingResult | null;
  /** best/metrics.json when a best model exists, else null. */
  best: BestModelInfo | null;
}

export interface LoadedRunModel extends RunInfo {
  best: BestModelInfo;
  model: ResNet;
  /** Input side the run trained at (its spec.inputSize). */
  inputSize: number;
  mean: [number, number, number];
  std: [number, number, number];
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
  if (!RUN_ID_PATTERN.test(runId)) throw new AppError('BAD_REQUEST', `Invalid run id "${runId}".`, [{ path: field, message: 'invalid run id' }]);
  const runDir = path.join(path.resolve(studyPath), 'runs', runId);
  const specFile = path.join(runDir, 'spec.json');
  if (!existsSync(specFile)) throw new AppError('NOT_FOUND', `Run "${runId}" is not in the study ${studyPath} (no ${specFile}).`, [{ path: field, message: 'no such run' }]);
  const spec = TrainingSpec.safeParse(await readJson(specFile));
  if (!spec.success) throw new AppError('STUDY_CORRUPT', `${specFile} is not a valid training spec: ${spec.error.issues[0]?.path.join('.')} ${spec.error.issues[0]?.message}`);
  const metricsFile = path.join(runDir, 'metrics.json');
  const result = existsSync(metricsFile) ? TrainingResult.safeParse(await readJson(metricsFile)) : null;
  const bestFile = path.join(runDir, 'best', 'metrics.json');
  let best: BestModelInfo | null = null;
  if (existsSync(bestFile)) {
    const parsed = BestModelInfo.safeParse(await readJson(bestFile));
    if (!parsed.success) throw new AppError('STUDY_CORRUPT', `${bestFile} is invalid: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    best = parsed.data;
  }
  return { runId, runDir, spec: spec.data, result: result?.success ? result.data : null, best };
}

/** Every run folder of the study with a readable spec, sorted by id (unreadable ones are skipped). */
export async function listRuns(studyPath: string): Promise<RunInfo[]> {
  const dir = path.join(path.resolve(studyPath), 'runs');
  const names = existsSync(dir) ? (await fsp.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && RUN_ID_PATTERN.test(d.name)).map((d) => d.name) : [];
  const out: RunInfo[] = [];
  for (const name of names.sort()) {
    try {
      out.push(await readRunInfo(studyPath, name));
    } catch {
      /* a run folder without a valid spec is not a run */
    }
  }
  return out;
}

/**
 * Loads the run's selected model (best/model.safetensors) into a ResNet of the run's architecture.
 * The caller disposes `model`. Errors: no best model yet (the run has not finished an epoch), a
 * weights file that does not fit the architecture.
 */
export async function loadRunModel(studyPath: string, runId: string, field = 'runId'): Promise<LoadedRunModel> {
  const info = await readRunInfo(studyPath, runId, field);
  const weights = path.join(info.runDir, 'best', 'model.safetensors');
  if (!info.best || !existsSync(weights)) {
    throw new AppError('BAD_REQUEST', `Run "${runId}" has no selected model yet (${weights} is missing): train it for at least one epoch first.`, [{ path: field, message: 'no trained model' }]);
  }
  const config = parseArch(info.spec.arch, info.best.classes);
  const model = ResNet.create(config, { seed: info.spec.seed });
  try {
    importWeights(model, await readWeightFile(weights), { reinitialiseHead: false });
  } catch (e) {
    model.dispose();
    throw e;
  }
  const { mean, std } = info.best.normalisation;
  return { ...info, best: info.best, model, inputSize: info.spec.inputSize, mean: mean as [number, number, number], std: std as [number, number, number] };
}
