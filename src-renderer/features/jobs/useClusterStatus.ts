/**
 * The open study's Slurm cluster submissions (`cluster.status`), re-read every CLUSTER_POLL_MS while a
 * task is pending or running and on `refresh()`; polling stops when the page that uses it is left.
 */
import { useEffect } from 'react';
import type { ClusterStatus } from '../../../src-shared/cluster';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { CLUSTER_POLL_MS, isClusterActive } from './cluster.viewmodel';

export interface ClusterStatusState {
  status: ClusterStatus | null;
  error: string | null;
  refresh(): void;
}

export function useClusterStatus(studyPath: string | null): ClusterStatusState {
  const { data, error, refresh } = useStudyQuery('cluster.status', studyPath ? { studyPath } : null);
  const active = isClusterActive(data);
  useEffect(() => {
    if (!active) return undefined;
    const timer = window.setInterval(refresh, CLUSTER_POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, refresh]);
  return { status: data, error, refresh };
}
