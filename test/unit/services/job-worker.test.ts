/**
 * Jobs in real worker processes (dist/worker.js forked by the Node launcher), through the same
 * composition root the bridge and the desktop app use.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { JobState } from '../../../src-shared/jobs';
import { SelfTestResult } from '../../../src-shared/engine';
import { callChannel, testApp } from '../../support/app';
import { tempDirSync } from '../../support/files';

const dataDir = tempDirSync('worker');
const app = testApp({ dataDir, preferredBackend: 'cpu' });
const updates: JobState[] = [];
app.bus.subscribe((event, payload) => {
  if (event === 'jobs.update') updates.push(JobState.parse(payload));
});

afterAll(() => app.shutdown());

const call = (channel: string, payload: unknown) => callChannel(app, channel, payload);

describe('jobs in worker processes', () => {
  it('engine.status comes from a worker and honours the settings preference', async () => {
    const status = (await call('engine.status', {})) as { active: string; forcedBy: string | null };
    expect(status.active).toBe('cpu');
    expect(status.forcedBy).toBe('settings');
  });

  it('runs the self-test in a worker: progress events, a schema-valid result, the main thread stays free', async () => {
    const job = JobState.parse(await call('jobs.submit', { kind: 'engine.selftest', params: { size: 16, batch: 2, steps: 3 } }));
    // the main event loop keeps ticking while the worker computes
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const final = await app.jobs.waitFor(job.id);
    clearInterval(ticker);
    expect(final.status, final.error?.message).toBe('succeeded');
    const result = SelfTestResult.parse(final.result);
    expect(result.backend).toBe('cpu');
    expect(result.passed).toBe(true);
    const progress = updates.filter((u) => u.id === job.id && u.status === 'running' && u.progress.done > 0);
    expect(progress.length).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(5);
  });

  it('cancels a long self-test in its worker', async () => {
    const job = JobState.parse(await call('jobs.submit', { kind: 'engine.selftest', params: { size: 64, batch: 16, steps: 500 } }));
    for (let i = 0; i < 200 && app.jobs.get(job.id).progress.done === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await call('jobs.cancel', { id: job.id });
    const final = await app.jobs.waitFor(job.id);
    expect(final.status).toBe('cancelled');
    expect(final.progress.done).toBeLessThan(final.progress.total);
  });

  it('a job with parameters the worker refuses fails with the reason', async () => {
    // parameters are validated at the door, so build a request that passes the contract but not the task
    const response = await app.dispatch('jobs.submit', { kind: 'engine.selftest', params: { size: 4 } }, { transport: 'test' });
    expect(response.ok).toBe(false);
    if (!response.ok) expect(response.error.issues?.[0]?.path).toBe('params.size');
  });
});
