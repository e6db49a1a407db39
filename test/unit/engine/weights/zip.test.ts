import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZipReader, crc32, isZip, writeZip } from '../../../../src-main/engine/weights/zip';
import { expectAppError } from '../../../support/errors';

const GOLDEN = path.resolve(import.meta.dirname, '../../../golden/resnet');
const enc = (s: string) => new TextEncoder().encode(s);

describe('zip reader', () => {
  const files = [
    { name: 'a/data.pkl', data: enc('hello') },
    { name: 'a/data/0', data: Uint8Array.from({ length: 5000 }, (_, i) => i % 7) },
    { name: 'a/empty', data: new Uint8Array(0) },
  ];

  it('crc32 matches the standard check value', () => {
    expect(crc32(enc('123456789'))).toBe(0xcbf43926);
  });

  for (const deflate of [false, true]) {
    it(`round-trips ${deflate ? 'deflated' : 'stored'} entries`, () => {
      const zip = writeZip(files, { deflate });
      expect(isZip(zip)).toBe(true);
      const r = new ZipReader(zip);
      expect(r.entries.map((e) => [e.name, e.method])).toEqual(files.map((f) => [f.name, deflate ? 8 : 0]));
      for (const f of files) expect(r.read(f.name)).toEqual(f.data);
    });
  }

  it('reads a torch.save archive written by PyTorch', () => {
    const r = new ZipReader(new Uint8Array(readFileSync(path.join(GOLDEN, 'resnet18_w4.pt'))));
    expect(r.has('resnet18_w4/data.pkl')).toBe(true);
    expect(new TextDecoder().decode(r.read('resnet18_w4/version')).trim()).toBe('3');
    expect(r.read('resnet18_w4/data/0').length).toBe(4 * 3 * 7 * 7 * 4);
  });

  it('detects a corrupted entry by its CRC', () => {
    const zip = writeZip(files);
    zip[30 + 'a/data.pkl'.length + 1]! ^= 0xff; // flip a byte of "hello"
    expectAppError(() => new ZipReader(zip).read('a/data.pkl'), 'BAD_REQUEST', /CRC-32/);
  });

  it('rejects truncated archives with BAD_REQUEST', () => {
    const zip = writeZip(files, { deflate: true });
    for (const n of [0, 10, 100, zip.length - 30, zip.length - 1]) {
      expectAppError(
        () => new ZipReader(zip.subarray(0, n), 'cut.zip').read('a/data/0'),
        'BAD_REQUEST',
        /cut\.zip.*(corrupt or truncated|no entry)/,
      );
    }
  });

  it('rejects a missing entry, an unsupported method and encryption', () => {
    const zip = writeZip(files);
    expectAppError(() => new ZipReader(zip).read('nope'), 'BAD_REQUEST', /no entry "nope"/);
    const bzip = writeZip([files[0]!]);
    const cd = bzip.length - 22 - (46 + 'a/data.pkl'.length);
    bzip[cd + 10] = 12; // central directory: method 12 (bzip2)
    expectAppError(() => new ZipReader(bzip).read('a/data.pkl'), 'UNSUPPORTED', /method 12/);
    const encrypted = writeZip([files[0]!]);
    encrypted[cd + 8] = 1;
    expectAppError(() => new ZipReader(encrypted), 'UNSUPPORTED', /encrypted/);
  });
});
