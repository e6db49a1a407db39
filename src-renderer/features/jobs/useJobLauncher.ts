/**
 * Submitting one job from a view: the job this view submitted (followed live in the jobs store),
 * whether the submission is in flight, and the error of a refused submission or a failed cancel.
 */
import { useCallback, useState } from 'react';
import type { ChannelInput } from '../../../src-shared/contract';
import type { JobState } from '../../../src-shared/jobs';
import { errorMessage } from '../../shared/errors.viewmodel';
import { useJobs } from './JobsStore';

export interface JobLauncher {
  /** The job this view submitted last (its latest state), or null. */
  mine: JobState | null;
  jobId: string | null;
  busy: boolean;
  error: string | null;
  setError(error: string | null): void;
  /** Submits the job; on refusal sets `error` and resolves to null. */
  launch(request: ChannelInput<'jobs.submit'>): Promise<JobState | null>;
  /** Cancels a job; a refusal sets `error`. */
  cancel(id: string): void;
}

export function useJobLauncher(): JobLauncher {
  const { jobs, submit, cancel: cancelJob } = useJobs();
  const [jobId, setJobId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const launch = useCallback(
    async (request: ChannelInput<'jobs.submit'>) => {
      setError(null);
      setBusy(true);
      try {
        const state = await submit(request);
        setJobId(state.id);
        return state;
      } catch (err) {
        setError(errorMessage(err));
        return null;
      } finally {
        setBusy(false);
      }
    },
    [submit],
  );
  const cancel = useCallback((id: string) => void cancelJob(id).catch((e: unknown) => setError(errorMessage(e))), [cancelJob]);
  const mine = jobId ? (jobs.find((j) => j.id === jobId) ?? null) : null;
  return { mine, jobId, busy, error, setError, launch, cancel };
}
