/** Running the grid's cells one after another in this process (the CLI's `funduslab grid`). */
import type { GridCell } from '../../../src-shared/grid';
import type { TrainingResult } from '../../../src-shared/training';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { runnableCells } from './grid';
import { runTraining } from './run';

export interface GridRunOutcome {
  runId: string;
  status: 'succeeded' | 'failed';
  result: TrainingResult | null;
  error: { code: string; message: string } | null;
}

/**
 * Runs every runnable cell in order (in this process). A failing cell is reported and the next one
 * starts; cancellation stops the grid (the cancelled run keeps its last checkpoint).
 */
export async function runGrid(
  studyPath: string,
  ctx: JobContext,
  onCell?: (index: number, total: number, cell: GridCell) => void,
): Promise<GridRunOutcome[]> {
  const todo = await runnableCells(studyPath);
  const out: GridRunOutcome[] = [];
  for (const [i, { cell, spec }] of todo.entries()) {
    throwIfCancelled(ctx);
    onCell?.(i, todo.length, cell);
    try {
      out.push({ runId: cell.runId, status: 'succeeded', result: await runTraining(spec, studyPath, ctx), error: null });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'CANCELLED') throw err;
      ctx.log(`Run ${cell.runId} failed: ${e.message ?? String(err)}`);
      out.push({
        runId: cell.runId,
        status: 'failed',
        result: null,
        error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err) },
      });
    }
  }
  return out;
}
