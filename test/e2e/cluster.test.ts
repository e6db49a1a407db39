/**
 * End to end in headless Chromium through the HTTP bridge: a study with a 2 × 2 grid (IWNE-FS and
 * IWNE-CL at two label fractions) and two Slurm cluster submissions written into its folder as
 * submission and tasks leave them (submission.json, tasks/<role>-<index>.json). Without a submission
 * the Jobs page shows a one-line hint with the submit command; with them it lists both, newest first,
 * with their tasks (role, run, job id_index, state, node, elapsed, exit code, log) and counts per state;
 * Refresh and the automatic refresh (every 15 s while a task is active) pick up a task's new state;
 * Cancel asks first and shows what the cancel answered. The Training page's runs grid shows each
 * cell's cluster state from its newest submission. The job ids lie far above the ids the test cluster
 * hands out, so no real job can answer for them. Screenshots: test-artifacts/e2e/cluster-*.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmittedCell } from '../../src-shared/cluster';
import { saveGrid } from '../../src-main/services/training/grid';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { gridCells, job, writeSubmission, writeTaskRecord } from '../support/cluster';
import { tempDirSync } from '../support/files';
import { demoSpec, demoStudy } from '../support/studies';

const PATH = process.env.PATH;

const enabled = chromiumAvailable();
const OLD = '20261201-100000-grid';
const NEW = '20261202-090000-study';

describe.runIf(enabled)('Cluster submissions on the Jobs and Training pages through the HTTP bridge', () => {
  let session: AppSession;
  let page: Page;
  let study: string;
  let cells: SubmittedCell[];
  const { shot, text, openStudy, noSidewaysOverflow } = pageTools(() => session, { settleMs: 350 });
  const row = (submission: string, task: string) =>
    page.locator(`[data-testid="cluster-submission"][data-submission="${submission}"] [data-testid="cluster-task"][data-task="${task}"]`);
  /** A task row's texts: role, what it works on, job, state, node, elapsed, exit code, reason, then the log shown under the second. */
  const cellsOf = (submission: string, task: string) =>
    row(submission, task).evaluate((tr) => {
      type El = { textContent: string; querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El> };
      const el = tr as unknown as El;
      const texts = Array.from(el.querySelectorAll('td')).map(
        (td) => (td.querySelector('[data-testid="cluster-task-label"]') ?? td).textContent,
      );
      return [...texts, el.querySelector('[data-testid="cluster-task-log"]')?.textContent ?? ''];
    });

  beforeAll(async () => {
    study = await demoStudy({ patients: 8, size: 64 });
    const { strategy: _s, seed: _seed, ...base } = demoSpec({ inputSize: 48, epochs: 1 });
    await saveGrid(study, { strategies: ['IWNE-FS', 'IWNE-CL'], fractions: [0.5, 1], seeds: [0], base });
    // The app on a computer without Slurm's tools (the submissions come from a cluster whose files are shared): states come from
    // the tasks' own records, and cancelling says that scancel is missing.
    process.env.PATH = tempDirSync('e2e-cluster-no-slurm');
    session = await openAppSession(tempDirSync('e2e-cluster-home'), 'cluster-');
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    process.env.PATH = PATH;
    await session?.close();
  });

  it('without a submission the Jobs page names the command that submits the grid', async () => {
    await openStudy(study);
    await page.getByTestId('study-summary').waitFor();
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('cluster-hint').waitFor();
    expect(await text('cluster-hint')).toContain('funduslab grid --study <dir> --executor slurm');
    expect(await page.getByTestId('cluster-submissions').count()).toBe(0);
  });

  it('lists both submissions newest first, each task with its job, state, node, elapsed time, exit code and log', async () => {
    ({ cells } = await gridCells(study));
    expect(cells.map((c) => `${c.strategy} ${c.fraction} ${c.pretraining}`)).toEqual([
      'IWNE-FS 0.5 null',
      'IWNE-FS 1 null',
      'IWNE-CL 0.5 0',
      'IWNE-CL 1 0',
    ]);
    const { pretrainings } = await gridCells(study);
    // The older one: the two FS cells, one done, one failed, and the finish job done.
    await writeSubmission(study, {
      id: OLD,
      createdAt: '2026-12-01T10:00:00.000Z',
      cells: cells.slice(0, 2),
      jobs: [job('train', '9900101', [0, 1]), job('finish', '9900102', undefined, 'afterany:9900101')],
    });
    const at = (t: string) => `2026-12-01T${t}.000Z`;
    await writeTaskRecord(study, OLD, {
      role: 'train',
      index: 0,
      jobId: '9900105',
      arrayJobId: '9900101',
      host: 'node-a',
      state: 'done',
      startedAt: at('10:00:05'),
      endedAt: at('10:12:35'),
      exitCode: 0,
    });
    await writeTaskRecord(study, OLD, {
      role: 'train',
      index: 1,
      jobId: '9900106',
      arrayJobId: '9900101',
      host: 'node-b',
      state: 'failed',
      startedAt: at('10:00:05'),
      endedAt: at('10:03:00'),
      exitCode: 1,
      message: 'out of memory',
    });
    await writeTaskRecord(study, OLD, {
      role: 'finish',
      index: 0,
      jobId: '9900102',
      host: 'node-a',
      state: 'done',
      startedAt: at('10:13:00'),
      endedAt: at('10:14:01'),
      exitCode: 0,
    });
    // The newer one: the whole study, its pretraining running for 65 min, one cell requeued, one cancelled, the rest not started.
    await writeSubmission(study, {
      id: NEW,
      createdAt: '2026-12-02T09:00:00.000Z',
      kind: 'study',
      cells,
      pretrainings,
      jobs: [
        job('pretrain', '9900201', [0]),
        job('train', '9900202', [0, 1, 2, 3], 'aftercorr:9900201'),
        job('finish', '9900203', undefined, 'afterany:9900202'),
      ],
    });
    await writeTaskRecord(study, NEW, {
      role: 'pretrain',
      index: 0,
      jobId: '9900204',
      arrayJobId: '9900201',
      host: 'node-c',
      state: 'running',
      startedAt: new Date(Date.now() - 65 * 60_000).toISOString(),
    });
    await writeTaskRecord(study, NEW, {
      role: 'train',
      index: 0,
      jobId: '9900205',
      arrayJobId: '9900202',
      host: 'node-a',
      state: 'requeued',
      startedAt: at('11:00:00'),
      endedAt: at('11:30:00'),
      starts: 2,
    });
    await writeTaskRecord(study, NEW, {
      role: 'train',
      index: 2,
      jobId: '9900207',
      arrayJobId: '9900202',
      host: 'node-b',
      state: 'cancelled',
      startedAt: at('11:00:00'),
      endedAt: at('11:00:30'),
      exitCode: 0,
    });

    // Leaving the page and coming back reads the status again.
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-table').waitFor();
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('cluster-submissions').waitFor();
    const subs = page.getByTestId('cluster-submission');
    expect(
      await subs.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { submission: string } }).dataset.submission)),
    ).toEqual([NEW, OLD]);

    const newer = subs.nth(0);
    expect(
      await newer
        .getByTestId('cluster-task')
        .evaluateAll((rs) => rs.map((r) => (r as unknown as { dataset: { task: string } }).dataset.task)),
    ).toEqual(['pretrain-0', 'train-0', 'train-1', 'train-2', 'train-3', 'finish-0']);
    const log = (sub: string, name: string) => `cluster/${sub}/${name}`;
    const pretrain = await cellsOf(NEW, 'pretrain-0');
    expect([...pretrain.slice(0, 5), ...pretrain.slice(6)]).toEqual([
      'Pretraining',
      pretrainings[0]!.id,
      '9900201_0',
      'RUNNING',
      'node-c',
      '—',
      '—',
      log(NEW, '9900201_0.log'),
    ]);
    expect(pretrain[5]).toMatch(/^01:0[56]:\d\d$/); // running for 65 min when written, read within a minute
    expect(await row(NEW, 'pretrain-0').getByTestId('cluster-task-log').getAttribute('title')).toBe(
      path.join(study, 'cluster', NEW, '9900201_0.log'),
    );
    expect(await cellsOf(NEW, 'train-0')).toEqual([
      'Training',
      cells[0]!.runId,
      '9900202_0',
      'REQUEUED',
      'node-a',
      '00:30:00',
      '—',
      '—',
      log(NEW, '9900202_0.log'),
    ]);
    expect((await cellsOf(NEW, 'train-1')).slice(0, 7)).toEqual(['Training', cells[1]!.runId, '9900202_1', 'UNKNOWN', '—', '—', '—']);
    expect((await cellsOf(NEW, 'train-2')).slice(2, 7)).toEqual(['9900202_2', 'CANCELLED', 'node-b', '00:00:30', '0:0']);
    expect((await cellsOf(NEW, 'finish-0')).slice(0, 4)).toEqual(['Finish', 'finish', '9900203', 'UNKNOWN']);
    expect(await newer.getByTestId('cluster-counts').locator('.MuiChip-label').allTextContents()).toEqual([
      '1 RUNNING',
      '1 REQUEUED',
      '1 CANCELLED',
      '3 UNKNOWN',
    ]);
    expect(await newer.getByTestId('cluster-submission-meta').textContent()).toMatch(/^Whole study · submitted /);
    expect(await newer.getByTestId('cluster-cancel').count()).toBe(1);

    const older = subs.nth(1);
    expect(await cellsOf(OLD, 'train-0')).toEqual([
      'Training',
      cells[0]!.runId,
      '9900101_0',
      'COMPLETED',
      'node-a',
      '00:12:30',
      '0:0',
      '—',
      log(OLD, '9900101_0.log'),
    ]);
    expect((await cellsOf(OLD, 'train-1')).slice(2, 8)).toEqual(['9900101_1', 'FAILED', 'node-b', '00:02:55', '1:0', 'out of memory']);
    expect((await cellsOf(OLD, 'finish-0')).slice(2, 9)).toEqual([
      '9900102',
      'COMPLETED',
      'node-a',
      '00:01:01',
      '0:0',
      '—',
      log(OLD, '9900102.log'),
    ]);
    expect(await older.getByTestId('cluster-counts').locator('.MuiChip-label').allTextContents()).toEqual(['1 FAILED', '2 COMPLETED']);
    expect(await older.getByTestId('cluster-cancel').count()).toBe(0); // nothing left to cancel
    await noSidewaysOverflow();
    await page
      .getByTestId('cluster-submissions')
      .evaluate((el) => (el as unknown as { scrollIntoView(o: { block: string }): void }).scrollIntoView({ block: 'start' }));
    await page.mouse.move(0, 0);
    await shot('01-jobs', 1100);
  });

  it("Refresh and the automatic refresh while tasks are active show a task's new state", async () => {
    await writeTaskRecord(study, NEW, {
      role: 'train',
      index: 1,
      jobId: '9900206',
      arrayJobId: '9900202',
      host: 'node-d',
      state: 'running',
      startedAt: new Date().toISOString(),
    });
    await page.getByTestId('cluster-refresh').click();
    await expect.poll(() => row(NEW, 'train-1').getAttribute('data-state')).toBe('RUNNING');
    expect((await cellsOf(NEW, 'train-1'))[4]).toBe('node-d');

    await writeTaskRecord(study, NEW, {
      role: 'train',
      index: 3,
      jobId: '9900208',
      arrayJobId: '9900202',
      host: 'node-d',
      state: 'failed',
      startedAt: at2('08:00:00'),
      endedAt: at2('08:00:09'),
      exitCode: 2,
    });
    // No click: the page reads the status again within 15 s while a task is active.
    await expect.poll(() => row(NEW, 'train-3').getAttribute('data-state'), { timeout: 20_000, interval: 500 }).toBe('FAILED');
    expect((await cellsOf(NEW, 'train-3')).slice(3, 7)).toEqual(['FAILED', 'node-d', '00:00:09', '2:0']);
  });

  it('Cancel asks first, naming the Slurm jobs with active tasks, and shows what the cancel answered', async () => {
    const newer = page.locator(`[data-testid="cluster-submission"][data-submission="${NEW}"]`);
    await newer.getByTestId('cluster-cancel').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.locator('#confirm-title').textContent()).toBe(`Cancel cluster submission ${NEW}?`);
    expect(await dialog.getByTestId('confirm-items').locator('li').allTextContents()).toEqual([
      'Pretraining: job 9900201 (1 task active)',
      'Training: job 9900202 (2 tasks active)',
    ]);
    expect(await dialog.getByTestId('confirm-body').textContent()).toContain(
      `funduslab grid --study ${study} --executor slurm --retry-failed`,
    );
    await shot('02-cancel-question');
    // Keeping the jobs closes the question and changes nothing.
    await dialog.getByRole('button', { name: 'Keep running' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row(NEW, 'pretrain-0').getAttribute('data-state')).toBe('RUNNING');
    // Confirmed: this computer has no Slurm tools, so the answer is the error saying so, shown in the question.
    await newer.getByTestId('cluster-cancel').click();
    await dialog.getByTestId('confirm-ok').click();
    await dialog.getByTestId('confirm-error').waitFor();
    expect(await dialog.getByTestId('confirm-error').textContent()).toContain('scancel is not on PATH');
    await dialog.getByRole('button', { name: 'Keep running' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("the Training page's runs grid shows each cell's state in its newest submission", async () => {
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-table').waitFor();
    const chip = (runId: string) => page.getByTestId(`run-cell-${runId}`).getByTestId('run-cluster-state');
    await expect.poll(() => chip(cells[0]!.runId).count()).toBe(1);
    expect(await chip(cells[0]!.runId).textContent()).toBe('REQUEUED · job 9900202_0');
    expect(await chip(cells[1]!.runId).textContent()).toBe('RUNNING · job 9900202_1');
    expect(await chip(cells[2]!.runId).textContent()).toBe('CANCELLED · job 9900202_2');
    expect(await chip(cells[3]!.runId).textContent()).toBe('FAILED · job 9900202_3');
    expect(await page.getByTestId(`run-cell-${cells[1]!.runId}`).getByTestId('run-cluster').getAttribute('data-state')).toBe('RUNNING');
    await noSidewaysOverflow();
    await shot('03-training');
    expect(session.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});

function at2(t: string): string {
  return `2026-12-02T${t}.000Z`;
}
