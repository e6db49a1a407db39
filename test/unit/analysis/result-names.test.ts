/**
 * Analysis results named by their settings (src-shared/result-settings.ts, layout.ts settingsResultName,
 * the three services' name functions) and the rule readers use when several results exist
 * (pickResults). Oracles: the hash is SHA-256 of a canonical JSON text written out by hand here; the
 * rule's answers are worked out by hand for each case. Exact comparisons (strings, names).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { explanationName } from '../../../src-main/analysis/lrp/service';
import { robustnessName } from '../../../src-main/analysis/robustness/service';
import { spectraName } from '../../../src-main/analysis/spectra/service';
import { settingsHash } from '../../../src-main/services/study-folder/layout';
import { CORRUPTION_NAMES } from '../../../src-shared/robustness';
import { canonicalJson, pickResults, type ResultSettings } from '../../../src-shared/result-settings';

describe('settings hash', () => {
  it('is SHA-256 of the canonical JSON (keys sorted at every depth, undefined left out), first 8 hex digits', () => {
    const values = { seed: 4, images: 12, lrp: { sum: 'proportional', firstLayer: 'zbox' }, split: undefined, list: [3, 1] };
    const text = '{"images":12,"list":[3,1],"lrp":{"firstLayer":"zbox","sum":"proportional"},"seed":4}';
    expect(canonicalJson(values)).toBe(text);
    expect(settingsHash(values)).toBe(createHash('sha256').update(text).digest('hex').slice(0, 8));
    expect(settingsHash({ images: 12, seed: 4 })).toBe(settingsHash({ seed: 4, images: 12 }));
    expect(settingsHash({ images: 12, seed: 4 })).not.toBe(settingsHash({ images: 12, seed: 5 }));
  });
});

describe('result names', () => {
  it('explanations: run, dataset, hash; batch size does not count, every other setting does', () => {
    const base = explanationName({ runId: 'r1', datasetId: 'idrid' });
    expect(base.name).toBe(`r1__idrid__${base.settings.hash}`);
    expect(base.settings.defaults).toBe(true);
    expect(explanationName({ runId: 'r1', datasetId: 'idrid', batchSize: 9 }).name).toBe(base.name);
    // Giving the defaults explicitly is the same request.
    expect(explanationName({ runId: 'r1', datasetId: 'idrid', lesions: ['MA', 'HE', 'EX'], noiseSeed: 0 }).name).toBe(base.name);
    const names = [
      { images: 5 },
      { images: ['a'] },
      { noiseSeed: 1 },
      { start: 'referable' as const },
      { lrp: { firstLayer: 'flat' as const } },
      { lesions: ['MA' as const] },
      { startValue: 'logit' as const },
    ].map((o) => explanationName({ runId: 'r1', datasetId: 'idrid', ...o }));
    for (const n of names) expect(n.settings.defaults).toBe(false);
    expect(new Set([base.name, ...names.map((n) => n.name)]).size).toBe(names.length + 1);
    expect(explanationName({ runId: 'r2', datasetId: 'idrid' }).name).toBe(`r2__idrid__${base.settings.hash}`);
  });

  it('spectra: batch size does not count; N, seed, split, k, percentiles, bins and an overridden Gram precision do', () => {
    const base = spectraName({ runId: 'r1', datasetId: 'd' });
    expect(base.name).toMatch(/^r1__d__[0-9a-f]{8}$/);
    expect(base.settings.defaults).toBe(true);
    expect(spectraName({ runId: 'r1', datasetId: 'd', batchSize: 3 }).name).toBe(base.name);
    const others = [
      spectraName({ runId: 'r1', datasetId: 'd', images: 12 }),
      spectraName({ runId: 'r1', datasetId: 'd', seed: 1 }),
      spectraName({ runId: 'r1', datasetId: 'd', split: 'test' }),
      spectraName({ runId: 'r1', datasetId: 'd', k: 50 }),
      spectraName({ runId: 'r1', datasetId: 'd', percentiles: { high: 99 } }),
      spectraName({ runId: 'r1', datasetId: 'd', bins: 10 }),
      spectraName({ runId: 'r1', datasetId: 'd' }, { gramPrecision: 'float64' }),
    ];
    expect(new Set([base.name, ...others.map((o) => o.name)]).size).toBe(others.length + 1);
    expect(others.every((o) => !o.settings.defaults)).toBe(true);
  });

  it('robustness: dataset, hash of the sorted runs, settings hash; equivalent requests share a name', () => {
    const base = robustnessName({ runIds: ['b', 'a'], datasetId: 'd' });
    const runs = createHash('sha256').update('a\nb').digest('hex').slice(0, 10);
    expect(base.name).toBe(`d__${runs}__${base.settings.hash}`);
    expect(base.settings.defaults).toBe(true);
    expect(robustnessName({ runIds: ['a', 'b'], datasetId: 'd', batchSize: 7 }).name).toBe(base.name);
    expect(robustnessName({ runIds: ['a', 'b'], datasetId: 'd', corruptions: [...CORRUPTION_NAMES] }).name).toBe(base.name);
    expect(robustnessName({ runIds: ['a', 'b'], datasetId: 'd', severities: [5, 4, 3, 2, 1] }).name).toBe(base.name);
    const fewer = robustnessName({ runIds: ['a', 'b'], datasetId: 'd', severities: [1, 3] });
    expect(fewer.name).not.toBe(base.name);
    expect(fewer.settings).toMatchObject({ defaults: false, values: { severities: [1, 3] } });
    expect(robustnessName({ runIds: ['a', 'b'], datasetId: 'd', seed: 2 }).name).not.toBe(base.name);
    expect(robustnessName({ runIds: ['a', 'b'], datasetId: 'd', images: 50 }).name).not.toBe(base.name);
  });
});

describe('pickResults: per group the newest result with default settings, else the newest', () => {
  const s = (defaults: boolean): ResultSettings => ({ hash: defaults ? '00000000' : '11111111', values: {}, defaults });
  const r = (name: string, run: string, time: string, settings?: ResultSettings) => ({ name, run, time, settings });
  const pick = (xs: ReturnType<typeof r>[]) =>
    pickResults(
      xs,
      (x) => x.run,
      (x) => x.time,
    ).map((x) => x.name);

  it('prefers default settings over newer other settings and over old-named results', () => {
    expect(
      pick([r('a-def-old', 'a', '2026-01-01', s(true)), r('a-other-new', 'a', '2026-03-01', s(false)), r('a-legacy', 'a', '2026-04-01')]),
    ).toEqual(['a-def-old']);
    expect(pick([r('a-def-1', 'a', '2026-01-01', s(true)), r('a-def-2', 'a', '2026-02-01', s(true))])).toEqual(['a-def-2']);
  });

  it('takes the newest when no result has the default settings (old-named ones included), one per group in first-seen order', () => {
    expect(
      pick([
        r('b-legacy', 'b', '2026-05-01'),
        r('a-other', 'a', '2026-01-01', s(false)),
        r('b-other', 'b', '2026-04-01', s(false)),
        r('a-legacy', 'a', '2025-01-01'),
      ]),
    ).toEqual(['b-legacy', 'a-other']);
    // Equal times: the larger name, so the answer does not depend on the listing order.
    expect(pick([r('x1', 'a', 't'), r('x2', 'a', 't')])).toEqual(['x2']);
    expect(pick([r('x2', 'a', 't'), r('x1', 'a', 't')])).toEqual(['x2']);
  });
});
