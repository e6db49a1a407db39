/**
 * The open study's training grid (`grid.get`): the stored GridSpec and every cell's status, read from
 * the run folders by the main side. Re-read on demand (the dashboard does so when a run's job changes
 * and every few seconds while runs are active). A later answer never overwrites a newer one.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { GridView } from '../../../src-shared/grid';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';

export interface GridState {
  view: GridView | null;
  error: string | null;
  refresh(): void;
  /** Adopts a view returned by grid.save. */
  adopt(view: GridView): void;
}

export function useGrid(studyPath: string | null): GridState {
  const client = useClient();
  const [view, setView] = useState<GridView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const request = useRef(0);

  const refresh = useCallback(() => {
    const n = ++request.current;
    if (!studyPath) {
      setView(null);
      return;
    }
    client.call('grid.get', { studyPath }).then(
      (next) => {
        if (n !== request.current) return;
        setView(next);
        setError(null);
      },
      (err: unknown) => {
        if (n === request.current) setError(errorMessage(err));
      },
    );
  }, [client, studyPath]);

  const adopt = useCallback((next: GridView) => {
    request.current++;
    setView(next);
    setError(null);
  }, []);

  useEffect(() => {
    setView(null);
    setError(null);
    refresh();
  }, [refresh]);

  return { view, error, refresh, adopt };
}
