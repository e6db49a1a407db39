/**
 * A run's selected model (best/, the one the analyses use) written where the user chose, as the
 * `weights convert` command writes weights: `.safetensors` in PyTorch's layout with torchvision
 * names, or FundusLab's tfjs format (a folder with model.json and weights.bin). What is already
 * there is replaced only when the request says so. Runs in a worker (`models.export`): the model is
 * loaded on the compute engine.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ModelExportRequest, ModelExportResult } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { archName } from '../../engine/models/resnet-spec';
import { exportSafetensors, exportTfjs } from '../../engine/weights/export';
import { withFsDeadline } from '../../fs/user-fs';
import { loadRunModel } from './run-model';

async function exists(target: string): Promise<boolean> {
  return withFsDeadline(
    fsp.lstat(target).then(
      () => true,
      () => false,
    ),
    'Checking the export destination',
    target,
    'out',
  );
}

/** The two files the tfjs writer (engine/weights/tfjs-format.ts) puts into its folder. */
const TFJS_FILES = ['model.json', 'weights.bin'] as const;

/** The files an export would write: the .safetensors file, or the tfjs files inside the folder. */
export function exportTargets(format: ModelExportRequest['format'], out: string): string[] {
  return format === 'safetensors' ? [out] : TFJS_FILES.map((name) => path.join(out, name));
}

/** Refuses a destination whose folder is missing, or (without `overwrite`) one that already holds what the export writes. */
async function checkDestination(request: ModelExportRequest): Promise<void> {
  const parent = path.dirname(request.out);
  if (!(await exists(parent)))
    throw new AppError('BAD_REQUEST', `The folder ${parent} does not exist; choose an existing folder to export into.`, [
      { path: 'out', message: 'folder missing' },
    ]);
  if (request.overwrite) return;
  for (const target of exportTargets(request.format, request.out)) {
    if (await exists(target))
      throw new AppError(
        'CONFLICT',
        `${target} already exists; the export does not replace it. Choose another name, or allow replacing it.`,
        [{ path: 'out', message: 'exists (overwrite: true replaces it)' }],
      );
  }
}

export async function exportRunModel(request: ModelExportRequest): Promise<ModelExportResult> {
  await checkDestination(request);
  const loaded = await loadRunModel(request.studyPath, request.runId);
  try {
    let files: string[];
    if (request.format === 'safetensors') {
      await exportSafetensors(loaded.model, request.out);
      files = [request.out];
    } else {
      const written = await exportTfjs(loaded.model, request.out);
      files = [written.modelJson, written.weightsBin];
    }
    return { runId: request.runId, format: request.format, arch: archName(loaded.model.config), files };
  } finally {
    loaded.model.dispose();
  }
}
