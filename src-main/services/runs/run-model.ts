/**
 * A finished (or checkpointed) training run as the analyses use it: its spec, the model it selected
 * (runs/<run-id>/best/model.safetensors, torchvision names), the input normalisation it trained
 * with, and the preprocessing size. Evaluation, spectra, robustness and explanations all load runs
 * through here, so test-time preprocessing is the validation preprocessing of the run.
 */
import { existsSync } from 'node:fs';
import { AppError } from '../../../src-shared/errors';
import { ResNet } from '../../engine/models/resnet';
import { parseArch } from '../../engine/models/resnet-spec';
import { importWeights } from '../../engine/weights/import';
import { readWeightFile } from '../../engine/weights/read';
import { readRunInfo, type BestModelInfo, type RunInfo } from './run-info';

export { BestModelInfo, RUN_ID_PATTERN, listRuns, readRunInfo, type RunInfo } from './run-info';

export interface LoadedRunModel extends RunInfo {
  best: BestModelInfo;
  model: ResNet;
  /** Input side the run trained at (its spec.inputSize). */
  inputSize: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/**
 * Loads the run's selected model (best/model.safetensors) into a ResNet of the run's architecture.
 * The caller disposes `model`. Errors: no best model yet (the run has not finished an epoch), a
 * weights file that does not fit the architecture.
 */
export async function loadRunModel(studyPath: string, runId: string, field = 'runId'): Promise<LoadedRunModel> {
  const info = await readRunInfo(studyPath, runId, field);
  const weights = info.files.bestModel;
  if (!info.best || !existsSync(weights)) {
    throw new AppError(
      'BAD_REQUEST',
      `Run "${runId}" has no selected model yet (${weights} is missing): train it for at least one epoch first.`,
      [{ path: field, message: 'no trained model' }],
    );
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
  return {
    ...info,
    best: info.best,
    model,
    inputSize: info.spec.inputSize,
    mean: mean as [number, number, number],
    std: std as [number, number, number],
  };
}
