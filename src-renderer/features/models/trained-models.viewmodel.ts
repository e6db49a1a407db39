/**
 * The Models page's trained models: the model each finished run of the open study selected (its
 * best validation epoch), one row per run, and where an export of one goes. Pure: no React, no DOM.
 */
import type { ModelExportFormat, RunSummary } from '../../../src-shared/contract';
import type { JobState } from '../../../src-shared/jobs';
import { formatFraction, strategyRank } from '../../shared/strategies';
import { samePath } from '../jobs/job-scope.viewmodel';
import { outdatedChip, type OutdatedChip } from '../training/run-settings.viewmodel';

export interface TrainedModelRow {
  runId: string;
  strategy: RunSummary['strategy'];
  /** `10 %`. */
  fraction: string;
  seed: number;
  arch: string;
  /** Epochs the run was set to train (its settings), or `–`. */
  epochs: string;
  /** `0.912`, or `–` when no epoch had a validation AUC. */
  bestValAuc: string;
  /** The Outdated marker of a run trained with settings the grid no longer has (with what differs), or null. */
  outdated: OutdatedChip | null;
}

/** Finished runs with a selected model, by strategy (the paper's order), then fraction (largest first), then seed. */
export function trainedModels(runs: readonly RunSummary[]): TrainedModelRow[] {
  return runs
    .filter((r) => r.finished && r.hasModel)
    .sort(
      (a, b) =>
        strategyRank(a.strategy) - strategyRank(b.strategy) ||
        b.fraction - a.fraction ||
        a.seed - b.seed ||
        (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0),
    )
    .map((r) => ({
      runId: r.runId,
      strategy: r.strategy,
      fraction: formatFraction(r.fraction),
      seed: r.seed,
      arch: r.arch,
      epochs: r.settings ? String(r.settings.epochs) : '–',
      bestValAuc: r.bestValAuc === null || !Number.isFinite(r.bestValAuc) ? '–' : r.bestValAuc.toFixed(3),
      outdated: outdatedChip(r.standing),
    }));
}

/** Changes when a job that trains runs of this study ends, so the list is read again. */
export function trainingJobsKey(jobs: readonly Pick<JobState, 'id' | 'kind' | 'status' | 'studyPath'>[], studyPath: string | null): string {
  return jobs
    .filter(
      (j) =>
        (j.kind === 'train.run' || j.kind === 'study.run') &&
        studyPath !== null &&
        j.studyPath !== null &&
        samePath(j.studyPath, studyPath),
    )
    .map((j) => `${j.id}:${j.status}`)
    .sort()
    .join('|');
}

/** The name an export gets unless the user changes it: `<run>.safetensors`, or the folder `<run>-tfjs`. */
export function defaultExportName(runId: string, format: ModelExportFormat): string {
  return format === 'safetensors' ? `${runId}.safetensors` : `${runId}-tfjs`;
}

/** The folder an export goes into unless the user chooses another: the one holding the study folder. */
export function defaultExportFolder(studyPath: string): string {
  const trimmed = studyPath.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return cut <= 0 ? trimmed.slice(0, 1) || '/' : trimmed.slice(0, cut);
}

export type ExportDestination = { ok: true; out: string } | { ok: false; problem: string };

/** The export's `out`: the folder and the name, checked for what the form can tell before asking FundusLab. */
export function exportDestination(folder: string, name: string, format: ModelExportFormat): ExportDestination {
  const dir = folder.trim();
  const file = name.trim();
  if (!dir.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(dir)) return { ok: false, problem: 'Give the folder as an absolute path.' };
  if (file === '' || /[\\/]/.test(file) || file === '.' || file === '..') return { ok: false, problem: 'Give a name without folders.' };
  if (format === 'safetensors' && !/\.safetensors$/i.test(file))
    return { ok: false, problem: 'A safetensors file name ends in .safetensors.' };
  const separator = dir.endsWith('/') || dir.endsWith('\\') ? '' : dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return { ok: true, out: `${dir}${separator}${file}` };
}
