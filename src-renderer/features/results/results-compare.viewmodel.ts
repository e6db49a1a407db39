/**
 * Reading the Results page at a glance (pure, unit-tested in test/unit/renderer/compare.viewmodel.test.ts):
 * the summary cards at its top (the best AUC on each test set, how many evaluations are shown and how
 * many of outdated runs are left out), a plain-language sentence under each paired test, and the
 * results table's sort and filter values.
 *
 * The reading of a paired test: the two-sided DeLong test the main side computes on the same images;
 * the difference is called significant when p < α = 0.05 (p exactly 0.05 is not), with no correction
 * for the number of tests shown.
 */
import type { PairedComparison, ResultsRow, StudyResults } from '../../../src-shared/evaluation';
import { formatFraction, runLabel, strategyRank } from '../../shared/strategies';
import type { FilterableRow, SortValue } from '../../shared/table-sort.viewmodel';
import { formatAuc, formatCi, formatP, resultRows, testSetLabel, type ResultRowModel } from './results.viewmodel';

/** The significance level of the readings. */
export const ALPHA = 0.05;

/** The rule, stated once on the page. */
export const READING_RULE =
  'How to read the paired tests: each compares two runs on the same images with a two-sided DeLong test; a difference is called significant when p < 0.05 (α = 0.05), without correction for the number of tests.';

const MINUS = '\u2212';

/** A difference to 3 decimals, a minus sign only when negative (`0.012`, `−0.012`; one that rounds to zero is `0.000`). */
function plain(value: number): string {
  const text = Math.abs(value).toFixed(3);
  return value < 0 && Number(text) !== 0 ? `${MINUS}${text}` : text;
}

/** `p = 0.49`, `p = 0.0030`, `p < 0.001`. */
function pText(p: number): string {
  const f = formatP(p);
  return f.startsWith('<') ? `p ${f}` : `p = ${f}`;
}

/**
 * One sentence reading a paired test, e.g. `No significant difference between IFI-CL and IFI-FS at
 * 100 % labels, seed 0, on eyepacs · test split (ΔAUC 0.012, p = 0.49).` or `IFI-CL is better than
 * IFI-FS at 10 % labels, seed 0, on … (ΔAUC 0.041, 95 % CI 0.012 to 0.070, p = 0.0030).` — the better
 * run named first and ΔAUC as better − worse; a tie (ΔAUC 0) is never called a difference; a missing
 * or undefined p, or a failed test, says that no reading is possible.
 */
export function comparisonReading(c: PairedComparison, alpha = ALPHA): string {
  const [a, b] = [c.a.strategy, c.b.strategy];
  const where = `at ${formatFraction(c.fraction)} labels, seed ${c.seed}, on ${testSetLabel(c)}`;
  if (!c.test) return `No reading of ${a} against ${b} ${where}: the test could not be computed${c.error ? ` (${c.error})` : ''}.`;
  const { difference, lower, upper, p } = c.test;
  if (p === null || p === undefined || !Number.isFinite(p) || !Number.isFinite(difference))
    return `No reading of ${a} against ${b} ${where}: the p-value is undefined (ΔAUC ${Number.isFinite(difference) ? plain(difference) : '—'}).`;
  if (!(p < alpha) || difference === 0)
    return `No significant difference between ${a} and ${b} ${where} (ΔAUC ${plain(difference)}, ${pText(p)}).`;
  const [better, worse, lo, hi] = difference > 0 ? [a, b, lower, upper] : [b, a, -upper, -lower];
  return `${better} is better than ${worse} ${where} (ΔAUC ${plain(Math.abs(difference))}, 95 % CI ${plain(lo)} to ${plain(hi)}, ${pText(p)}).`;
}

// ---- Summary cards --------------------------------------------------------------------------------

export interface BestAucCard {
  key: string;
  /** `demo · test split`. */
  testSet: string;
  /** `referable grades 3, 4`. */
  referable: string;
  /** `0.812`. */
  auc: string;
  /** `95 % CI 0.760–0.861 (DeLong)`. */
  ci: string;
  /** `IFI-CL · 10 % · seed 0 (resnet50)`. */
  run: string;
  runId: string;
  /** `120 images (40 referable)`. */
  images: string;
  /** `tied with 1 other run` when several runs share the best AUC, else null. */
  tie: string | null;
  outdated: boolean;
}

export interface ResultsSummary {
  cards: BestAucCard[];
  /** `4 evaluations shown · 2 left out (outdated runs)`, `4 evaluations shown · 1 from an outdated run`. */
  counts: string;
  shown: number;
  leftOut: number;
}

/**
 * The summary at the top of Results: per test set (dataset × split × referable grades, in the table's
 * order) the evaluation with the highest AUC (ties: the one listed first, and the tie is named), and
 * how many evaluations are shown and how many of outdated runs are left out (or, when included, how
 * many of the shown ones are outdated).
 */
export function resultsSummary(results: Pick<StudyResults, 'rows' | 'excludedOutdated'>): ResultsSummary {
  const groups = new Map<string, ResultsRow[]>();
  for (const r of results.rows) {
    if (!Number.isFinite(r.auc)) continue;
    const key = `${r.datasetId}|${r.split}|${r.referable.join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const cards = [...groups.entries()].map(([key, rows]) => {
    const best = rows.reduce((m, r) => (r.auc > m.auc ? r : m), rows[0]!);
    const ties = rows.filter((r) => r !== best && r.auc === best.auc).length;
    return {
      key,
      testSet: testSetLabel(best),
      referable: `referable grades ${best.referable.join(', ')}`,
      auc: formatAuc(best.auc),
      ci: `95 % CI ${formatCi(best.delong)} (DeLong)`,
      run: `${runLabel(best)} (${best.arch})`,
      runId: best.runId,
      images: `${best.n} image${best.n === 1 ? '' : 's'} (${best.positives} referable)`,
      tie: ties > 0 ? `tied with ${ties} other run${ties === 1 ? '' : 's'}` : null,
      outdated: best.standing?.outdated ?? false,
    };
  });
  const shown = results.rows.length;
  const leftOut = (results.excludedOutdated ?? []).length;
  const outdatedShown = results.rows.filter((r) => r.standing?.outdated).length;
  const parts = [`${shown} evaluation${shown === 1 ? '' : 's'} shown`];
  if (leftOut > 0) parts.push(`${leftOut} left out (outdated run${leftOut === 1 ? '' : 's'})`);
  else if (outdatedShown > 0) parts.push(`${outdatedShown} from ${outdatedShown === 1 ? 'an outdated run' : 'outdated runs'}`);
  else parts.push('none left out');
  return { cards, counts: parts.join(' · '), shown, leftOut };
}

// ---- Results table: sorting and filtering ---------------------------------------------------------

export type ResultTableRow = ResultRowModel & FilterableRow & { source: ResultsRow; arch: string };

export type ResultSortKey = 'testSet' | 'strategy' | 'fraction' | 'seed' | 'arch' | 'epochs' | 'lr' | 'batch' | 'input' | 'n' | 'auc';

/** The results table's rows with what the filters and the sort read. */
export function resultTableRows(rows: readonly ResultsRow[]): ResultTableRow[] {
  const models = resultRows(rows);
  return rows.map((r, i) => ({
    ...models[i]!,
    source: r,
    arch: r.arch,
    strategy: r.strategy,
    fraction: r.fraction,
    dataset: r.datasetId,
    isOutdated: r.standing?.outdated ?? false,
    search: `${r.evaluation} ${runLabel(r)} ${r.arch} ${testSetLabel(r)}`,
  }));
}

export function resultSortValue(row: ResultTableRow, key: ResultSortKey): SortValue {
  const r = row.source;
  switch (key) {
    case 'testSet':
      return [r.datasetId, r.split];
    case 'strategy':
      return [strategyRank(r.strategy), r.fraction, r.seed];
    case 'fraction':
      return r.fraction;
    case 'seed':
      return r.seed;
    case 'arch':
      return r.arch;
    case 'epochs':
      return r.settings?.epochs;
    case 'lr':
      return r.settings?.lr;
    case 'batch':
      return r.settings?.batchSize;
    case 'input':
      return r.settings?.inputSize;
    case 'n':
      return r.n;
    case 'auc':
      return r.auc;
  }
}
