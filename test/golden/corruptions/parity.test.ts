/**
 * FundusLab's corruptions against the reference formulas (imagecorruptions, written out in
 * make_fixtures.py and run with numpy/scipy/skimage/OpenCV/Pillow) fed FundusLab's own random
 * stream: the bytes must agree value for value, up to float rounding at the truncation to bytes.
 *
 * Tolerances: every value within 1 of the reference and at most 0.5 % of the values off by 1 (room
 * for float rounding order — OpenCV's SIMD bicubic resize in frost, the defocus decomposition on
 * large images; today every value matches exactly); statistics on the two larger fixtures within
 * 0.05 (dB, or grey levels for the mean/std shifts).
 */
import { describe, expect, it } from 'vitest';
import { motionBlurAt } from '../../../src-main/analysis/corruptions/blur';
import { CORRUPTIONS, CORRUPTION_NAMES, type CorruptionName, type Severity } from '../../../src-main/analysis/corruptions/index';
import { corruptionStats } from '../../../src-main/analysis/corruptions/stats';
import { frost } from '../../../src-main/analysis/corruptions/weather';
import { Rng } from '../../../src-main/random/prng';
import { compareBytes, fixtureImage, frostTestTextures, IMAGE_NAMES, parity, parityBlob } from './fixtures';

const MAX_DIFF = 1;
const MAX_DIFFERING = 0.005;

async function run(name: CorruptionName, image: ReturnType<typeof fixtureImage>, severity: number, seed: number) {
  const s = severity as Severity;
  if (name === 'frost') return frost(image, s, new Rng(seed), frostTestTextures);
  return CORRUPTIONS[name].apply(image, s, new Rng(seed));
}

describe('corruptions match the reference formulas fed the same random numbers', () => {
  const tall = fixtureImage(parity.meta.parityImage);
  const n = tall.data.length;

  it('the fixture covers every corruption and severity', () => {
    expect(parity.order.length).toBe(CORRUPTION_NAMES.length * 5);
    expect(new Set(parity.order.map(([name]) => name))).toEqual(new Set(CORRUPTION_NAMES));
    expect(parityBlob.length).toBe(n * (parity.order.length + parity.motionAngles.length * 5));
  });

  it.each(CORRUPTION_NAMES)('%s, severities 1-5, on the 32x40 fixture: every value within 1, at most 0.5 percent off', async (name) => {
    for (let k = 0; k < parity.order.length; k++) {
      const [entry, severity, seed] = parity.order[k]!;
      if (entry !== name) continue;
      const out = await run(name, tall, severity, seed);
      expect([out.width, out.height]).toEqual([tall.width, tall.height]);
      const { maxDiff, differing } = compareBytes(out.data, parityBlob.subarray(k * n, (k + 1) * n));
      expect(maxDiff, `${name} severity ${severity}`).toBeLessThanOrEqual(MAX_DIFF);
      expect(differing / n, `${name} severity ${severity}`).toBeLessThanOrEqual(MAX_DIFFERING);
    }
  });

  it('motion blur at fixed angles (kernel geometry without the draw), every value within 1', () => {
    const base = parity.order.length * n;
    parity.motionAngles.forEach((angle, a) => {
      for (let s = 1; s <= 5; s++) {
        const k = a * 5 + (s - 1);
        const out = motionBlurAt(tall, s as Severity, angle);
        const { maxDiff, differing } = compareBytes(out.data, parityBlob.subarray(base + k * n, base + (k + 1) * n));
        expect(maxDiff, `angle ${angle} severity ${s}`).toBeLessThanOrEqual(MAX_DIFF);
        expect(differing / n).toBeLessThanOrEqual(MAX_DIFFERING);
      }
    });
  });

  it.each(IMAGE_NAMES.filter((n) => n !== parity.meta.parityImage))(
    'statistics on %s within 0.05 of the reference formulas',
    async (imageName) => {
      const image = fixtureImage(imageName);
      for (const name of CORRUPTION_NAMES) {
        const expected = parity.stats[imageName]![name];
        for (let s = 1; s <= 5; s++) {
          const e = expected[s - 1]!;
          const got = corruptionStats(image, await run(name, image, s, e.seed));
          const where = `${imageName} ${name} severity ${s}`;
          expect(Math.abs(got.psnr - e.psnr), where).toBeLessThanOrEqual(0.05);
          for (let c = 0; c < 3; c++) {
            expect(Math.abs(got.meanShift[c]! - e.meanShift[c]!), where).toBeLessThanOrEqual(0.05);
            expect(Math.abs(got.stdShift[c]! - e.stdShift[c]!), where).toBeLessThanOrEqual(0.05);
          }
        }
      }
    },
  );
});
