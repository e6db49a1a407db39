/**
 * Which of the open study's next steps are done, read from what the study holds (pure, so it is
 * unit-tested without React): data once a dataset is imported, the set-up once the training grid has
 * cells, the progress once every cell's run has finished, the results once an evaluation exists.
 * A step whose data has not arrived yet is not done.
 */
import type { GridView } from '../../../src-shared/grid';

export interface NextStepsInput {
  /** Imported datasets (null while loading). */
  datasets: number | null;
  grid: Pick<GridView, 'spec' | 'cells'> | null;
  /** Rows of the results table (null while loading). */
  resultRows: number | null;
}

export interface NextStepsDone {
  data: boolean;
  setup: boolean;
  progress: boolean;
  results: boolean;
}

export function nextStepsDone({ datasets, grid, resultRows }: NextStepsInput): NextStepsDone {
  const cells = grid?.spec ? grid.cells : [];
  return {
    data: (datasets ?? 0) > 0,
    setup: cells.length > 0,
    progress: cells.length > 0 && cells.every((c) => c.status === 'done'),
    results: (resultRows ?? 0) > 0,
  };
}
