/**
 * Every analysis result of a study in one list (`funduslab results`): spectra, robustness and
 * explanation results, old-named ones included, each with its recorded settings and whether the report
 * uses it (src-shared/analysis-choice.ts: per run and dataset — per dataset and set of runs for
 * robustness — the most recent result with the default settings, else the most recent). Tensor-free.
 */
import {
  explanationSettings,
  pickExplanations,
  pickRobustness,
  pickSpectra,
  robustnessSettings,
  spectraSettings,
} from '../../src-shared/analysis-choice';
import { listExplanations } from './lrp/results';
import { listRobustness } from './robustness/results';
import { listSpectra } from './spectra/results';

export interface AnalysisResultRow {
  kind: 'spectra' | 'robustness' | 'explanations';
  /** Folder name under <kind>/. */
  name: string;
  runIds: string[];
  datasetId: string;
  /** Settings hash (null: written before results were named by their settings). */
  settingsHash: string | null;
  defaults: boolean | null;
  /** The recorded settings as text. */
  settings: string;
  createdAt: string;
  /** The result the report and the app's figures use for its run(s) and dataset. */
  used: boolean;
  /** Share of positive relevance outside the fundus, mean over the images (explanations that record it). */
  outsideFundusShare?: number | null;
}

export async function listAnalysisResults(studyPath: string): Promise<AnalysisResultRow[]> {
  const [spectra, robustness, explanations] = await Promise.all([
    listSpectra(studyPath),
    listRobustness(studyPath),
    listExplanations(studyPath),
  ]);
  const used = new Set([
    ...pickSpectra(spectra).map((r) => `spectra/${r.name}`),
    ...pickRobustness(robustness).map((r) => `robustness/${r.name}`),
    ...pickExplanations(explanations).map((r) => `explanations/${r.name}`),
  ]);
  // The fields every kind shares: its settings as recorded, and whether the report's rule picks it.
  const row = (
    kind: AnalysisResultRow['kind'],
    r: { name: string; settings?: { hash: string; defaults: boolean } },
    fields: { runIds: string[]; datasetId: string; settings: AnalysisResultRow['settings']; createdAt: string },
  ): AnalysisResultRow => ({
    kind,
    name: r.name,
    ...fields,
    settingsHash: r.settings?.hash ?? null,
    defaults: r.settings?.defaults ?? null,
    used: used.has(`${kind}/${r.name}`),
  });
  const rows: AnalysisResultRow[] = [
    ...spectra.map((r) =>
      row('spectra', r, { runIds: [r.run.runId], datasetId: r.dataset.datasetId, settings: spectraSettings(r), createdAt: r.created }),
    ),
    ...robustness.map((r) =>
      row('robustness', r, {
        runIds: r.models.map((m) => m.runId),
        datasetId: r.datasetId,
        settings: robustnessSettings(r),
        createdAt: r.createdAt,
      }),
    ),
    ...explanations.map((r) => ({
      ...row('explanations', r, {
        runIds: [r.run.runId],
        datasetId: r.dataset.datasetId,
        settings: explanationSettings(r),
        createdAt: r.createdAt,
      }),
      outsideFundusShare: r.outsideFundus?.mean ?? null,
    })),
  ];
  return rows.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
