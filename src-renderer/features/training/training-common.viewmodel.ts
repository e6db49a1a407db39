/**
 * What the Training page's view models share (pure functions, no React): how a count of epochs and an
 * AUC are written — alike in the wizard's review, the runs dashboard and a run's curves — and the
 * guards that read loosely typed values (a job's parameters, a grid written by hand or by the CLI).
 */

/** `1 epoch`, `500 epochs` (the count as given, e.g. typed text). */
export function epochsText(count: number | string): string {
  return `${count} epoch${String(count).trim() === '1' ? '' : 's'}`;
}

/** An AUC to three decimals (`0.812`), or `—` when there is none. */
export function formatAuc(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

/** The value when the guard accepts it, else undefined. */
export function pick<T>(value: unknown, guard: (v: unknown) => v is T): T | undefined {
  return guard(value) ? value : undefined;
}
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
/** The value when it is a plain object, else an empty one. */
export const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
