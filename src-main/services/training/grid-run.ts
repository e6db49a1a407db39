/** Running the grid's cells one after another in this process (the CLI's `funduslab grid`). */
import type { GridCell } from '../../../src-shared/grid';
import type { TrainingResult } from '../../../src-shared/training';
import { throwIfCancelled, type JobContext } from '../../job-context';
import { RunBusyError, holderWhere } from '../study-folder/lock';
import { runnableCells } from './grid';
import { runTraining } from './run';

export interface GridRunOutcome {
  runId: string;
  /**
   * stopped: finished after an epoch at the user's request (`funduslab runs stop --after-epoch`), not a failure; busy: another
   * process (another app, a cluster task) trains the run now; it was left alone.
   */
  status: 'succeeded' | 'stopped' | 'failed' | 'busy';
  result: TrainingResult | null;
  /** Why the run failed, or (busy) the holder's message: "The run … is being trained by …". */
  error: { code: string; message: string } | null;
  /** busy: where the run is being trained, e.g. "Slurm job 12_3 on host n1" or "pid 4711 on host n1" (null when unknown). */
  heldBy?: string | null;
}

/**
 * Runs every runnable cell in order (in this process). A failing cell is reported and the next one
 * starts; so is a cell whose run another process trains now (busy). Cancellation stops the grid (the
 * cancelled run keeps its last checkpoint).
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
      const result = await runTraining(spec, studyPath, ctx);
      out.push({ runId: cell.runId, status: result.stoppedByRequest ? 'stopped' : 'succeeded', result, error: null });
    } catch (err) {
      if (err instanceof RunBusyError) {
        ctx.log(`Run ${cell.runId} left alone: ${err.message}`);
        out.push({
          runId: cell.runId,
          status: 'busy',
          result: null,
          error: { code: err.code, message: err.message },
          heldBy: err.holder ? holderWhere(err.holder) : null,
        });
        continue;
      }
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
