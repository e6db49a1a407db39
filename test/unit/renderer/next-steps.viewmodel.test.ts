/**
 * The Studies page's "Next steps" tick from what the study holds (next-steps.viewmodel.ts). Oracle:
 * hand-written studies at each stage, and loading states that must never tick a step.
 */
import { describe, expect, it } from 'vitest';
import type { GridCell } from '../../../src-shared/grid';
import { nextStepsDone } from '../../../src-renderer/features/study/next-steps.viewmodel';

const cell = (status: GridCell['status']) => ({ status }) as GridCell;
const grid = (...statuses: GridCell['status'][]) => ({ spec: {} as never, cells: statuses.map(cell) });

describe('next steps', () => {
  it('a new study: nothing done; while loading nothing is done either', () => {
    expect(nextStepsDone({ datasets: null, grid: null, resultRows: null })).toEqual({
      data: false,
      setup: false,
      progress: false,
      results: false,
    });
    expect(nextStepsDone({ datasets: 0, grid: { spec: null, cells: [] }, resultRows: 0 })).toEqual({
      data: false,
      setup: false,
      progress: false,
      results: false,
    });
  });

  it('data imported, grid set, runs under way: the first two are done', () => {
    expect(nextStepsDone({ datasets: 2, grid: grid('done', 'partial', 'pending'), resultRows: 0 })).toEqual({
      data: true,
      setup: true,
      progress: false,
      results: false,
    });
  });

  it('a blocked cell keeps the progress open; every run finished and evaluated: all done', () => {
    expect(nextStepsDone({ datasets: 1, grid: grid('done', 'blocked'), resultRows: 0 }).progress).toBe(false);
    expect(nextStepsDone({ datasets: 1, grid: grid('done', 'done'), resultRows: 4 })).toEqual({
      data: true,
      setup: true,
      progress: true,
      results: true,
    });
  });
});
