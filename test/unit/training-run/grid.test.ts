/**
 * The training grid through the same composition root as the app (jobs in real worker processes):
 * a grid is validated (errors name base./overrides. fields), its cells get their status from the
 * run folders (pending, blocked without weights, done), grid.launch submits one train.run job per
 * runnable cell and never a second one for a cell already queued, runs.get returns the live log,
 * and `runGrid` (the CLI path) runs what is left in-process.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridView, RunDetail } from '../../../src-shared/grid';
import { JobState } from '../../../src-shared/jobs';
import { runGrid } from '../../../src-main/services/training/grid-run';
import { initEngine } from '../../../src-main/engine/backend';
import { callChannel, testApp } from '../../support/app';
import { tempDirSync } from '../../support/files';
import { recordingContext } from '../../support/job-context';
import { demoSpec, demoStudy } from '../../support/studies';

const dataDir = tempDirSync('grid');
const app = testApp({ dataDir, preferredBackend: 'auto' });
afterAll(() => app.shutdown());

const call = (channel: string, payload: unknown) => callChannel(app, channel, payload);

const { strategy: _s, seed: _seed, ...base } = demoSpec({ epochs: 1 });
let study: string;
beforeAll(async () => {
  study = await demoStudy({ patients: 30 });
}, 120_000);

describe('training grid', () => {
  it('refuses a grid whose cells would not be valid specs, naming the field', async () => {
    await expect(call('grid.save', { studyPath: study, spec: { base: { ...base, lr: -1 } } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'base.lr' }],
    });
    await expect(call('grid.save', { studyPath: study, spec: { base: { ...base, bogus: 1 } } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(call('grid.save', { studyPath: study, spec: { base: { ...base, seed: 3 } } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'spec.base' }],
    });
    await expect(call('grid.save', { studyPath: study, spec: { base: { arch: 'resnet18-w8' } } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'base.datasetId' }],
    });
    expect(GridView.parse(await call('grid.get', { studyPath: study }))).toEqual({ spec: null, cells: [] });
  });

  it('launches one job per runnable cell, blocks IFI without weights, and shows done cells with their logs', async () => {
    const view = GridView.parse(
      await call('grid.save', { studyPath: study, spec: { strategies: ['IWNE-FS', 'IFI-FS'], fractions: [0.5, 1], seeds: [0], base } }),
    );
    expect(view.cells.map((c) => `${c.strategy} ${c.fraction} ${c.status}`)).toEqual([
      'IWNE-FS 0.5 pending',
      'IWNE-FS 1 pending',
      'IFI-FS 0.5 blocked',
      'IFI-FS 1 blocked',
    ]);
    expect(view.cells[2]!.reason).toMatch(/needs ImageNet weights: none is chosen in the study wizard's Weights step/);

    const launched = (await call('grid.launch', { studyPath: study })) as { submitted: JobState[]; skipped: { runId: string }[] };
    expect(launched.submitted).toHaveLength(2);
    const again = (await call('grid.launch', { studyPath: study })) as {
      submitted: JobState[];
      skipped: { runId: string; reason: string }[];
    };
    expect(again.submitted).toHaveLength(0); // both cells are queued or running already
    expect(again.skipped.map((s) => s.runId).sort()).toEqual(
      view.cells
        .slice(0, 2)
        .map((c) => c.runId)
        .sort(),
    );
    for (const job of launched.submitted) {
      const final = await app.jobs.waitFor(job.id);
      expect(final.status, final.error?.message).toBe('succeeded');
    }
    const after = GridView.parse(await call('grid.get', { studyPath: study }));
    expect(after.cells.slice(0, 2).map((c) => [c.status, c.epochsDone])).toEqual([
      ['done', 1],
      ['done', 1],
    ]);
    expect(after.cells[0]!.bestValAuc).not.toBeNull();
    const detail = RunDetail.parse(await call('runs.get', { studyPath: study, runId: after.cells[0]!.runId }));
    expect(detail.log).toHaveLength(1);
    expect(detail.result?.bestValAuc).toBe(after.cells[0]!.bestValAuc);
    expect((await call('grid.launch', { studyPath: study })) as { submitted: unknown[] }).toMatchObject({ submitted: [] }); // nothing left to run
  }, 240_000);

  it('runGrid (the CLI path) runs the cells that are left, in-process', async () => {
    await initEngine({ preference: 'auto' });
    await call('grid.save', { studyPath: study, spec: { strategies: ['IWNE-FS'], fractions: [0.5, 1], seeds: [0, 1], base } });
    const ctx = recordingContext();
    const outcomes = await runGrid(study, ctx);
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded']); // only the two seed-1 cells were left
    expect(outcomes.every((o) => o.runId.endsWith('-s1'))).toBe(true);
    const view = GridView.parse(await call('grid.get', { studyPath: study }));
    expect(view.cells.every((c) => c.status === 'done')).toBe(true);
  }, 240_000);
});

describe('analysis and report jobs', () => {
  it('the report builds as a job in a worker, and the analysis job kinds validate their requests', async () => {
    const { existsSync } = await import('node:fs');
    const job = JobState.parse(await call('jobs.submit', { kind: 'report.build', params: {}, studyPath: study }));
    const final = await app.jobs.waitFor(job.id);
    expect(final.status, final.error?.message).toBe('succeeded');
    const result = final.result as { pdf: string; pages: number };
    expect(result.pdf.startsWith(path.join(study, 'reports'))).toBe(true);
    expect(existsSync(result.pdf)).toBe(true);
    expect(result.pages).toBeGreaterThan(2);
    // A whole study plan as one job: everything of this grid is done (nothing is retrained).
    const planJob = JobState.parse(
      await call('jobs.submit', {
        kind: 'study.run',
        params: { study: study, grid: { strategies: ['IWNE-FS'], fractions: [0.5, 1], seeds: [0], base }, report: null },
        studyPath: study,
      }),
    );
    const planFinal = await app.jobs.waitFor(planJob.id);
    expect(planFinal.status, planFinal.error?.message).toBe('succeeded');
    const outcome = planFinal.result as { runs: unknown[]; study: string; report: unknown };
    expect(outcome).toMatchObject({ runs: [], study, report: null });
    for (const [kind, params, field] of [
      ['spectra.run', { runId: 'x', datasetId: 'demo', images: 1 }, 'params.images'],
      ['robustness.run', { runIds: [], datasetId: 'demo' }, 'params.runIds'],
      ['explain.run', { runId: 'Bad Id', datasetId: 'demo' }, 'params.runId'],
      ['report.build', { out: '/tmp/report.txt' }, 'params.out'],
    ] as const) {
      await expect(call('jobs.submit', { kind, params, studyPath: study }), kind).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        issues: expect.arrayContaining([expect.objectContaining({ path: field })]),
      });
    }
  }, 120_000);
});
