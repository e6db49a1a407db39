/**
 * The open study and the recent-studies list. The main side keeps no "current study": the open
 * study belongs to this window, so it is remembered in sessionStorage and reopened after a reload.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { RecentStudy } from '../../../src-shared/settings';
import type { StudySummary } from '../../../src-shared/study';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';

const OPEN_STUDY_KEY = 'funduslab.openStudyPath';

interface StudyValue {
  openStudy: StudySummary | null;
  recent: RecentStudy[] | null;
  recentError: string | null;
  /** Both throw the client's RpcError; the forms show it. */
  create(path: string, name: string): Promise<StudySummary>;
  open(path: string): Promise<StudySummary>;
  close(): void;
  refreshRecent(): void;
}

const StudyContext = createContext<StudyValue | null>(null);

function remember(path: string | null): void {
  try {
    if (path) window.sessionStorage.setItem(OPEN_STUDY_KEY, path);
    else window.sessionStorage.removeItem(OPEN_STUDY_KEY);
  } catch {
    // storage disabled: the study just will not survive a reload
  }
}

function remembered(): string | null {
  try {
    return window.sessionStorage.getItem(OPEN_STUDY_KEY);
  } catch {
    return null;
  }
}

export function StudyProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [openStudy, setOpenStudy] = useState<StudySummary | null>(null);
  const [recent, setRecent] = useState<RecentStudy[] | null>(null);
  const [recentError, setRecentError] = useState<string | null>(null);

  const refreshRecent = useCallback(() => {
    client.call('study.recent', {}).then(
      (list) => {
        setRecent(list);
        setRecentError(null);
      },
      (err: unknown) => setRecentError(errorMessage(err)),
    );
  }, [client]);

  useEffect(() => {
    refreshRecent();
    // The recent list lives in the settings, so a change there (another window, the CLI) refreshes it.
    return client.on('settings.changed', () => refreshRecent());
  }, [client, refreshRecent]);

  useEffect(() => {
    const path = remembered();
    if (!path) return undefined;
    let live = true;
    client.call('study.open', { path }).then(
      (summary) => {
        if (live) setOpenStudy((current) => current ?? summary);
      },
      () => remember(null),
    );
    return () => {
      live = false;
    };
  }, [client]);

  const adopt = useCallback(
    (summary: StudySummary) => {
      setOpenStudy(summary);
      remember(summary.path);
      refreshRecent();
      return summary;
    },
    [refreshRecent],
  );

  const create = useCallback(
    async (path: string, name: string) => adopt(await client.call('study.create', { path, name })),
    [client, adopt],
  );
  const open = useCallback(async (path: string) => adopt(await client.call('study.open', { path })), [client, adopt]);
  const close = useCallback(() => {
    setOpenStudy(null);
    remember(null);
  }, []);

  const value = useMemo(
    () => ({ openStudy, recent, recentError, create, open, close, refreshRecent }),
    [openStudy, recent, recentError, create, open, close, refreshRecent],
  );
  return <StudyContext.Provider value={value}>{children}</StudyContext.Provider>;
}

export function useStudy(): StudyValue {
  const value = useContext(StudyContext);
  if (!value) throw new Error('useStudy() needs a <StudyProvider> above it');
  return value;
}
