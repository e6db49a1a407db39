/**
 * The study wizard's review step (pure, unit-tested in test/unit/renderer/training.viewmodel.test.ts):
 * every run the grid will create, with its run id as the main side names it, and the summary of the
 * form's answers as label/value rows.
 */
import { GridSpec, cellSpecInput, defaultRunId } from '../../../../src-shared/grid';
import { TrainingSpec, type TrainingStrategy } from '../../../../src-shared/training';
import { STRATEGY_ORDER, formatFraction } from '../../../shared/strategies';
import { epochsText } from '../training-common.viewmodel';
import type { GridForm } from './grid-form.viewmodel';
import { buildGridSpec } from './grid-spec.viewmodel';

export interface ReviewRun {
  runId: string;
  strategy: TrainingStrategy;
  fraction: string;
  seed: number;
  /** `500 epochs · lr 0.0001` (plus MoCo pretraining for IWNE-CL). */
  training: string;
  /** Why the run will not start, or null. */
  note: string | null;
}

/**
 * Every run the grid will create, strategy-major then fraction then seed (the order of grid.get), with
 * its run id exactly as the main side derives it (cellSpecInput → TrainingSpec → defaultRunId).
 */
export function reviewRuns(form: GridForm): { runs: ReviewRun[]; error: string | null } {
  const parsed = GridSpec.safeParse(buildGridSpec(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { runs: [], error: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const grid = parsed.data;
  const runs: ReviewRun[] = [];
  for (const strategy of grid.strategies) {
    for (const fraction of grid.fractions) {
      for (const seed of grid.seeds) {
        const spec = TrainingSpec.safeParse(cellSpecInput(grid, strategy, fraction, seed));
        if (!spec.success) {
          const issue = spec.error.issues[0];
          return { runs: [], error: `${strategy}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
        }
        const s = spec.data;
        const pretrain = strategy === 'IWNE-CL' ? ` · after ${epochsText(s.moco.epochs).replace('epoch', 'MoCo epoch')}` : '';
        const missing =
          strategy === 'IFI-FS' && !grid.imagenetWeights
            ? 'blocked: no ImageNet weights'
            : strategy === 'IFI-CL' && !grid.mocoWeights
              ? 'blocked: no MoCo v2 checkpoint'
              : null;
        runs.push({
          runId: defaultRunId(s),
          strategy,
          fraction: formatFraction(fraction),
          seed,
          training: `${epochsText(s.epochs)} · lr ${s.lr}${pretrain}`,
          note: missing,
        });
      }
    }
  }
  return { runs, error: null };
}

/** The review step's summary, as label/value rows. */
export function reviewSummary(form: GridForm): { label: string; value: string; mono?: boolean }[] {
  const rows: { label: string; value: string; mono?: boolean }[] = [
    { label: 'Dataset', value: form.datasetId || '—', mono: true },
    { label: 'Strategies', value: STRATEGY_ORDER.filter((s) => form.strategies.includes(s)).join(', ') || '—' },
    { label: 'Label fractions', value: form.fractions.map(formatFraction).join(', ') },
    { label: 'Seeds', value: form.seeds.join(', ') },
    { label: 'Model', value: `${form.arch} at ${form.inputSize} px, batch size ${form.batchSize}` },
  ];
  if (form.strategies.some((s) => s.startsWith('IWNE')))
    rows.push({ label: 'IWNE training', value: `${epochsText(form.iwneEpochs)} at lr ${form.iwneLr}` });
  if (form.strategies.some((s) => s.startsWith('IFI')))
    rows.push({ label: 'IFI training', value: `${epochsText(form.ifiEpochs)} at lr ${form.ifiLr}` });
  if (form.strategies.includes('IWNE-CL'))
    rows.push({ label: 'MoCo v2 (IWNE-CL)', value: `${epochsText(form.mocoEpochs)} at lr ${form.mocoLr}, queue ${form.mocoQueue}` });
  if (form.strategies.includes('IFI-FS'))
    rows.push({
      label: 'ImageNet weights',
      value: form.imagenetWeights || 'not set (IFI-FS blocked)',
      mono: Boolean(form.imagenetWeights),
    });
  if (form.strategies.includes('IFI-CL'))
    rows.push({ label: 'MoCo v2 checkpoint', value: form.mocoWeights || 'not set (IFI-CL blocked)', mono: Boolean(form.mocoWeights) });
  return rows;
}
