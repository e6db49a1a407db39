/**
 * Every job the main side knows (`jobs.list`), kept live by `jobs.update` events. Refetched when
 * the event stream comes back after a drop, since updates may have been missed meanwhile.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ChannelInput } from '../../../src-shared/contract';
import type { JobState } from '../../../src-shared/jobs';
import { useClient, useConnectionMonitor } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { endNotice, reconcileJobs, upsertJob, type JobNotice } from './jobs.viewmodel';
import type { JobScope } from './job-scope.viewmodel';

interface JobsValue {
  jobs: JobState[];
  loaded: boolean;
  error: string | null;
  refresh(): void;
  /** These throw the client's RpcError; callers show it. */
  submit(request: ChannelInput<'jobs.submit'>): Promise<JobState>;
  cancel(id: string): Promise<JobState>;
  retry(id: string): Promise<JobState>;
  /** Notices of jobs that ended while the app watched them, oldest first; the shell shows those in scope. */
  notices: JobNotice[];
  dismissNotice(jobId: string): void;
  /** The open study's jobs, or every study's: shared by the Jobs page and the notices. */
  scope: JobScope;
  setScope(scope: JobScope): void;
}

const JobsContext = createContext<JobsValue | null>(null);

export function JobsProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const connection = useConnectionMonitor();
  const [jobs, setJobs] = useState<JobState[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notices, setNotices] = useState<JobNotice[]>([]);
  const [scope, setScope] = useState<JobScope>('study');
  const dismissNotice = useCallback((jobId: string) => setNotices((current) => current.filter((n) => n.jobId !== jobId)), []);
  /** The last state seen of each job, to notice when an update ends a job that was active. */
  const seen = useRef(new Map<string, JobState>());
  /** Updates received while a jobs.list call is in flight (null when none is). */
  const pending = useRef<JobState[] | null>(null);
  /** Event sequence numbers: a call's answer is ignored for a job that had an event after the call went out. */
  const sequence = useRef(0);
  const lastEvent = useRef(new Map<string, number>());

  const onEvent = useCallback((job: JobState) => {
    sequence.current += 1;
    lastEvent.current.set(job.id, sequence.current);
    pending.current?.push(job);
    const notice = endNotice(seen.current.get(job.id), job);
    seen.current.set(job.id, job);
    if (notice) setNotices((current) => [...current, notice]);
    setJobs((current) => upsertJob(current, job));
  }, []);

  /**
   * Runs a call that answers with a job's state. Events are pushed on every change, so one that
   * arrived after the call was sent is at least as new as the answer (e.g. `running` overtaking
   * the `queued` answer of jobs.submit) and must not be overwritten by it.
   */
  const callForJob = useCallback(async (call: () => Promise<JobState>) => {
    const sentAt = sequence.current;
    const job = await call();
    if ((lastEvent.current.get(job.id) ?? -1) <= sentAt) {
      pending.current?.push(job);
      setJobs((current) => upsertJob(current, job));
    }
    return job;
  }, []);

  const refresh = useCallback(() => {
    const buffer: JobState[] = [];
    pending.current = buffer;
    client.call('jobs.list', {}).then(
      (listed) => {
        if (pending.current === buffer) pending.current = null;
        const merged = reconcileJobs(listed, buffer);
        for (const j of merged) seen.current.set(j.id, j);
        setJobs(merged);
        setLoaded(true);
        setError(null);
      },
      (err: unknown) => {
        if (pending.current === buffer) pending.current = null;
        setError(errorMessage(err));
        setLoaded(true);
      },
    );
  }, [client]);

  useEffect(() => {
    const off = client.on('jobs.update', onEvent);
    refresh();
    let previous = connection.get();
    const offConnection = connection.subscribe((state) => {
      if (state === 'open' && previous === 'reconnecting') refresh();
      previous = state;
    });
    return () => {
      off();
      offConnection();
    };
  }, [client, connection, onEvent, refresh]);

  const submit = useCallback(
    (request: ChannelInput<'jobs.submit'>) => callForJob(() => client.call('jobs.submit', request)),
    [client, callForJob],
  );
  const cancel = useCallback((id: string) => callForJob(() => client.call('jobs.cancel', { id })), [client, callForJob]);
  const retry = useCallback((id: string) => callForJob(() => client.call('jobs.retry', { id })), [client, callForJob]);

  const value = useMemo(
    () => ({ jobs, loaded, error, refresh, submit, cancel, retry, notices, dismissNotice, scope, setScope }),
    [jobs, loaded, error, refresh, submit, cancel, retry, notices, dismissNotice, scope],
  );
  return <JobsContext.Provider value={value}>{children}</JobsContext.Provider>;
}

export function useJobs(): JobsValue {
  const value = useContext(JobsContext);
  if (!value) throw new Error('useJobs() needs a <JobsProvider> above it');
  return value;
}
