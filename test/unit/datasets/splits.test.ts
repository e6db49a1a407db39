import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  labelFractions,
  mulberry32,
  planSplits,
  shareCount,
  stratifyPatients,
  validationSplit,
  type SplitItem,
} from '../../../src-main/services/datasets/splits';

/** Patients with one or two eyes (EyePACS-like), skewed grades, some ungraded images. */
const itemsArb = fc
  .array(
    fc.tuple(
      fc.constantFrom(1, 2, 2, 2),
      fc.array(fc.constantFrom<number | null>(0, 0, 0, 0, 1, 2, 2, 3, 4, null), { minLength: 2, maxLength: 2 }),
    ),
    { minLength: 1, maxLength: 120 },
  )
  .map((patients) => {
    const items: SplitItem[] = [];
    patients.forEach(([eyes, grades], p) => {
      for (let e = 0; e < eyes; e++) items.push({ id: `${p}_${e === 0 ? 'left' : 'right'}`, patient: String(p), grade: grades[e] ?? null });
    });
    return items;
  });
const seedArb = fc.integer({ min: 0, max: 0xffffffff });

function maxGradeByPatient(items: SplitItem[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) if (it.grade !== null) m.set(it.patient, Math.max(m.get(it.patient) ?? -1, it.grade));
  return m;
}

describe('mulberry32', () => {
  it('is deterministic, in [0,1) and roughly uniform', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});

describe('label fractions', () => {
  it('are nested: the f subset is inside the f′ subset for f < f′, and 1.0 is every graded item', () => {
    fc.assert(
      fc.property(itemsArb, seedArb, (items, seed) => {
        const fr = labelFractions(items, { seed });
        for (let i = 1; i < fr.length; i++) {
          const bigger = new Set(fr[i]!.items);
          for (const id of fr[i - 1]!.items) expect(bigger.has(id)).toBe(true);
        }
        expect(new Set(fr.at(-1)!.items)).toEqual(new Set(items.filter((i) => i.grade !== null).map((i) => i.id)));
      }),
    );
  });

  it('take, per stratum (patient max grade), within half a patient of f × patients', () => {
    fc.assert(
      fc.property(itemsArb, seedArb, (items, seed) => {
        const strata = new Map<number, number>();
        const maxG = maxGradeByPatient(items);
        for (const g of maxG.values()) strata.set(g, (strata.get(g) ?? 0) + 1);
        for (const fr of labelFractions(items, { seed })) {
          const chosen = new Map<number, number>();
          for (const p of fr.patients) chosen.set(maxG.get(p)!, (chosen.get(maxG.get(p)!) ?? 0) + 1);
          for (const [g, n] of strata) expect(Math.abs((chosen.get(g) ?? 0) - fr.fraction * n)).toBeLessThanOrEqual(0.5 + 1e-9);
        }
      }),
    );
  });

  it('keep both eyes of a patient together', () => {
    fc.assert(
      fc.property(itemsArb, seedArb, (items, seed) => {
        for (const fr of labelFractions(items, { seed })) {
          const inSet = new Set(fr.items);
          const patients = new Set(fr.patients);
          for (const it of items) if (it.grade !== null) expect(inSet.has(it.id)).toBe(patients.has(it.patient));
        }
      }),
    );
  });

  it('are reproducible from the seed and independent of the items order', () => {
    fc.assert(
      fc.property(itemsArb, seedArb, (items, seed) => {
        const a = labelFractions(items, { seed });
        const b = labelFractions([...items].reverse(), { seed });
        expect(a.map((f) => f.patients)).toEqual(b.map((f) => f.patients));
      }),
    );
  });

  it('differ between seeds (on a realistic data set, every one of 50 seed pairs)', () => {
    const items: SplitItem[] = [];
    for (let p = 0; p < 600; p++)
      for (const eye of ['left', 'right'])
        items.push({ id: `${p}_${eye}`, patient: String(p), grade: [0, 0, 0, 0, 1, 2, 2, 3, 4][p % 9]! });
    for (let s = 0; s < 50; s++) {
      const a = labelFractions(items, { seed: 2 * s, fractions: [0.1] })[0]!.patients;
      const b = labelFractions(items, { seed: 2 * s + 1, fractions: [0.1] })[0]!.patients;
      expect(a).not.toEqual(b);
    }
  });
});

describe('validation split', () => {
  it('is patient-level, stratified (within half a patient per stratum), disjoint and complete', () => {
    fc.assert(
      fc.property(itemsArb, seedArb, (items, seed) => {
        const v = validationSplit(items, { seed });
        const val = new Set(v.validationPatients);
        const maxG = maxGradeByPatient(items);
        for (const p of v.trainPatients) expect(val.has(p)).toBe(false);
        expect(v.train.length + v.validation.length).toBe(items.filter((i) => i.grade !== null).length);
        for (const it of items) if (it.grade !== null) expect(v.validation.includes(it.id)).toBe(val.has(it.patient));
        const per = new Map<number, [number, number]>();
        for (const [p, g] of maxG) {
          const c = per.get(g) ?? [0, 0];
          c[0]++;
          if (val.has(p)) c[1]++;
          per.set(g, c);
        }
        for (const [, [n, k]] of per) expect(Math.abs(k - 0.15 * n)).toBeLessThanOrEqual(0.5 + 1e-9);
      }),
    );
  });

  it('same seed → same split; planSplits draws fractions only from the training side', () => {
    fc.assert(
      fc.property(itemsArb, seedArb, seedArb, (items, seed, vseed) => {
        expect(validationSplit(items, { seed })).toEqual(validationSplit(items, { seed }));
        const plan = planSplits(items, { seed, validationSeed: vseed });
        const val = new Set(plan.validation.validation);
        for (const f of plan.fractions) for (const id of f.items) expect(val.has(id)).toBe(false);
      }),
    );
  });

  it('shareCount is monotone and exact within 0.5', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (n, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(shareCount(n, lo)).toBeLessThanOrEqual(shareCount(n, hi));
        expect(Math.abs(shareCount(n, lo) - lo * n)).toBeLessThanOrEqual(0.5 + 1e-9);
      }),
    );
  });

  it('stratifies by the patient’s max grade', () => {
    const s = stratifyPatients(
      [
        { id: 'a_l', patient: 'a', grade: 0 },
        { id: 'a_r', patient: 'a', grade: 3 },
        { id: 'b_l', patient: 'b', grade: 0 },
        { id: 'c_l', patient: 'c', grade: null },
      ],
      1,
    );
    expect(s.map((x) => [x.grade, x.patients])).toEqual([
      [0, ['b']],
      [3, ['a']],
    ]);
  });
});
