/**
 * The study-integrity story end to end, in headless Chromium through the HTTP bridge: a study whose
 * 1-epoch run was trained and evaluated; the user changes the epochs to 2 in the study wizard; the
 * old run turns Outdated ("epochs 1 → 2") on the Training page while the cell trains in `<id>-v2`;
 * Results and the PDF report leave the outdated run out (its AUC appears in neither; the report's
 * Methods describe the 2-epoch run shown); the outdated run is deleted from the Training page, found
 * on the Trash page, restored, and is back (still outdated). Oracles: the files on disk after each
 * step, the AUCs the evaluations wrote (read from their result files, not from the app) and the
 * report's text (poppler's pdftotext). Screenshots: test-artifacts/e2e/integrity-story-*.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src-main/engine/backend';
import { importDataset } from '../../src-main/services/datasets/import/import-service';
import { writeEyepacsDemo } from '../../src-main/services/demo';
import { evaluateRun } from '../../src-main/services/evaluation/evaluate';
import { detachedContext } from '../../src-main/job-context';
import { StudyService } from '../../src-main/services/study-folder/study-service';
import { saveGrid } from '../../src-main/services/training/grid';
import { runGrid } from '../../src-main/services/training/grid-run';
import { chromiumAvailable, openAppSession, pageTools, type AppSession } from '../support/browser';
import { tempDirSync } from '../support/files';
import { recordingContext } from '../support/job-context';

const enabled = chromiumAvailable();
const OLD = 'iwne-fs-resnet18-w8-demo-f1-s0';
const NEW = `${OLD}-v2`;

/** The AUC an evaluation wrote, as the report prints it (three decimals). */
function storedAuc(study: string, runId: string): string {
  const folder = readdirSync(path.join(study, 'evaluations')).find((n) => n.startsWith(`${runId}__`));
  if (!folder) throw new Error(`no evaluation of ${runId}`);
  const result = JSON.parse(readFileSync(path.join(study, 'evaluations', folder, 'result.json'), 'utf8')) as { auc: number };
  return result.auc.toFixed(3);
}

describe.runIf(enabled)('Study integrity: change the plan, outdated runs left out, delete and restore (browser mode)', () => {
  let session: AppSession;
  let page: Page;
  const work = tempDirSync('e2e-integrity');
  const study = path.join(work, 'study');
  const trashEntries = () => (existsSync(path.join(study, '.trash')) ? readdirSync(path.join(study, '.trash')) : []);
  const { shot, text, openStudy } = pageTools(() => session, { settleMs: 350 });

  beforeAll(async () => {
    const data = path.join(work, 'data');
    await writeEyepacsDemo(data, { patients: 20, testPatients: 10, size: 96, seed: 7, distribution: 'balanced' });
    await new StudyService({ appVersion: 'test' }).create(study, 'Integrity story');
    await importDataset(
      { type: 'eyepacs', path: path.join(data, 'eyepacs'), id: 'demo', settings: { inputSize: 48, overlaySize: 64 }, concurrency: 2 },
      study,
      detachedContext(),
    );
    await initEngine({ preference: 'auto' });
    await saveGrid(study, {
      strategies: ['IWNE-FS'],
      fractions: [1],
      seeds: [0],
      base: { datasetId: 'demo', arch: 'resnet18-w8', inputSize: 48, batchSize: 16 },
      overrides: { 'IWNE-FS': { epochs: 1, lr: 0.002 } },
    });
    const [outcome] = await runGrid(study, recordingContext());
    expect(outcome!.runId).toBe(OLD);
    await evaluateRun({ runId: OLD, datasetId: 'demo', split: 'test' } as never, study, recordingContext());
    session = await openAppSession(path.join(work, 'home'), 'integrity-story-');
    page = session.page;
  }, 240_000);

  afterAll(async () => session?.close());

  it('changing the epochs in the wizard makes the 1-epoch run outdated and the cell train in a new folder', async () => {
    await openStudy(study);
    await page.getByTestId('nav-training').click();
    await page.getByTestId('grid-edit').click();
    await page.getByTestId('grid-wizard').waitFor();
    for (let i = 0; i < 12 && !(await page.getByTestId('grid-save').isVisible()); i++) {
      if (await page.getByTestId('grid-iwneEpochs').isVisible()) await page.getByTestId('grid-iwneEpochs').fill('2');
      await page.getByTestId('grid-next').click();
      await page.waitForTimeout(100);
    }
    await page.getByTestId('grid-save').click();
    await page.getByTestId('grid-table').waitFor();
    const grid = JSON.parse(readFileSync(path.join(study, 'grid.json'), 'utf8')) as { overrides: Record<string, { epochs: number }> };
    expect(grid.overrides['IWNE-FS']!.epochs).toBe(2);
    await page.getByTestId(`run-cell-${NEW}`).waitFor();
    const old = page.locator(`[data-testid="grid-other-run"][data-run="${OLD}"]`);
    await old.waitFor();
    expect(await old.getAttribute('data-outdated')).toBe('true');
    expect(await old.getByTestId('run-outdated-reasons').textContent()).toContain('epochs 1 → 2');
    // The old run's files are untouched: nothing was retrained over them.
    expect(JSON.parse(readFileSync(path.join(study, 'runs', OLD, 'spec.json'), 'utf8')).epochs).toBe(1);
    await shot('01-outdated');
  });

  it('Results and the report leave the outdated run out', async () => {
    // The new cell trains and is evaluated (as the whole-study job would).
    const [outcome] = await runGrid(study, recordingContext());
    expect(outcome!.runId).toBe(NEW);
    await evaluateRun({ runId: NEW, datasetId: 'demo', split: 'test' } as never, study, recordingContext());
    const oldAuc = storedAuc(study, OLD);
    const newAuc = storedAuc(study, NEW);

    await page.getByTestId('nav-results').click();
    await expect.poll(() => page.getByTestId('results-row').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('results-row').getAttribute('data-evaluation')).toContain(NEW);
    expect(await text('results-outdated-excluded')).toContain(OLD);
    await shot('02-results');

    await page.getByTestId('nav-report').click();
    await page.getByTestId('report-export').click();
    await page.getByTestId('report-done').waitFor({ timeout: 120_000 });
    const reports = readdirSync(path.join(study, 'reports')).filter((f) => f.endsWith('.pdf'));
    expect(reports).toHaveLength(1);
    const pdf = execFileSync('pdftotext', ['-layout', path.join(study, 'reports', reports[0]!), '-'], { encoding: 'utf8' }).replace(
      /\s+/g,
      '',
    );
    expect(pdf).toContain(NEW);
    expect(pdf).toContain(newAuc);
    if (oldAuc !== newAuc) expect(pdf).not.toContain(oldAuc);
    // The outdated run is named only as left out, never as a result row.
    expect(pdf).not.toMatch(new RegExp(`${OLD}(?!-v2)[^.]*${oldAuc.replace('.', '\\.')}`));
    expect(pdf).toMatch(/Epochs2/);
    expect(pdf).not.toMatch(/Epochs1(?!\d)/);
    await shot('03-report');
  });

  it('the outdated run is deleted from the Training page, found in the trash, and restored', async () => {
    await page.getByTestId('nav-training').click();
    await page
      .getByTestId('manage-run')
      .getByText(/Run folders \(2\)/)
      .click();
    await page.getByTestId(`delete-run-${OLD}`).click();
    expect(await text('confirm-body')).toContain(`The run "${OLD}" moves into the study's trash`);
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('manage-run-notice').waitFor();
    expect(existsSync(path.join(study, 'runs', OLD))).toBe(false);
    const [entry] = trashEntries();
    expect(existsSync(path.join(study, '.trash', entry!, 'runs', OLD, 'spec.json'))).toBe(true);
    expect(existsSync(path.join(study, 'runs', NEW, 'spec.json'))).toBe(true);

    await page.getByTestId('nav-trash').click();
    await page.getByTestId(`trash-row-${entry}`).waitFor();
    await shot('04-trash');
    await page.getByTestId(`trash-restore-${entry}`).click();
    await page.getByTestId('trash-notice').waitFor();
    expect(await text('trash-notice')).toBe(`Restored run ${OLD} to runs/${OLD}.`);
    expect(trashEntries()).toEqual([]);

    await page.getByTestId('nav-training').click();
    const old = page.locator(`[data-testid="grid-other-run"][data-run="${OLD}"]`);
    await old.waitFor();
    expect(await old.getAttribute('data-outdated')).toBe('true');
    await shot('05-restored');
    expect(session.consoleErrors).toEqual([]);
  });
});
