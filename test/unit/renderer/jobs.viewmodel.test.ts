import { describe, it, expect } from 'vitest';
import type { JobState } from '../../../src-shared/jobs';
import {
  canCancel,
  canRetry,
  compareJobs,
  formatEta,
  jobViewModel,
  latestJobOfKind,
  progressPercent,
  reconcileJobs,
  sortJobs,
  statusColor,
  statusLabel,
  upsertJob,
  endNotice,
  retryLabel,
} from '../../../src-renderer/features/jobs/jobs.viewmodel';

function job(overrides: Partial<JobState> & { id: string }): JobState {
  return {
    kind: 'engine.selftest',
    title: 'Compute backend self-test',
    status: 'queued',
    params: {},
    studyPath: null,
    createdAt: '2025-01-01T10:00:00.000Z',
    startedAt: null,
    endedAt: null,
    progress: { done: 0, total: 10, message: '', etaSeconds: null },
    error: null,
    result: null,
    log: [],
    ...overrides,
  };
}

describe('formatEta', () => {
  it('formats seconds, minutes and hours the way the Jobs page shows them', () => {
    expect(formatEta(0)).toBe('0 s');
    expect(formatEta(45)).toBe('45 s');
    expect(formatEta(59.4)).toBe('59 s');
    expect(formatEta(59.6)).toBe('1 min 00 s');
    expect(formatEta(190)).toBe('3 min 10 s');
    expect(formatEta(185)).toBe('3 min 05 s');
    expect(formatEta(3599)).toBe('59 min 59 s');
    expect(formatEta(3600)).toBe('1 h 00 min');
    expect(formatEta(3720)).toBe('1 h 02 min');
    expect(formatEta(3750)).toBe('1 h 03 min'); // 62.5 min rounds up
    expect(formatEta(23 * 3600 + 59 * 60)).toBe('23 h 59 min');
    expect(formatEta(2 * 86400 + 3 * 3600)).toBe('2 d 03 h');
  });

  it('has no text for a missing or unusable estimate', () => {
    expect(formatEta(null)).toBeNull();
    expect(formatEta(undefined)).toBeNull();
    expect(formatEta(Number.NaN)).toBeNull();
    expect(formatEta(Number.POSITIVE_INFINITY)).toBeNull();
    expect(formatEta(-5)).toBeNull();
  });

  it('never shows 60 of a smaller unit after rounding', () => {
    for (let s = 0; s < 3 * 86400; s += 37.3) {
      const text = formatEta(s) ?? '';
      expect(text).not.toMatch(/\b60 (s|min)\b/);
      expect(text).not.toMatch(/\b24 h\b/);
    }
  });
});

describe('status presentation', () => {
  it('gives every status a label and a distinct meaning colour', () => {
    expect(statusLabel('running')).toBe('Running');
    expect(statusColor('succeeded')).toBe('success');
    expect(statusColor('failed')).toBe('error');
    expect(statusColor('interrupted')).toBe('warning');
    expect(statusColor('running')).not.toBe(statusColor('failed'));
  });

  it('offers Cancel only for unfinished jobs and Retry only for failed, cancelled or interrupted ones', () => {
    expect(['queued', 'running'].every((s) => canCancel(s as JobState['status']))).toBe(true);
    expect(['succeeded', 'failed', 'cancelled', 'interrupted'].some((s) => canCancel(s as JobState['status']))).toBe(false);
    expect(canRetry('failed')).toBe(true);
    expect(canRetry('cancelled')).toBe(true);
    expect(canRetry('interrupted')).toBe(true);
    expect(canRetry('succeeded')).toBe(false);
    expect(canRetry('running')).toBe(false);
  });
});

describe('progressPercent', () => {
  it('is done/total clamped to 0-100, and 100 once succeeded', () => {
    expect(progressPercent(job({ id: 'a', status: 'running', progress: { done: 3, total: 12, message: '', etaSeconds: null } }))).toBe(25);
    expect(progressPercent(job({ id: 'a', status: 'running', progress: { done: 20, total: 12, message: '', etaSeconds: null } }))).toBe(
      100,
    );
    expect(progressPercent(job({ id: 'a', status: 'succeeded', progress: { done: 0, total: 1, message: '', etaSeconds: null } }))).toBe(
      100,
    );
    expect(progressPercent(job({ id: 'a', status: 'failed', progress: { done: 6, total: 12, message: '', etaSeconds: null } }))).toBe(50);
  });
});

describe('sortJobs', () => {
  const old = job({ id: 'old', status: 'succeeded', createdAt: '2025-01-01T09:00:00Z', endedAt: '2025-01-01T09:01:00Z' });
  const recent = job({ id: 'recent', status: 'failed', createdAt: '2025-01-01T11:00:00Z', endedAt: '2025-01-01T11:05:00Z' });
  const queuedFirst = job({ id: 'q1', status: 'queued', createdAt: '2025-01-01T12:00:00Z' });
  const queuedSecond = job({ id: 'q2', status: 'queued', createdAt: '2025-01-01T12:01:00Z' });
  const running = job({ id: 'run', status: 'running', createdAt: '2025-01-01T08:00:00Z', startedAt: '2025-01-01T08:00:01Z' });

  it('puts running first, then queued oldest first, then finished newest first', () => {
    expect(sortJobs([old, queuedSecond, recent, running, queuedFirst]).map((j) => j.id)).toEqual(['run', 'q1', 'q2', 'recent', 'old']);
  });

  it('does not change its input and is stable for equal times', () => {
    const input = [recent, old];
    sortJobs(input);
    expect(input.map((j) => j.id)).toEqual(['recent', 'old']);
    const a = job({ id: 'a', status: 'cancelled', endedAt: '2025-01-01T10:00:00Z' });
    const b = job({ id: 'b', status: 'cancelled', endedAt: '2025-01-01T10:00:00Z' });
    expect(compareJobs(a, b)).toBeLessThan(0);
    expect(sortJobs([b, a]).map((j) => j.id)).toEqual(['a', 'b']);
  });

  it('copes with missing or invalid timestamps', () => {
    const broken = job({ id: 'x', status: 'failed', endedAt: 'not a date', createdAt: 'also not' });
    expect(sortJobs([broken, recent]).map((j) => j.id)).toEqual(['recent', 'x']);
  });
});

describe('live updates', () => {
  it('upsertJob replaces by id or appends', () => {
    const a = job({ id: 'a' });
    const b = job({ id: 'b' });
    const aRunning = job({ id: 'a', status: 'running' });
    expect(upsertJob([a, b], aRunning)).toEqual([aRunning, b]);
    expect(upsertJob([a], b)).toEqual([a, b]);
  });

  it('reconcileJobs lets updates received during a jobs.list call win over the list', () => {
    const listed = [job({ id: 'a', status: 'queued' }), job({ id: 'b', status: 'running' })];
    const updates = [job({ id: 'a', status: 'running' }), job({ id: 'c', status: 'queued' }), job({ id: 'a', status: 'succeeded' })];
    const merged = reconcileJobs(listed, updates);
    expect(merged.map((j) => [j.id, j.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'running'],
      ['c', 'queued'],
    ]);
  });

  it('latestJobOfKind picks the newest job of that kind', () => {
    const jobs = [job({ id: '1', createdAt: '2025-01-01T10:00:00Z' }), job({ id: '2', createdAt: '2025-01-02T10:00:00Z' })];
    expect(latestJobOfKind(jobs, 'engine.selftest')?.id).toBe('2');
    expect(latestJobOfKind([], 'engine.selftest')).toBeNull();
  });
});

describe('jobViewModel', () => {
  const now = Date.parse('2025-01-01T10:02:05Z');

  it('shows progress, message and ETA of a running job', () => {
    const vm = jobViewModel(
      job({
        id: 'r',
        status: 'running',
        startedAt: '2025-01-01T10:00:00Z',
        progress: { done: 3, total: 12, message: 'Step 3 of 12', etaSeconds: 190 },
        log: ['a', 'b'],
      }),
      now,
    );
    expect(vm.percent).toBe(25);
    expect(vm.showProgress).toBe(true);
    expect(vm.counts).toBe('3 / 12');
    expect(vm.eta).toBe('about 3 min 10 s left');
    expect(vm.elapsed).toBe('running for 2 min 05 s');
    expect(vm.canCancel).toBe(true);
    expect(vm.canRetry).toBe(false);
    expect(vm.log).toEqual(['a', 'b']);
  });

  it('hides ETA once finished and reports the duration and error', () => {
    const vm = jobViewModel(
      job({
        id: 'f',
        status: 'failed',
        startedAt: '2025-01-01T10:00:00Z',
        endedAt: '2025-01-01T10:00:42Z',
        progress: { done: 0, total: 12, message: 'Step 0', etaSeconds: 100 },
        error: { code: 'INTERNAL', message: 'Out of memory' },
      }),
      now,
    );
    expect(vm.eta).toBeNull();
    expect(vm.elapsed).toBe('took 42 s');
    expect(vm.error).toBe('Out of memory');
    expect(vm.showProgress).toBe(false);
    expect(vm.canRetry).toBe(true);
    expect(vm.statusColor).toBe('error');
  });

  it('does not repeat the status of a cancelled job as an error', () => {
    const vm = jobViewModel(job({ id: 'c', status: 'cancelled', error: { code: 'CANCELLED', message: 'Cancelled by the user' } }), now);
    expect(vm.error).toBeNull();
    expect(vm.canRetry).toBe(true);
  });

  it('shows no duration when the timestamps contradict each other (clock skew)', () => {
    const ended = jobViewModel(
      job({ id: 's', status: 'succeeded', startedAt: '2025-01-01T10:00:10Z', endedAt: '2025-01-01T10:00:00Z' }),
      now,
    );
    expect(ended.elapsed).toBeNull();
    const running = jobViewModel(job({ id: 'r', status: 'running', startedAt: '2025-01-01T11:00:00Z' }), now);
    expect(running.elapsed).toBeNull();
  });

  it('does not show a progress bar for a queued job', () => {
    const vm = jobViewModel(job({ id: 'q' }), now);
    expect(vm.showProgress).toBe(false);
    expect(vm.elapsed).toBeNull();
  });
});

describe('end-of-job notices and resuming', () => {
  it('notifies only when an update ends a job that was seen active', () => {
    const running = job({ id: 'a', status: 'running', title: 'Training run' });
    expect(endNotice(running, job({ id: 'a', status: 'succeeded', title: 'Training run' }))).toEqual({
      jobId: 'a',
      severity: 'success',
      text: 'Training run finished',
    });
    expect(
      endNotice(
        running,
        job({ id: 'a', status: 'failed', title: 'Training run', error: { code: 'INTERNAL', message: 'loss became NaN' } }),
      ),
    ).toEqual({ jobId: 'a', severity: 'error', text: 'Training run failed: loss became NaN' });
    expect(endNotice(job({ id: 'a', status: 'queued' }), job({ id: 'a', status: 'cancelled', title: 'Evaluation' }))?.severity).toBe(
      'info',
    );
    expect(endNotice(running, job({ id: 'a', status: 'interrupted', title: 'Training run' }))?.text).toMatch(/resume it on the Jobs page/);
    expect(endNotice(undefined, job({ id: 'a', status: 'succeeded' }))).toBeNull(); // first sight (e.g. after a restart): no replay
    expect(endNotice(job({ id: 'a', status: 'succeeded' }), job({ id: 'a', status: 'succeeded' }))).toBeNull();
    expect(endNotice(running, job({ id: 'a', status: 'running' }))).toBeNull();
  });

  it('an interrupted job, or a cancelled training run, is resumed; others are retried', () => {
    expect(retryLabel({ status: 'interrupted', kind: 'evaluate.run' })).toBe('Resume');
    expect(retryLabel({ status: 'cancelled', kind: 'train.run' })).toBe('Resume');
    expect(retryLabel({ status: 'cancelled', kind: 'study.run' })).toBe('Resume');
    expect(retryLabel({ status: 'cancelled', kind: 'evaluate.run' })).toBe('Retry');
    expect(retryLabel({ status: 'failed', kind: 'train.run' })).toBe('Retry');
    expect(jobViewModel(job({ id: 'x', status: 'interrupted', kind: 'train.run' }), Date.parse('2025-01-01T10:00:00Z')).retryLabel).toBe(
      'Resume',
    );
  });
});

describe('a job that finished with warnings', () => {
  const warnings = [
    {
      item: 'run ifi-fs-resnet50-eyepacs-f1-s0',
      reason: 'IFI-FS needs ImageNet weights',
      fix: "Choose ImageNet weights in the study wizard's Weights step",
    },
    { item: 'spectra of IFI-FS', reason: 'no finished IFI-FS run at fraction 1, seed 0', fix: 'Train the missing run' },
  ];
  const now = Date.parse('2025-01-01T10:00:00Z');
  const study = (over: Partial<JobState> = {}) =>
    job({ id: 's', kind: 'study.run', title: 'Whole study', status: 'succeeded', warnings, ...over });

  it('is amber, "Finished with warnings", never a plain success, and lists each item with reason and fix', () => {
    const vm = jobViewModel(study(), now);
    expect(vm.statusLabel).toBe('Finished with warnings');
    expect(vm.statusColor).toBe('warning');
    expect(vm.warnings).toEqual(warnings);
    // Without warnings (absent or empty) the same job is a plain success.
    for (const clean of [study({ warnings: undefined }), study({ warnings: [] })]) {
      expect(jobViewModel(clean, now)).toMatchObject({ statusLabel: 'Succeeded', statusColor: 'success', warnings: [] });
    }
    // Warnings only count for a succeeded job.
    expect(jobViewModel(study({ status: 'failed' }), now)).toMatchObject({ statusLabel: 'Failed', warnings: [] });
  });

  it('its notice says "Study finished with N warnings" as a warning, not "Whole study finished"', () => {
    const running = study({ status: 'running', warnings: undefined });
    const notice = endNotice(running, study());
    expect(notice?.severity).toBe('warning');
    expect(notice?.text).toMatch(/^Study finished with 2 warnings/);
    expect(notice?.text).not.toMatch(/Whole study finished/);
    expect(endNotice(running, study({ warnings: [warnings[0]!] }))?.text).toMatch(/^Study finished with 1 warning:/);
    expect(endNotice(running, study({ warnings: [] }))).toEqual({ jobId: 's', severity: 'success', text: 'Whole study finished' });
  });
});
