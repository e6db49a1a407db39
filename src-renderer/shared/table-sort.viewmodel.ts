/**
 * Sorting and filtering of the run and results tables (pure, unit-tested in
 * test/unit/renderer/compare.viewmodel.test.ts): a click on a column header sorts by it (ascending
 * first, a second click descends), missing values (no AUC yet, unknown settings) stay at the bottom
 * in both directions, equal values keep their order; and the filters every table offers — free
 * text, strategy, label fraction, dataset, outdated or current.
 */
import type { TrainingStrategy } from '../../src-shared/training';
import { formatFraction, strategyRank } from './strategies';

/** A cell's sort value; an array sorts by its first entry, then the next … (e.g. strategy, fraction, seed). */
export type SortValue = number | string | null | undefined | readonly (number | string | null | undefined)[];

export type SortDirection = 'asc' | 'desc';

export interface SortState<K extends string = string> {
  key: K;
  direction: SortDirection;
}

const missing = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** One value against another in the given direction; a missing value (null, undefined, NaN) is after every present one either way. */
function compareOne(a: number | string | null | undefined, b: number | string | null | undefined, direction: SortDirection): number {
  if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
  const sign = direction === 'asc' ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  return sign * String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/** Two sort values in the given direction (arrays entry by entry). */
export function compareSortValues(a: SortValue, b: SortValue, direction: SortDirection): number {
  const xs = Array.isArray(a) ? a : [a];
  const ys = Array.isArray(b) ? b : [b];
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const c = compareOne(xs[i] as number | string | null | undefined, ys[i] as number | string | null | undefined, direction);
    if (c !== 0) return c;
  }
  return 0;
}

/** The rows sorted by `sort` (a copy; Array.prototype.sort is stable, so equal values keep the given order); null keeps the order. */
export function sortRows<T, K extends string>(rows: readonly T[], sort: SortState<K> | null, value: (row: T, key: K) => SortValue): T[] {
  if (!sort) return [...rows];
  return rows
    .map((row) => ({ row, v: value(row, sort.key) }))
    .sort((x, y) => compareSortValues(x.v, y.v, sort.direction))
    .map((x) => x.row);
}

/** After a click on `key`'s header: ascending first, descending on a second click, ascending again on a third. */
export function nextSort<K extends string>(current: SortState<K> | null, key: K): SortState<K> {
  return current?.key === key && current.direction === 'asc' ? { key, direction: 'desc' } : { key, direction: 'asc' };
}

/** The header's aria-sort: `ascending`/`descending` on the sorted column, `none` on the others. */
export function ariaSort(sort: SortState | null, key: string): 'ascending' | 'descending' | 'none' {
  if (!sort || sort.key !== key) return 'none';
  return sort.direction === 'asc' ? 'ascending' : 'descending';
}

// ---- Filters --------------------------------------------------------------------------------------

/** What a row offers the filters. */
export interface FilterableRow {
  strategy: TrainingStrategy;
  fraction: number;
  /** The dataset the row is about (the training dataset of a run, the test set of an evaluation); null when unknown. */
  dataset: string | null;
  isOutdated: boolean;
  /** The text the free-text filter searches (run id, labels …). */
  search: string;
}

/** `''` = any. */
export interface RowFilter {
  text: string;
  strategy: string;
  /** The fraction as written by String(number) (`0.5`), or `''`. */
  fraction: string;
  dataset: string;
  outdated: '' | 'current' | 'outdated';
}

export const NO_FILTER: RowFilter = { text: '', strategy: '', fraction: '', dataset: '', outdated: '' };

/** The rows the filter keeps: every set field must match; the text matches case-insensitively anywhere in `search`. */
export function filterRows<T extends FilterableRow>(rows: readonly T[], filter: RowFilter): T[] {
  const text = filter.text.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!text || r.search.toLowerCase().includes(text)) &&
      (!filter.strategy || r.strategy === filter.strategy) &&
      (!filter.fraction || String(r.fraction) === filter.fraction) &&
      (!filter.dataset || r.dataset === filter.dataset) &&
      (!filter.outdated || (filter.outdated === 'outdated') === r.isOutdated),
  );
}

export interface FilterOptions {
  strategies: { value: string; label: string }[];
  fractions: { value: string; label: string }[];
  datasets: { value: string; label: string }[];
  /** Some row is outdated (the outdated filter is offered then). */
  anyOutdated: boolean;
}

/** The choices of each select: the values the rows hold (strategies in the paper's order, fractions ascending, datasets A–Z). */
export function filterOptions(rows: readonly FilterableRow[]): FilterOptions {
  const strategies = [...new Set(rows.map((r) => r.strategy))].sort((a, b) => strategyRank(a) - strategyRank(b));
  const fractions = [...new Set(rows.map((r) => r.fraction))].sort((a, b) => a - b);
  const datasets = [...new Set(rows.map((r) => r.dataset).filter((d): d is string => d !== null))].sort();
  return {
    strategies: strategies.map((s) => ({ value: s, label: s })),
    fractions: fractions.map((f) => ({ value: String(f), label: formatFraction(f) })),
    datasets: datasets.map((d) => ({ value: d, label: d })),
    anyOutdated: rows.some((r) => r.isOutdated),
  };
}

/** `Showing 3 of 8 runs` when a filter hides some, else `8 runs`. */
export function shownText(shown: number, total: number, noun: [string, string]): string {
  const word = (n: number) => (n === 1 ? noun[0] : noun[1]);
  return shown === total ? `${total} ${word(total)}` : `Showing ${shown} of ${total} ${word(total)}`;
}
