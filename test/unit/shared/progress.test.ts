/**
 * The progress model (src-shared/progress.ts): weights from the steps' estimated seconds, a monotone
 * fraction under out-of-order reports and under- and over-estimated steps, the time left by its formula,
 * and the line the command line prints.
 */
import { describe, expect, it } from 'vitest';
import {
  PRIOR_WEIGHT,
  ProgressModel,
  RUNNING_STEP_CAP,
  formatClock,
  formatPercent,
  itemsFraction,
  progressEta,
  progressLine,
  singleStepProgress,
  stepOf,
} from '../../../src-shared/progress';

/** A clock the test moves by hand (ms). */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (seconds: number) => (t += seconds * 1000) };
}

const isMonotone = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]!);

describe('progress model', () => {
  it('weights the steps by their estimated seconds; the shares sum to 1 and follow each other', () => {
    const m = new ProgressModel([
      { key: 'a', seconds: 10 },
      { key: 'b', seconds: 30 },
      { key: 'c', seconds: 60 },
    ]);
    expect(m.shares.map((s) => s.share)).toEqual([0.1, 0.3, 0.6]);
    expect(m.shares.map((s) => s.start)).toEqual([0, 0.1, 0.4]);
    expect(m.shares.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 12);
    expect(m.estimatedSeconds).toBe(100);
    // Half of b: 0.1 + 0.3 × 0.5.
    expect(m.update('b', 0.5, 'B').fraction).toBeCloseTo(0.25, 12);
    // Steps without a cost share the bar equally.
    expect(
      new ProgressModel([
        { key: 'x', seconds: 0 },
        { key: 'y', seconds: 0 },
      ]).shares.map((s) => s.share),
    ).toEqual([0.5, 0.5]);
  });

  it('never goes back: out-of-order reports, a step that restarts its counts, an earlier step reporting late', () => {
    const m = new ProgressModel([
      { key: 'a', seconds: 10 },
      { key: 'b', seconds: 10 },
      { key: 'c', seconds: 10 },
    ]);
    const seen: number[] = [];
    const names: string[] = [];
    for (const [key, within, name] of [
      ['a', 0.5, 'A1'],
      ['a', 0.2, 'A2'], // the step's counts restart (a sub-phase): held
      ['b', 0.1, 'B1'],
      ['a', 0.9, 'A3'], // a late report of a finished step: ignored
      ['c', 0.0, 'C1'],
      ['b', 1.0, 'B2'], // ditto
      ['c', 0.5, 'C2'],
    ] as const) {
      const s = m.update(key, within, name);
      seen.push(s.fraction);
      names.push(s.step);
    }
    expect(isMonotone(seen)).toBe(true);
    const expected = [1 / 6, 1 / 6, 1 / 3 + 1 / 30, 1 / 3 + 1 / 30, 2 / 3, 2 / 3, 2 / 3 + 1 / 6];
    seen.forEach((f, i) => expect(f).toBeCloseTo(expected[i]!, 12));
    expect(names).toEqual(['A1', 'A2', 'B1', 'B1', 'C1', 'C1', 'C2']);
  });

  it('a step that ends sooner than estimated jumps to its end; one that takes longer holds before its end until finished', () => {
    const c = clock();
    const m = new ProgressModel(
      [
        { key: 'short', seconds: 50 },
        { key: 'long', seconds: 50 },
      ],
      { now: c.now },
    );
    m.update('short', 0.1, 'short');
    c.advance(1);
    // Finished early (over-estimated): straight to the end of its share.
    expect(m.finish('short').fraction).toBe(0.5);
    // Under-estimated: its counts say 100 % but it is not finished; it holds at the cap of its share, not beyond.
    c.advance(500);
    expect(m.update('long', 1, 'long').fraction).toBeCloseTo(0.5 + 0.5 * RUNNING_STEP_CAP, 12);
    c.advance(500);
    expect(m.update('long', 1.7, 'long').fraction).toBeCloseTo(0.5 + 0.5 * RUNNING_STEP_CAP, 12);
    expect(m.complete('done').fraction).toBe(1);
    expect(m.snapshot().etaSeconds).toBe(0);
  });

  it('a replan shares what is left among the new steps and keeps the bar where it is', () => {
    const m = new ProgressModel([
      { key: 'import', seconds: 20 },
      { key: 'rest', seconds: 80 },
    ]);
    m.update('import', 0.5, 'Importing');
    m.finish('import');
    m.replan([
      { key: 'r1', seconds: 30 },
      { key: 'r2', seconds: 10 },
    ]);
    expect(m.keys).toEqual(['import', 'r1', 'r2']);
    [0.2, 0.6, 0.2].forEach((share, i) => expect(m.shares[i]!.share).toBeCloseTo(share, 12));
    expect(m.snapshot().fraction).toBe(0.2);
    expect(m.estimatedSeconds).toBe(60);
  });

  it('the time left: (1 − f)(e + k·T)/(w + k), by hand', () => {
    // f = 0.4 of which 0.1 was found already done (w = 0.3), e = 120 s, T = 600 s, k = 0.1:
    // (0.6 × (120 + 60)) / (0.3 + 0.1) = 108 / 0.4 = 270 s.
    expect(PRIOR_WEIGHT).toBe(0.1);
    expect(progressEta({ fraction: 0.4, skipped: 0.1, elapsedSeconds: 120, estimatedSeconds: 600 })).toBeCloseTo(270, 10);
    // At the start: the estimate itself.
    expect(progressEta({ fraction: 0, elapsedSeconds: 0, estimatedSeconds: 600 })).toBe(600);
    // Without an estimate: the rate alone, (1 − f)·e/w = 0.75 × 30 / 0.25 = 90 s; null before any work.
    expect(progressEta({ fraction: 0.25, elapsedSeconds: 30, estimatedSeconds: null })).toBeCloseTo(90, 10);
    expect(progressEta({ fraction: 0, elapsedSeconds: 30, estimatedSeconds: null })).toBeNull();
    expect(progressEta({ fraction: 1, elapsedSeconds: 30, estimatedSeconds: 600 })).toBe(0);
  });

  it('the time left follows the observed rate as work gets done (an estimate twice too optimistic)', () => {
    const c = clock();
    // Estimated 100 s; the real work takes 200 s at an even rate.
    const m = new ProgressModel([{ key: 'a', seconds: 100 }], { now: c.now });
    expect(m.snapshot().etaSeconds).toBe(100);
    const errors: number[] = [];
    for (const f of [0.1, 0.3, 0.5, 0.7, 0.9]) {
      c.advance(200 * f - (m.snapshot().elapsedSeconds ?? 0));
      const eta = m.update('a', f, 'a').etaSeconds!;
      errors.push(Math.abs(eta - 200 * (1 - f)) / (200 * (1 - f)));
    }
    // The error shrinks as the rate takes over: 25 % at f = 0.1, under 10 % from f = 0.5 on.
    expect(isMonotone(errors.map((e) => -e))).toBe(true);
    expect(errors[0]).toBeCloseTo(0.25, 10);
    expect(errors[2]).toBeLessThan(0.1);
  });

  it('steps found already done move the bar without making the rate look faster', () => {
    const c = clock();
    const m = new ProgressModel(
      [
        { key: 'done', seconds: 50 },
        { key: 'todo', seconds: 50 },
      ],
      { now: c.now },
    );
    m.finish('done', { skipped: true });
    c.advance(10);
    const s = m.update('todo', 0.2, 'todo');
    expect(s.fraction).toBeCloseTo(0.6, 12);
    // w = 0.1 (not 0.6): (0.4 × (10 + 10)) / (0.1 + 0.1) = 40 s.
    expect(s.etaSeconds).toBeCloseTo(40, 10);
  });

  it('items within a step, a single command, and the printed line', () => {
    expect(itemsFraction([1, 3], 0, 0.5)).toBe(0.125);
    expect(itemsFraction([1, 3], 1, 0.5)).toBe(0.625);
    expect(itemsFraction([0, 0], 1, 0)).toBe(0.5);
    const c = clock();
    const single = singleStepProgress(c.now);
    c.advance(10);
    expect(single.update(1, 4, 'batch 1/4')).toMatchObject({ fraction: 0.25, etaSeconds: 30, step: 'batch 1/4' });
    expect(single.update(4, 4, 'done').fraction).toBe(RUNNING_STEP_CAP);
    expect(single.update(0, 4, 'again').fraction).toBe(RUNNING_STEP_CAP);
    expect(formatClock(42)).toBe('0:42');
    expect(formatClock(725)).toBe('12:05');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatPercent(0.999)).toBe('99 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(
      progressLine({ fraction: 0.37, elapsedSeconds: 312, etaSeconds: 570, step: 'Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20' }),
    ).toBe('[#######-------------]  37 % · Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20 · 5:12 elapsed · 9:30 left');
    expect(progressLine({ fraction: 1, elapsedSeconds: 60, etaSeconds: 0, step: 'Study finished' })).toBe(
      '[####################] 100 % · Study finished · 1:00 elapsed',
    );
    expect(stepOf('Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20')).toBe('Training 3 of 8');
  });
});
