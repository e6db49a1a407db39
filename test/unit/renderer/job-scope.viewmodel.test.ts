import { describe, expect, it } from 'vitest';
import {
  inScope,
  jobOriginLabel,
  jobStudyName,
  ofOtherStudy,
  samePath,
  scopeJobs,
  scopeNotices,
} from '../../../src-renderer/features/jobs/job-scope.viewmodel';
import type { JobNotice } from '../../../src-renderer/features/jobs/jobs.viewmodel';

const A = '/home/me/study-a';
const B = '/home/me/study-b';
const jobs = [
  { id: 'a1', studyPath: A },
  { id: 'b1', studyPath: B },
  { id: 'a2', studyPath: `${A}/` },
  { id: 'app', studyPath: null },
];
const ids = (list: { id: string }[]) => list.map((j) => j.id);

describe('job scope: the open study’s jobs, or all studies', () => {
  it('shows the open study’s jobs and jobs of no study; other studies’ are counted as hidden', () => {
    expect(scopeJobs(jobs, 'study', A)).toEqual({ shown: [jobs[0], jobs[2], jobs[3]], hidden: 1 });
    expect(ids(scopeJobs(jobs, 'study', B).shown)).toEqual(['b1', 'app']);
    expect(scopeJobs(jobs, 'study', B).hidden).toBe(2);
  });

  it('shows every job with "All studies", or when no study is open', () => {
    expect(scopeJobs(jobs, 'all', A)).toEqual({ shown: jobs, hidden: 0 });
    expect(scopeJobs(jobs, 'study', null)).toEqual({ shown: jobs, hidden: 0 });
  });

  it('treats a folder with and without a trailing separator as the same, and nothing else', () => {
    expect(samePath(A, `${A}/`)).toBe(true);
    expect(samePath('/', '/')).toBe(true);
    expect(samePath(A, `${A}-2`)).toBe(false);
    expect(inScope({ studyPath: `${A}-2` }, 'study', A)).toBe(false);
  });

  it('hides notices of other studies’ jobs unless the scope is all; a notice of an unknown job stays', () => {
    const notice = (jobId: string): JobNotice => ({ jobId, severity: 'error', text: `${jobId} failed` });
    const notices = [notice('a1'), notice('b1'), notice('app'), notice('unknown')];
    expect(scopeNotices(notices, jobs, 'study', A).map((n) => n.jobId)).toEqual(['a1', 'app', 'unknown']);
    expect(scopeNotices(notices, jobs, 'all', A)).toEqual(notices);
    expect(scopeNotices(notices, jobs, 'study', null)).toEqual(notices);
  });

  it('names each job’s study: its known name, else its folder name; a job of no study says so', () => {
    const known = [{ path: A, name: 'Pilot' }];
    expect(jobStudyName(`${A}/`, known)).toBe('Pilot');
    expect(jobStudyName(B, known)).toBe('study-b');
    expect(jobStudyName(null, known)).toBeNull();
    expect(jobOriginLabel(A, known, 'submitted 2 min ago')).toBe('Study “Pilot” · submitted 2 min ago');
    expect(jobOriginLabel(null, known, 'submitted now')).toBe('No study · submitted now');
  });

  it('tells a job of another study from one of the open study or of none', () => {
    expect(ofOtherStudy({ studyPath: B }, A)).toBe(true);
    expect(ofOtherStudy({ studyPath: A }, A)).toBe(false);
    expect(ofOtherStudy({ studyPath: null }, A)).toBe(false);
    expect(ofOtherStudy({ studyPath: B }, null)).toBe(false);
    expect(ofOtherStudy(undefined, A)).toBe(false);
  });
});
