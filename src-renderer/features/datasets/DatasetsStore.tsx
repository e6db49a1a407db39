/**
 * The imported datasets of the open study (`datasets.list`) and which view of the Datasets page is
 * showing (list, import wizard, one dataset). Refetched when the study changes and whenever an
 * import job of this study finishes.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { DatasetSummary } from '../../../src-shared/contract';
import { TERMINAL_JOB_STATUSES } from '../../../src-shared/jobs';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
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
  const client = useClient();
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const studyPath = openStudy?.path ?? null;
  const [datasets, setDatasets] = useState<DatasetSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<DatasetsView>({ kind: 'list' });
  const request = useRef(0);

  const refresh = useCallback(() => {
    const n = ++request.current;
    if (!studyPath) {
      setDatasets(null);
      setError(null);
      return;
    }
    client.call('datasets.list', { studyPath }).then(
      (list) => {
        if (n !== request.current) return;
        setDatasets(sortSummaries(list));
        setError(null);
      },
      (err: unknown) => {
        if (n !== request.current) return;
        setError(errorMessage(err));
      },
    );
  }, [client, studyPath]);

  useEffect(() => {
    setView({ kind: 'list' });
    setDatasets(null);
    refresh();
  }, [refresh]);

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
  useEffect(() => {
    if (finishedImports) refresh();
  }, [finishedImports, refresh]);

  const value = useMemo(() => ({ studyPath, datasets, error, view, show: setView, refresh }), [studyPath, datasets, error, view, refresh]);
  return <DatasetsContext.Provider value={value}>{children}</DatasetsContext.Provider>;
}

export function useDatasets(): DatasetsValue {
  const value = useContext(DatasetsContext);
  if (!value) throw new Error('useDatasets() needs a <DatasetsProvider> above it');
  return value;
}
