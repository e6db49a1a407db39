/**
 * Reproducible patient-level splits (docs/design.md, "Fractions"). Pure functions, no I/O, no Math.random.
 *
 * - Stratum of a patient = the highest grade among the patient's graded images (a patient with one
 *   healthy and one grade-3 eye counts as grade 3), so both eyes always fall on the same side.
 *   Ungraded images take no part (they are not labelled data).
 * - Within each stratum the patients are shuffled once with a seeded PRNG (mulberry32); a share f
 *   takes the first round(f × n) patients of that order. Hence, per stratum, the selected patient
 *   count is within half a patient of exact (we state proportions in patients, not images: the
 *   unit that is split is the patient; in images a stratum is off by at most one patient's images).
 * - Label fractions take prefixes of one order, so they are nested: the 0.1 subset ⊂ the 0.2 subset ⊂ … .
 */

import { mulberry32 } from '../../random/prng';

export { mulberry32 };

/** Mixes a seed with a purpose label so different uses of one seed draw independent streams. */
export function deriveSeed(seed: number, purpose: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export interface SplitItem {
  id: string;
  patient: string;
  grade: number | null;
}

export interface PatientStratum {
  /** Max grade of the stratum's patients. */
  grade: number;
  /** Patients in a seeded random order. */
  patients: string[];
}

/** Groups the graded items by patient and their patients by max grade, each stratum shuffled by `seed`. */
export function stratifyPatients(items: readonly SplitItem[], seed: number): PatientStratum[] {
  const maxGrade = new Map<string, number>();
  for (const it of items) {
    if (it.grade === null) continue;
    maxGrade.set(it.patient, Math.max(maxGrade.get(it.patient) ?? -1, it.grade));
  }
  const byGrade = new Map<number, string[]>();
  for (const [p, g] of maxGrade) {
    const list = byGrade.get(g);
    if (list) list.push(p);
    else byGrade.set(g, [p]);
  }
  return [...byGrade.keys()]
    .sort((a, b) => a - b)
    .map((grade) => {
      // Sort first so the result depends on the set of patients, not on the items' order.
      const sorted = byGrade.get(grade)!.sort();
      return { grade, patients: shuffle(sorted, mulberry32(deriveSeed(seed, `stratum-${grade}`))) };
    });
}

/** Number of a stratum's `n` patients that a share `f` takes (monotone in f, within 0.5 of f × n). */
export function shareCount(n: number, f: number): number {
  return Math.min(n, Math.max(0, Math.round(f * n)));
}

function itemsOf(items: readonly SplitItem[], patients: Set<string>): string[] {
  return items.filter((it) => it.grade !== null && patients.has(it.patient)).map((it) => it.id);
}

export interface ValidationSplit {
  train: string[];
  validation: string[];
  trainPatients: string[];
  validationPatients: string[];
}

/** A fixed patient-level, grade-stratified validation split (default 15%) of graded items. */
export function validationSplit(items: readonly SplitItem[], options: { seed: number; fraction?: number }): ValidationSplit {
  const f = options.fraction ?? 0.15;
  const val = new Set<string>();
  const train = new Set<string>();
  for (const s of stratifyPatients(items, deriveSeed(options.seed, 'validation'))) {
    const k = shareCount(s.patients.length, f);
    s.patients.forEach((p, i) => (i < k ? val : train).add(p));
  }
  return {
    train: itemsOf(items, train),
    validation: itemsOf(items, val),
    trainPatients: [...train].sort(),
    validationPatients: [...val].sort(),
  };
}

export const DEFAULT_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] as const;

export interface LabelFraction {
  fraction: number;
  /** Item ids (graded only), in the items' order. */
  items: string[];
  patients: string[];
}

/** Nested, stratified label fractions of the (training) items. */
export function labelFractions(items: readonly SplitItem[], options: { seed: number; fractions?: readonly number[] }): LabelFraction[] {
  const fractions = [...(options.fractions ?? DEFAULT_FRACTIONS)].sort((a, b) => a - b);
  for (const f of fractions) if (!(f > 0 && f <= 1)) throw new RangeError(`fraction ${f} is not in (0, 1]`);
  const strata = stratifyPatients(items, deriveSeed(options.seed, 'fractions'));
  return fractions.map((fraction) => {
    const chosen = new Set<string>();
    for (const s of strata) for (const p of s.patients.slice(0, shareCount(s.patients.length, fraction))) chosen.add(p);
    return { fraction, items: itemsOf(items, chosen), patients: [...chosen].sort() };
  });
}

/** The usual plan: a validation split with `validationSeed`, then fractions of the rest with `seed`. */
export function planSplits(
  items: readonly SplitItem[],
  options: { seed: number; validationSeed?: number; validationFraction?: number; fractions?: readonly number[] },
) {
  const validation = validationSplit(items, {
    seed: options.validationSeed ?? 0,
    ...(options.validationFraction !== undefined ? { fraction: options.validationFraction } : {}),
  });
  const trainSet = new Set(validation.train);
  const fractions = labelFractions(
    items.filter((it) => trainSet.has(it.id)),
    { seed: options.seed, ...(options.fractions ? { fractions: options.fractions } : {}) },
  );
  return { validation, fractions };
}
