/**
 * The image count of an analysis page's run form (Spectra, Robustness, Explanations): it starts from what the study used last time (the
 * latest result of the analysis, else the saved study plan), else the usual count, clamped to what the chosen dataset holds; a typed
 * count is clamped to it when the field is left, and refitted when another dataset is chosen (analysis-images.viewmodel.ts).
 */
import { useMemo, useState } from 'react';
import { useDatasets } from '../features/datasets/DatasetsStore';
import { useJobs } from '../features/jobs/JobsStore';
import { finishedJobsSignature } from './analyses.viewmodel';
import {
  clampImagesText,
  countFieldText,
  imagesAvailable,
  latestUse,
  planUse,
  type ImagesAnalysis,
  type ImagesAvailable,
  type PreviousUse,
  type TypedCount,
} from './analysis-images.viewmodel';
import { useStudyQuery } from './useStudyQuery';

export interface AnalysisCount {
  /** The count the field shows for the chosen dataset (null: none chosen yet). */
  text(datasetId: string | null): string;
  /** What the chosen dataset holds for the analysis (`40 images in test`), or null. */
  available(datasetId: string | null): ImagesAvailable | null;
  /** The user typed `text` with `datasetId` chosen. */
  type(datasetId: string | null, text: string): void;
  /** The field was left: a count above what the dataset holds becomes that. */
  clamp(datasetId: string | null): void;
}

export function useAnalysisCount(analysis: ImagesAnalysis, studyPath: string | null, results: readonly PreviousUse[]): AnalysisCount {
  const { datasets } = useDatasets();
  const { jobs } = useJobs();
  const plan = useStudyQuery('studyPlan.get', studyPath ? { studyPath } : null, finishedJobsSignature(jobs, studyPath, 'study.run'));
  const [typed, setTyped] = useState<TypedCount | null>(null);
  const previous = useMemo(() => latestUse([planUse(plan.data, analysis), ...results]), [plan.data, analysis, results]);
  const text = (datasetId: string | null) => countFieldText(typed, datasetId, analysis, datasets, previous);
  const available = (datasetId: string | null) => (datasetId === null ? null : imagesAvailable(datasets, datasetId, analysis));
  return {
    text,
    available,
    type: (datasetId, value) => setTyped({ datasetId, text: value }),
    clamp: (datasetId) => {
      const shown = text(datasetId);
      const clamped = clampImagesText(shown, available(datasetId)?.images ?? null);
      if (clamped !== shown) setTyped({ datasetId, text: clamped });
    },
  };
}
