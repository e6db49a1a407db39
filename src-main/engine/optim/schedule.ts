/**
 * Learning-rate schedules with torch.optim.lr_scheduler semantics, as pure functions of the
 * scheduler step t (0-based: the lr used during epoch/step t).
 *
 * - constant: base.
 * - cosine: CosineAnnealingLR closed form, etaMin + (base − etaMin)·(1 + cos(π·t/tMax))/2. torch
 *   computes it recursively; both agree to float64 rounding (the golden test checks ≤ 1e-12 relative).
 *   Like torch it is periodic beyond tMax (a run of tMax steps never gets there).
 * - step: StepLR, base·gamma^⌊t/stepSize⌋.
 * - warm-up (optional): torch SequentialLR([LinearLR(startFactor, total_iters=W), schedule],
 *   milestones=[W]): for t < W, base·(startFactor + (1 − startFactor)·t/W); from t = W on, the
 *   schedule evaluated at t − W (so a cosine's tMax defaults to total − W).
 */
import { AppError } from '../../../src-shared/errors';
import type { LrSchedule, LrWarmup } from '../../../src-shared/training';

export type ScheduleInput =
  | { kind: 'constant' }
  | { kind: 'cosine'; tMax?: number | undefined; etaMin?: number | undefined }
  | { kind: 'step'; stepSize: number; gamma?: number | undefined };

/**
 * Learning rate at scheduler step t. `totalSteps` (the run length, e.g. epochs) supplies the cosine's
 * default tMax (= totalSteps − warm-up).
 */
export function learningRateAt(
  base: number,
  schedule: ScheduleInput | LrSchedule,
  t: number,
  opts: { warmup?: Partial<LrWarmup>; totalSteps?: number } = {},
): number {
  if (!Number.isInteger(t) || t < 0)
    throw new AppError('BAD_REQUEST', `Error in learningRateAt: step must be a non-negative integer, got ${t}`);
  const w = opts.warmup?.steps ?? 0;
  if (t < w) {
    const start = opts.warmup?.startFactor ?? 0.1;
    return base * (start + ((1 - start) * t) / w);
  }
  const s = t - w;
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'cosine': {
      const tMax = schedule.tMax ?? (opts.totalSteps !== undefined ? opts.totalSteps - w : undefined);
      if (tMax === undefined || !(tMax > 0))
        throw new AppError('BAD_REQUEST', 'Error in learningRateAt: a cosine schedule needs tMax or totalSteps > warm-up');
      const etaMin = schedule.etaMin ?? 0;
      return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * s) / tMax))) / 2;
    }
    case 'step':
      return base * (schedule.gamma ?? 0.1) ** Math.floor(s / schedule.stepSize);
  }
}
