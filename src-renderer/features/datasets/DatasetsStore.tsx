/**
 * The imported datasets of the open study (`datasets.list`) and which view of the Datasets page is
 * showing (list, import wizard, one dataset). Refetched when the study changes and whenever an
 * import job of this study finishes.
 */
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { DatasetSummary } from '../../../src-shared/contract';
import { TERMINAL_JOB_STATUSES } from '../../../src-shared/jobs';
import { useKeyedState } from '../../shared/useKeyedState';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useJobs } from '../jobs/JobsStore';
import { useStudy } from '../study/StudyStore';
import { sortSummaries } from './datasets.viewmodel';

export type DatasetsView = { kind: 'list' } | { kind: 'wizard' } | { kind: 'detail'; id: string };

interface DatasetsValue {
  studyPath: string | null;
  datasets: DatasetSummary[] | null;
  error: string | null;
  view: DatasetsView;
  show(view: DatasetsView): void;
  refresh(): void;
}

const DatasetsContext = createContext<DatasetsValue | null>(null);

export function DatasetsProvider({ children }: { children: ReactNode }) {
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const studyPath = openStudy?.path ?? null;
  // Another study starts on the list.
  const [view, show] = useKeyedState<DatasetsView>(studyPath, { kind: 'list' });

  // A finished import of this study changes the list; so does a demo-data job however it ended (one of its two sets may be in).
  const finishedImports = jobs
    .filter(
      (j) =>
        j.studyPath === studyPath &&
        ((j.kind === 'dataset.import' && j.status === 'succeeded') ||
          (j.kind === 'dataset.demo' && TERMINAL_JOB_STATUSES.includes(j.status))),
    )
    .map((j) => j.id)
    .join(',');
  const list = useStudyQuery('datasets.list', studyPath ? { studyPath } : null, finishedImports);
  const datasets = useMemo(() => (list.data ? sortSummaries(list.data) : null), [list.data]);
  const { error, refresh } = list;

  const value = useMemo(() => ({ studyPath, datasets, error, view, show, refresh }), [studyPath, datasets, error, view, show, refresh]);
  return <DatasetsContext.Provider value={value}>{children}</DatasetsContext.Provider>;
}

export function useDatasets(): DatasetsValue {
  const value = useContext(DatasetsContext);
  if (!value) throw new Error('useDatasets() needs a <DatasetsProvider> above it');
  return value;
}
