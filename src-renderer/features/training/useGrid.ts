/**
 * The open study's training grid (`grid.get`): the stored GridSpec and every cell's status, read from
 * the run folders by the main side. Re-read on demand (the dashboard does so when a run's job changes
 * and every few seconds while runs are active). A later answer never overwrites a newer one.
 */
import type { GridView } from '../../../src-shared/grid';
import { useStudyQuery } from '../../shared/useStudyQuery';

export interface GridState {
  view: GridView | null;
  error: string | null;
  refresh(): void;
  /** Adopts a view returned by grid.save. */
  adopt(view: GridView): void;
}

export function useGrid(studyPath: string | null): GridState {
  const { data, error, refresh, adopt } = useStudyQuery('grid.get', studyPath ? { studyPath } : null);
  return { view: data, error, refresh, adopt };
}
