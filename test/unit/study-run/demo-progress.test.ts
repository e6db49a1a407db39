/**
 * The progress of the demo study (tiny scale) as the command line and the app see it: one bar that never goes back,
 * a time left in every report after the first step, exactly one step named per report, every step in order, the run
 * being trained named with its id, and 100 % only at the end.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend';
import type { JobContext } from '../../../src-main/job-context';
import { runDemoStudy } from '../../../src-main/study-run/demo-study';
import { stepOf, type ProgressInfo } from '../../../src-shared/progress';
import { tempDir } from '../../support/files';

interface Event {
  fraction: number;
  message: string;
  info: ProgressInfo | undefined;
}

beforeAll(async () => {
  await initEngine({ preference: 'auto' });
});

/** The step names a report may start with (the first part of its message). */
const STEP = [
  /^Generating the synthetic demo data$/,
  /^Deriving the demo stand-in weights$/,
  /^Importing (eyepacs-demo|idrid-demo)$/,
  /^Saving the training grid$/,
  /^Training [1-8] of 8$/,
  /^Evaluating [1-8] of 8$/,
  /^Spectra [1-4] of 4$/,
  /^Robustness$/,
  /^Explanations [1-4] of 4$/,
  /^Building the report$/,
  /^Study finished$/,
];

describe('demo study progress (tiny scale)', () => {
  it('one monotone bar, a time left, one step named per report, every step in order', async () => {
    const events: Event[] = [];
    const ctx: JobContext = {
      progress: (done, total, message, info) => events.push({ fraction: done / total, message, info }),
      log: () => {},
      signal: new AbortController().signal,
    };
    await runDemoStudy({ out: await tempDir('demo-progress'), scale: 'tiny' }, ctx);

    // Every report comes from the one model: with its elapsed time and time left, the bar never going back.
    expect(events.length).toBeGreaterThan(50);
    expect(events.every((e) => e.info !== undefined)).toBe(true);
    const back = events.filter((e, i) => i > 0 && e.fraction < events[i - 1]!.fraction);
    expect(back).toEqual([]);
    const elapsed = events.map((e) => e.info!.elapsedSeconds);
    expect(elapsed.every((t, i) => i === 0 || t >= elapsed[i - 1]!)).toBe(true);
    // 100 % only at the very end.
    expect(events.at(-1)).toMatchObject({ fraction: 1, message: 'Study finished' });
    expect(events.slice(0, -1).every((e) => e.fraction < 1)).toBe(true);

    // A time left in every report once the first step has finished (and from the start: the estimate speaks first).
    const firstStep = stepOf(events[0]!.message);
    const afterFirst = events.slice(events.findIndex((e) => stepOf(e.message) !== firstStep));
    expect(afterFirst.length).toBeGreaterThan(0);
    expect(afterFirst.slice(0, -1).every((e) => e.info!.etaSeconds !== null && e.info!.etaSeconds > 0)).toBe(true);

    // Exactly one step named per report: its name matches one step, and no other step counter rides along (what follows the name is the
    // step's own progress: its epochs and batches, its images).
    const unnamed = events.filter((e) => STEP.filter((re) => re.test(stepOf(e.message))).length !== 1);
    expect(unnamed.map((e) => e.message)).toEqual([]);
    const extraCounters = events.filter(
      (e) => /\[\d+\/\d+|run \d+\/\d+|\d+ runs/.test(e.message) || (stepOf(e.message).match(/\d+ of \d+/g) ?? []).length > 1,
    );
    expect(extraCounters.map((e) => e.message)).toEqual([]);

    // Every step, in order, each once.
    const order = events.map((e) => stepOf(e.message)).filter((s, i, all) => i === 0 || s !== all[i - 1]);
    expect(order).toEqual([
      'Generating the synthetic demo data',
      'Deriving the demo stand-in weights',
      'Importing eyepacs-demo',
      'Importing idrid-demo',
      'Saving the training grid',
      ...Array.from({ length: 8 }, (_, i) => `Training ${i + 1} of 8`),
      ...Array.from({ length: 8 }, (_, i) => `Evaluating ${i + 1} of 8`),
      ...Array.from({ length: 4 }, (_, i) => `Spectra ${i + 1} of 4`),
      'Robustness',
      ...Array.from({ length: 4 }, (_, i) => `Explanations ${i + 1} of 4`),
      'Building the report',
      'Study finished',
    ]);

    // The run being trained is named in the step and carried as its id (the app marks it Running).
    const training = events.filter((e) => stepOf(e.message).startsWith('Training '));
    expect(training.every((e) => typeof e.info!.runId === 'string' && e.info!.runId.length > 0)).toBe(true);
    expect(events.filter((e) => !stepOf(e.message).startsWith('Training ')).every((e) => e.info!.runId === undefined)).toBe(true);
    expect(training.some((e) => /^Training 8 of 8 · IFI-CL 100 % seed 0 · epoch 1\/1/.test(e.message))).toBe(true);
    expect(new Set(training.map((e) => e.info!.runId)).size).toBe(8);
  }, 300_000);
});
