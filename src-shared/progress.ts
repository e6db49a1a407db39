/**
 * One progress model for the command line and the app: a single bar for a whole study, each step
 * weighted by its estimated cost in seconds (src-shared/estimate.ts), with the elapsed time, the time
 * left and the current step named once ("Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20"). A
 * single command (train, evaluate, …) is the same model with one step. Pure, node-free.
 *
 * - The bar never goes back: a step that ends sooner than its estimate jumps to the end of its share;
 *   one that takes longer fills its share by its own counts (epochs × batches, images) and holds just
 *   before its end (RUNNING_STEP_CAP) until it is finished. Reports of an earlier step are ignored.
 * - Steps found already done (a resumed study) move the bar without counting as work done in this
 *   session, so they do not make the rate look faster than it is.
 * - The time left blends the observed rate with the estimate (progressEta): the estimate speaks first,
 *   and the measured rate takes over as work gets done.
 */

/** A step of a plan and its estimated cost in seconds (its weight on the bar). */
export interface ProgressStep {
  key: string;
  seconds: number;
}

/** What the bar shows at one moment. */
export interface ProgressSnapshot {
  /** 0–1 of the whole plan, never smaller than an earlier snapshot's. */
  fraction: number;
  elapsedSeconds: number;
  /** Seconds left; null until there is an estimate or a rate. */
  etaSeconds: number | null;
  /** The current step, named once (with its own detail, e.g. the epoch). */
  step: string;
}

/** What a progress report carries besides done/total/message (the whole-study model's numbers). */
export interface ProgressInfo {
  elapsedSeconds: number;
  etaSeconds: number | null;
  /** The training run the step trains, when it trains one (the app marks it Running). */
  runId?: string;
}

/** The share of its step that a step's own counts can fill before the step is finished. */
export const RUNNING_STEP_CAP = 0.99;
/**
 * How much of the plan's work the estimate counts as, against the work observed (progressEta): after a
 * tenth of the plan, the estimate and the measured rate weigh the same.
 */
export const PRIOR_WEIGHT = 0.1;
/** The total a model's fraction is reported in (done of PROGRESS_UNITS). */
export const PROGRESS_UNITS = 10_000;

/**
 * Seconds left: (1 − f) × (e + k·T) / (w + k), where f is the fraction done, w the part of it worked in
 * this session (f minus what was found already done), e the elapsed seconds, T the estimated seconds of
 * the whole plan and k = PRIOR_WEIGHT. Without an estimate: the observed rate alone, (1 − f) × e / w
 * (null before any work). 0 when finished.
 */
export function progressEta(p: {
  fraction: number;
  skipped?: number;
  elapsedSeconds: number;
  estimatedSeconds: number | null;
}): number | null {
  const remaining = 1 - p.fraction;
  if (remaining <= 0) return 0;
  const worked = Math.max(0, p.fraction - (p.skipped ?? 0));
  const elapsed = Math.max(0, p.elapsedSeconds);
  if (p.estimatedSeconds !== null && Number.isFinite(p.estimatedSeconds) && p.estimatedSeconds > 0)
    return (remaining * (elapsed + PRIOR_WEIGHT * p.estimatedSeconds)) / (worked + PRIOR_WEIGHT);
  if (worked <= 0 || elapsed <= 0) return null;
  return (remaining * elapsed) / worked;
}

/** The fraction of a step made of items with these weights, when item `index` is `within` (0–1) done. */
export function itemsFraction(weights: readonly number[], index: number, within: number): number {
  const total = weights.reduce((s, w) => s + Math.max(0, w), 0);
  if (weights.length === 0) return 1;
  if (!(total > 0)) return Math.min(1, (index + clamp01(within)) / weights.length);
  let before = 0;
  for (let i = 0; i < index && i < weights.length; i++) before += Math.max(0, weights[i]!);
  return Math.min(1, (before + Math.max(0, weights[index] ?? 0) * clamp01(within)) / total);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

interface PlannedStep {
  key: string;
  seconds: number;
  start: number;
  share: number;
  state: 'pending' | 'current' | 'done';
}

/** Shares of [from, 1] in proportion to the steps' seconds (equal shares when no step has a cost). */
function layOut(steps: readonly ProgressStep[], from: number): PlannedStep[] {
  const seconds = steps.map((s) => (Number.isFinite(s.seconds) && s.seconds > 0 ? s.seconds : 0));
  const total = seconds.reduce((a, b) => a + b, 0);
  const room = Math.max(0, 1 - from);
  let start = from;
  return steps.map((s, i) => {
    const share = total > 0 ? (room * seconds[i]!) / total : room / steps.length;
    const planned: PlannedStep = { key: s.key, seconds: seconds[i]!, start, share, state: 'pending' };
    start += share;
    return planned;
  });
}

/**
 * The progress of a plan of weighted steps. `update` reports a step's own progress (0–1) and its name;
 * `finish` ends a step (`skipped`: it was found already done); `replan` replaces the steps not started
 * yet (they share what is left of the bar); `snapshot` gives the numbers to show.
 */
export class ProgressModel {
  private steps: PlannedStep[];
  private fraction = 0;
  private skipped = 0;
  private name = '';
  private readonly startedMs: number;
  private readonly now: () => number;

  /** `now` in ms (default Date.now); `estimated`: whether the steps' seconds are an estimate of real time (else only weights). */
  constructor(
    steps: readonly ProgressStep[],
    private readonly opts: { now?: () => number; estimated?: boolean } = {},
  ) {
    this.now = opts.now ?? (() => Date.now());
    this.startedMs = this.now();
    this.steps = layOut(steps, 0);
  }

  /** The estimated seconds of the whole plan (the prior of the time left), or null when the steps carry weights only. */
  get estimatedSeconds(): number | null {
    if (this.opts.estimated === false) return null;
    const total = this.steps.reduce((s, p) => s + p.seconds, 0);
    return total > 0 ? total : null;
  }

  /** The step keys in order (for tests and displays). */
  get keys(): string[] {
    return this.steps.map((s) => s.key);
  }

  /** Each step's share of the bar, in order (they sum to 1). */
  get shares(): { key: string; start: number; share: number }[] {
    return this.steps.map(({ key, start, share }) => ({ key, start, share }));
  }

  /** Replaces the steps not started yet with `pending`; they share what is left of the bar after the started ones. */
  replan(pending: readonly ProgressStep[]): void {
    const kept = this.steps.filter((s) => s.state !== 'pending');
    const last = kept[kept.length - 1];
    const from = last ? last.start + last.share : 0;
    this.steps = [...kept, ...layOut(pending, from)];
    if (kept.length === this.steps.length && last) {
      // Nothing left to plan: the last started step reaches the end of the bar.
      last.share = 1 - last.start;
    }
  }

  /** Reports step `key` at `within` (0–1) of its own work, named `step`; steps before it count as finished. */
  update(key: string, within: number, step: string): ProgressSnapshot {
    const index = this.steps.findIndex((s) => s.key === key);
    const target = this.steps[index];
    if (!target || target.state === 'done') return this.snapshot();
    for (let i = 0; i < index; i++) if (this.steps[i]!.state !== 'done') this.end(i, false);
    target.state = 'current';
    this.advance(target.start + target.share * Math.min(RUNNING_STEP_CAP, clamp01(within)));
    this.name = step;
    return this.snapshot();
  }

  /** Ends step `key` (and every step before it); `skipped`: it was found already done, not worked now. */
  finish(key: string, opts: { skipped?: boolean; step?: string } = {}): ProgressSnapshot {
    const index = this.steps.findIndex((s) => s.key === key);
    if (index >= 0) for (let i = 0; i <= index; i++) if (this.steps[i]!.state !== 'done') this.end(i, i === index && opts.skipped === true);
    if (opts.step !== undefined) this.name = opts.step;
    return this.snapshot();
  }

  /** Ends the whole plan (the bar at 100 %). */
  complete(step: string): ProgressSnapshot {
    for (let i = 0; i < this.steps.length; i++) if (this.steps[i]!.state !== 'done') this.end(i, false);
    this.advance(1);
    this.name = step;
    return this.snapshot();
  }

  snapshot(): ProgressSnapshot {
    const elapsedSeconds = Math.max(0, (this.now() - this.startedMs) / 1000);
    return {
      fraction: this.fraction,
      elapsedSeconds,
      etaSeconds: progressEta({ fraction: this.fraction, skipped: this.skipped, elapsedSeconds, estimatedSeconds: this.estimatedSeconds }),
      step: this.name,
    };
  }

  private end(index: number, skipped: boolean): void {
    const s = this.steps[index]!;
    s.state = 'done';
    const before = this.fraction;
    this.advance(s.start + s.share);
    if (skipped) this.skipped += this.fraction - before;
  }

  private advance(to: number): void {
    this.fraction = Math.min(1, Math.max(this.fraction, to));
  }
}

/**
 * The model of a single command: one step whose progress is done/total (held just before 100 % until
 * the command ends), the time left from the observed rate.
 */
export function singleStepProgress(now?: () => number): { update(done: number, total: number, message: string): ProgressSnapshot } {
  const model = new ProgressModel([{ key: 'job', seconds: 1 }], { ...(now ? { now } : {}), estimated: false });
  return { update: (done, total, message) => model.update('job', total > 0 ? done / total : 0, message) };
}

/** `0:42`, `12:05`, `1:02:03` (a clock for elapsed time and time left). */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** `37 %`: the whole percent of a fraction, 100 % only when finished. */
export function formatPercent(fraction: number): string {
  const pct = Math.floor(clamp01(fraction) * 100);
  return `${fraction >= 1 ? 100 : Math.min(99, pct)} %`;
}

/** `5:12 elapsed · 9:30 left` (the time left only when there is one). */
export function formatTimes(s: Pick<ProgressSnapshot, 'elapsedSeconds' | 'etaSeconds' | 'fraction'>): string {
  const left = s.fraction < 1 && s.etaSeconds !== null ? ` · ${formatClock(s.etaSeconds)} left` : '';
  return `${formatClock(s.elapsedSeconds)} elapsed${left}`;
}

/** The one progress line of the command line: `[######--------------]  37 % · Training 3 of 8 · … · 5:12 elapsed · 9:30 left`. */
export function progressLine(s: ProgressSnapshot, barWidth = 20): string {
  const filled = Math.round(clamp01(s.fraction) * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  return `${bar} ${formatPercent(s.fraction).padStart(5)}${s.step ? ` · ${s.step}` : ''} · ${formatTimes(s)}`;
}

/** The step of a message: its part before the first ` · ` (`Training 3 of 8` of `Training 3 of 8 · IWNE-FS 50 % seed 0 · epoch 4/20`). */
export function stepOf(message: string): string {
  const i = message.indexOf(' · ');
  return i < 0 ? message : message.slice(0, i);
}
