/** demo-data's `--size N|WxH`: square or camera-shaped EyePACS-layout images (bench import uses 2000x1500). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { demoSize } from '../../../src-main/cli/commands/demo-data';
import { writeEyepacsDemo } from '../../../src-main/services/demo';
import { tempDir } from '../../support/files';

describe('demo-data --size', () => {
  it('reads a side or width x height, and refuses sizes outside 16-8192 naming --size', () => {
    expect(demoSize('256')).toBe(256);
    expect(demoSize('2000x1500')).toEqual({ width: 2000, height: 1500 });
    expect(() => demoSize('10x1500')).toThrow(/--size must be an integer from 16 to 8192, got 10/);
    expect(() => demoSize('big')).toThrow(/--size/);
  });

  it('writes width x height JPEGs when given both', async () => {
    const out = await tempDir('demo-size');
    await writeEyepacsDemo(out, { patients: 1, size: { width: 120, height: 90 }, seed: 2 });
    for (const name of await fsp.readdir(path.join(out, 'eyepacs', 'train'))) {
      const meta = await sharp(path.join(out, 'eyepacs', 'train', name)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 120, 90]);
    }
  });
});
