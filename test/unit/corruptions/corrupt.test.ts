/**
 * The corruption registry and `corrupt`: names and order as the reference, argument validation
 * (AppError BAD_REQUEST naming the field), determinism from the seed, sizes 32 px to 2048 px square
 * or not, the input left untouched. Numerical agreement with the reference is in
 * test/golden/corruptions.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import {
  CORRUPTION_NAMES,
  CORRUPTIONS,
  corrupt,
  isCorruptionName,
  SEVERITIES,
  type CorruptionName,
  type RgbImage,
} from '../../../src-main/analysis/corruptions/index';
import { Rng } from '../../../src-main/random/prng';

/** A smooth colour image with some detail (gradients plus a seeded texture). */
function testImage(width: number, height: number, seed = 1): RgbImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const n = rng.next() * 40;
      data[o] = Math.min(255, Math.round(150 + 80 * Math.sin(x / 7) + n));
      data[o + 1] = Math.min(255, Math.round(80 + 60 * Math.cos(y / 5) + n / 2));
      data[o + 2] = Math.min(255, Math.round(30 + (x * 90) / width + n / 4));
    }
  }
  return { width, height, data };
}

async function rejectedField(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('BAD_REQUEST');
      expect((e as AppError).message).toContain((e as AppError).issues?.[0]?.path ?? '?');
      return (e as AppError).issues?.[0]?.path;
    },
  );
}

describe('registry', () => {
  it('has the 19 corruptions in the reference order (15 benchmark, then 4 held-out)', () => {
    expect(CORRUPTION_NAMES).toEqual([
      'gaussian_noise',
      'shot_noise',
      'impulse_noise',
      'defocus_blur',
      'glass_blur',
      'motion_blur',
      'zoom_blur',
      'snow',
      'frost',
      'fog',
      'brightness',
      'contrast',
      'elastic_transform',
      'pixelate',
      'jpeg_compression',
      'speckle_noise',
      'gaussian_blur',
      'spatter',
      'saturate',
    ]);
    expect(Object.keys(CORRUPTIONS).sort()).toEqual([...CORRUPTION_NAMES].sort());
    for (const name of CORRUPTION_NAMES) expect(CORRUPTIONS[name].name).toBe(name);
    expect(CORRUPTION_NAMES.slice(15).every((n) => CORRUPTIONS[n].family === 'held-out')).toBe(true);
    expect(SEVERITIES).toEqual([1, 2, 3, 4, 5]);
  });

  it('marks exactly the seed-dependent corruptions stochastic', () => {
    const stochastic = CORRUPTION_NAMES.filter((n) => CORRUPTIONS[n].stochastic);
    expect(stochastic.sort()).toEqual(
      [
        'gaussian_noise',
        'shot_noise',
        'impulse_noise',
        'speckle_noise',
        'glass_blur',
        'motion_blur',
        'snow',
        'frost',
        'fog',
        'spatter',
        'elastic_transform',
      ].sort(),
    );
  });

  it('isCorruptionName', () => {
    expect(isCorruptionName('fog')).toBe(true);
    expect(isCorruptionName('Fog')).toBe(false);
    expect(isCorruptionName(3)).toBe(false);
  });
});

describe('corrupt: argument validation names the bad field', () => {
  const img = testImage(40, 32);
  it.each([
    ['name', () => corrupt(img, 'blur' as CorruptionName, 1, 0)],
    ['severity', () => corrupt(img, 'fog', 0 as 1, 0)],
    ['severity', () => corrupt(img, 'fog', 2.5 as 1, 0)],
    ['seed', () => corrupt(img, 'fog', 1, -1)],
    ['seed', () => corrupt(img, 'fog', 1, 1.5)],
    ['seed', () => corrupt(img, 'fog', 1, 2 ** 32)],
    ['image.width', () => corrupt({ ...img, width: 31 }, 'fog', 1, 0)],
    ['image.height', () => corrupt({ ...img, height: 2049 }, 'fog', 1, 0)],
    ['image.data', () => corrupt({ ...img, data: img.data.subarray(1) }, 'fog', 1, 0)],
    ['image.data', () => corrupt({ ...img, data: [1, 2, 3] as unknown as Uint8Array }, 'fog', 1, 0)],
    ['image', () => corrupt(null as unknown as RgbImage, 'fog', 1, 0)],
  ])('%s', async (field, call) => {
    expect(await rejectedField(call())).toBe(field);
  });
});

describe('determinism and shapes', () => {
  it.each(CORRUPTION_NAMES)('%s: same seed same bytes; another seed differs iff stochastic; input untouched', async (name) => {
    const img = testImage(48, 36, 3);
    const before = Uint8Array.from(img.data);
    const a = await corrupt(img, name, 3, 12345);
    const b = await corrupt(img, name, 3, 12345);
    const c = await corrupt(img, name, 3, 54321);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(!CORRUPTIONS[name].stochastic);
    expect(Buffer.from(img.data).equals(Buffer.from(before))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(img.data))).toBe(false);
  });

  it.each([
    [32, 32],
    [50, 33],
    [33, 50],
  ])('every corruption and severity keeps a %ix%i image %ix%i', async (width, height) => {
    const img = testImage(width, height, 7);
    for (const name of CORRUPTION_NAMES) {
      for (const s of SEVERITIES) {
        const out = await corrupt(img, name, s, 99);
        expect([out.width, out.height, out.data.length], `${name} ${s}`).toEqual([width, height, width * height * 3]);
      }
    }
  });

  it('a 2048x1536 image keeps its size (brightness)', async () => {
    const img = testImage(2048, 1536, 9);
    const out = await corrupt(img, 'brightness', 2, 0);
    expect([out.width, out.height, out.data.length]).toEqual([2048, 1536, 2048 * 1536 * 3]);
    // Brightness never darkens a pixel's maximum channel.
    for (let i = 0; i < img.data.length; i += 3 * 997) {
      expect(Math.max(out.data[i]!, out.data[i + 1]!, out.data[i + 2]!)).toBeGreaterThanOrEqual(
        Math.max(img.data[i]!, img.data[i + 1]!, img.data[i + 2]!),
      );
    }
  });
});
