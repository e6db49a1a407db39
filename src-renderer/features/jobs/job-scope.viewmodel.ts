/**
 * Which jobs the Jobs page and the job notices show: the open study's (and the jobs that belong to
 * no study, such as the compute self-test), or every study's when the user picks "All studies";
 * and the study each job card names. Pure: no React, no DOM.
 */
import type { JobState } from '../../../src-shared/jobs';
import type { JobNotice } from './jobs.viewmodel';

/** `study`: the open study's jobs only; `all`: every study's. */
export type JobScope = 'study' | 'all';

/** A study's name where the app knows it (the open study, the recent studies). */
export interface KnownStudy {
  path: string;
  name: string;
}

/** The same folder written with or without trailing separators. */
export function samePath(a: string, b: string): boolean {
  const trim = (p: string) => (p.length > 1 ? p.replace(/[\\/]+$/, '') : p);
  return trim(a) === trim(b);
}

/**
 * Whether a job is shown in this scope. With no study open every job is shown (there is no study to
 * narrow to); a job of no study is shown in every scope.
 */
export function inScope(job: Pick<JobState, 'studyPath'>, scope: JobScope, openStudyPath: string | null): boolean {
  if (scope === 'all' || !openStudyPath || !job.studyPath) return true;
  return samePath(job.studyPath, openStudyPath);
}

export interface ScopedJobs<J> {
  shown: J[];
  /** Jobs of other studies left out ("All studies" shows them). */
  hidden: number;
}

export function scopeJobs<J extends Pick<JobState, 'studyPath'>>(
  jobs: readonly J[],
  scope: JobScope,
  openStudyPath: string | null,
): ScopedJobs<J> {
  const shown = jobs.filter((j) => inScope(j, scope, openStudyPath));
  return { shown, hidden: jobs.length - shown.length };
}

/** The notices of the jobs in scope (a notice whose job is not known yet is shown). */
export function scopeNotices(
  notices: readonly JobNotice[],
  jobs: readonly Pick<JobState, 'id' | 'studyPath'>[],
  scope: JobScope,
  openStudyPath: string | null,
): JobNotice[] {
  return notices.filter((n) => {
    const job = jobs.find((j) => j.id === n.jobId);
    return !job || inScope(job, scope, openStudyPath);
  });
}

function folderName(p: string): string {
  const parts = p.split(/[\\/]+/).filter((s) => s.length > 0);
  return parts[parts.length - 1] ?? p;
}

/** The study a job belongs to, as its card names it: the study's name where known, else its folder name. */
export function jobStudyName(studyPath: string | null, known: readonly KnownStudy[]): string | null {
  if (!studyPath) return null;
  return known.find((s) => samePath(s.path, studyPath))?.name ?? folderName(studyPath);
}

/** The line under a job's title: `Study "Pilot" · submitted 3 min ago`, or `No study · …` for an app job. */
export function jobOriginLabel(studyPath: string | null, known: readonly KnownStudy[], submitted: string): string {
  const name = jobStudyName(studyPath, known);
  return `${name === null ? 'No study' : `Study “${name}”`} · ${submitted}`;
}

/** Whether a job belongs to a study other than the open one (its notice then names the study). */
export function ofOtherStudy(job: Pick<JobState, 'studyPath'> | undefined, openStudyPath: string | null): boolean {
  return Boolean(job?.studyPath && openStudyPath && !samePath(job.studyPath, openStudyPath));
}
