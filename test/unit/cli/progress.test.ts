/**
 * The command line's progress display (src-main/cli/progress.ts): in a log one line per change of a study's step or
 * 5 % of the bar, each with bar, percent, the step named once, elapsed time and time left; on a terminal one line
 * redrawn in place, log lines written above it.
 */
import { describe, expect, it } from 'vitest';
import { stderrProgress } from '../../../src-main/cli/progress';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 200, write: (t: string) => chunks.push(t), chunks };
}

describe('command-line progress', () => {
  it('in a log: a line per change of step or 5 %, the step named once, elapsed and time left', () => {
    const out = sink(false);
    const p = stderrProgress('study', true, out);
    const info = (eta: number) => ({ elapsedSeconds: 65, etaSeconds: eta });
    p.update(1000, 10_000, 'Training 1 of 8 · IWNE-FS 25 % seed 0 · epoch 1/20', info(600));
    p.update(1100, 10_000, 'Training 1 of 8 · IWNE-FS 25 % seed 0 · epoch 2/20', info(590)); // same step, +1 %: nothing
    p.update(1600, 10_000, 'Training 1 of 8 · IWNE-FS 25 % seed 0 · epoch 9/20', info(500)); // +6 %
    p.update(1650, 10_000, 'Training 2 of 8 · IWNE-FS 50 % seed 0', info(495)); // a new step
    p.update(10_000, 10_000, 'Study finished', { elapsedSeconds: 700, etaSeconds: 0 });
    p.end();
    expect(out.chunks).toEqual([
      'study: [##------------------]  10 % · Training 1 of 8 · IWNE-FS 25 % seed 0 · epoch 1/20 · 1:05 elapsed · 10:00 left\n',
      'study: [###-----------------]  16 % · Training 1 of 8 · IWNE-FS 25 % seed 0 · epoch 9/20 · 1:05 elapsed · 8:20 left\n',
      'study: [###-----------------]  16 % · Training 2 of 8 · IWNE-FS 50 % seed 0 · 1:05 elapsed · 8:15 left\n',
      'study: [####################] 100 % · Study finished · 11:40 elapsed\n',
    ]);
  });

  it('a single command: its counts never move the bar back, and it ends at 100 %', () => {
    const out = sink(false);
    const p = stderrProgress('train', true, out);
    p.update(5, 10, 'epoch 1/2 · batch 5/10');
    p.update(2, 10, 'epoch 2/2 · batch 2/10'); // counts restart: held at 50 %
    p.end();
    expect(out.chunks.map((c) => c.replace(/ · \d+:\d\d elapsed.*$/s, ''))).toEqual([
      'train: [##########----------]  50 % · epoch 1/2 · batch 5/10',
      'train: [####################] 100 % · epoch 2/2 · batch 2/10',
    ]);
  });

  it('on a terminal: one line redrawn in place, log lines above it, nothing when disabled', () => {
    const out = sink(true);
    const p = stderrProgress('study', true, out);
    p.update(5000, 10_000, 'Evaluating 1 of 8', { elapsedSeconds: 1, etaSeconds: 1 });
    p.log('AUC 0.81');
    p.end();
    const bar = 'study: [##########----------]  50 % · Evaluating 1 of 8 · 0:01 elapsed · 0:01 left';
    expect(out.chunks[0]).toBe(`\r\x1b[2K${bar}`);
    expect(out.chunks[1]).toBe(`\r\x1b[2KAUC 0.81\n${bar}`);
    expect(out.chunks.at(-1)).toBe('\n');
    const off = sink(true);
    const q = stderrProgress('study', false, off);
    q.update(1, 2, 'x');
    q.end();
    expect(off.chunks).toEqual([]);
  });
});
