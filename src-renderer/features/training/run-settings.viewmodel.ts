/**
 * What every run listing shows beside a run (pure, unit-tested in
 * test/unit/renderer/run-settings.viewmodel.test.ts): its epochs, learning rate, batch size and input
 * size; an "Outdated" chip with the settings that differ from the current grid; and a "settings
 * differ" marker when runs of the same strategy shown together were trained with different settings.
 */
import type { RunSettings, RunStanding } from '../../../src-shared/run-identity';
import type { TrainingStrategy } from '../../../src-shared/training';
import { strategyRank } from '../../shared/strategies';

export interface SettingsText {
  epochs: string;
  lr: string;
  batch: string;
  inputSize: string;
}

/** A learning rate as written in specs: `0.001`, `1e-4`, `3e-5`. */
export function formatLr(lr: number): string {
  if (lr === 0 || lr >= 1e-3) return String(lr);
  return lr.toExponential();
}

/** The four settings as table cells; `—` each when the run's settings are unknown (its folder is gone). */
export function settingsText(s: RunSettings | undefined): SettingsText {
  if (!s) return { epochs: '—', lr: '—', batch: '—', inputSize: '—' };
  return { epochs: String(s.epochs), lr: formatLr(s.lr), batch: String(s.batchSize), inputSize: `${s.inputSize} px` };
}

/** One line: `6 epochs · lr 0.001 · batch 16 · 64 px`. */
export function settingsLine(s: RunSettings | undefined): string {
  if (!s) return '';
  return `${s.epochs} epoch${s.epochs === 1 ? '' : 's'} · lr ${formatLr(s.lr)} · batch ${s.batchSize} · ${s.inputSize} px`;
}

export interface OutdatedChip {
  label: string;
  /** `epochs 1 → 6; dataset content changed` (the chip's tooltip and accessible description). */
  reasons: string;
}

/** The chip of an outdated run, or null for a current one (or an unknown standing). */
export function outdatedChip(standing: RunStanding | undefined): OutdatedChip | null {
  if (!standing?.outdated) return null;
  return { label: 'Outdated', reasons: `Trained with other settings than the grid has now: ${standing.reasons.join('; ')}` };
}

const SETTING_LABELS: [keyof RunSettings, string, (v: number) => string][] = [
  ['epochs', 'epochs', String],
  ['lr', 'lr', formatLr],
  ['batchSize', 'batch', String],
  ['inputSize', 'input size', (v) => `${v} px`],
];

/**
 * The "settings differ" marker: null when the runs of each strategy share epochs, lr, batch size and
 * input size (strategies may differ: the paper trains IWNE and IFI differently), else a sentence
 * naming each strategy and setting with its values, e.g. `Settings differ: IWNE-FS epochs 1, 6`.
 */
export function settingsDiffer(runs: readonly { strategy: TrainingStrategy; settings?: RunSettings | undefined }[]): string | null {
  const parts: string[] = [];
  const strategies = [...new Set(runs.map((r) => r.strategy))].sort((a, b) => strategyRank(a) - strategyRank(b));
  for (const strategy of strategies) {
    const group = runs.filter((r) => r.strategy === strategy && r.settings);
    for (const [key, label, show] of SETTING_LABELS) {
      const values = [...new Set(group.map((r) => r.settings![key]))].sort((a, b) => a - b);
      if (values.length > 1) parts.push(`${strategy} ${label} ${values.map(show).join(', ')}`);
    }
  }
  return parts.length ? `Settings differ: ${parts.join('; ')}` : null;
}
