/**
 * Weight file formats against the Python-written fixtures: dtypes, strided views and storage
 * offsets (torch zip and legacy), safetensors (F32/F16/BF16/F64/I64/I32/U8/BOOL), round trips,
 * and clear errors on corrupt or truncated files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWeightBytes } from '../../../../src-main/engine/weights/read';
import { readSafetensors, writeSafetensors } from '../../../../src-main/engine/weights/safetensors';
import { fromInt64, toBigInts, toFloat32, transposeRaw, type RawTensor } from '../../../../src-main/engine/weights/tensors';
import { expectAppError } from '../../../support/errors';

const GOLDEN = path.resolve(import.meta.dirname, '../../../golden/resnet');
const fixtures = JSON.parse(readFileSync(path.join(GOLDEN, 'fixtures.json'), 'utf8')) as {
  dtypes: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
};
const bytesOf = (f: string) => new Uint8Array(readFileSync(path.join(GOLDEN, f)));
const TORCH_DTYPES: Record<string, string> = {
  float32: 'float32',
  float16: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  uint8: 'uint8',
  bool: 'bool',
};

function expectValues(name: string, t: RawTensor): void {
  const e = fixtures.dtypes[name]!;
  expect(t.dtype, name).toBe(TORCH_DTYPES[e.dtype]);
  expect(t.shape, name).toEqual(e.shape);
  if (t.dtype === 'int64') expect(toBigInts(t).map(String), name).toEqual(e.values);
  else {
    const got = [...toFloat32(t)];
    // float64 is narrowed to float32 by toFloat32: compare at float32 precision.
    e.values.forEach((v, i) => expect(got[i], `${name}[${i}]`).toBeCloseTo(Math.fround(Number(v)), 6));
  }
}

describe('torch.save files', () => {
  for (const file of ['dtypes.pt', 'dtypes_legacy.pt']) {
    it(`${file}: every dtype, views, storage offsets and strides`, () => {
      const w = parseWeightBytes(bytesOf(file), file);
      expect(w.format).toBe(file.includes('legacy') ? 'torch-legacy' : 'torch-zip');
      expect([...w.tensors.keys()]).toEqual(Object.keys(fixtures.dtypes));
      for (const [name, t] of w.tensors) expectValues(name, t);
    });
  }

  it('rejects truncated zip and legacy files with BAD_REQUEST', () => {
    for (const file of ['resnet18_w4.pt', 'resnet18_w4_legacy.pt']) {
      const bytes = bytesOf(file);
      for (const frac of [0.001, 0.1, 0.5, 0.9, 0.999]) {
        expectAppError(
          () => parseWeightBytes(bytes.subarray(0, Math.floor(bytes.length * frac)), file),
          'BAD_REQUEST',
          /truncated|corrupt|not a recognised/,
        );
      }
    }
  });

  it('rejects a corrupted storage in a zip (CRC) and garbage', () => {
    const bytes = bytesOf('resnet18_w4.pt').slice();
    bytes[bytes.length >> 1]! ^= 0x5a;
    expectAppError(() => parseWeightBytes(bytes, 'flipped.pt'), 'BAD_REQUEST', /CRC-32|corrupt/);
    expectAppError(
      () => parseWeightBytes(new TextEncoder().encode('definitely not a checkpoint file'), 'x.bin'),
      'BAD_REQUEST',
      /not a recognised weights file/,
    );
  });

  it('a checkpoint with a disallowed class names it', () => {
    expectAppError(() => parseWeightBytes(bytesOf('malicious_posix_system.pkl'), 'evil.pt'), 'BAD_REQUEST', /not a recognised/);
    // A legacy header followed by the malicious pickle: the global is refused, not executed.
    const legacy = bytesOf('resnet18_w4_legacy.pt');
    const header = legacy.subarray(0, legacy.indexOf(0x2e, legacy.indexOf(0x2e, legacy.indexOf(0x2e) + 1) + 1) + 1);
    const evil = Buffer.concat([header, bytesOf('malicious_posix_system.pkl')]);
    expectAppError(() => parseWeightBytes(evil, 'evil.pt'), 'UNSUPPORTED', /posix\.system/);
  });
});

describe('safetensors', () => {
  it('reads a Python-written file with F32, F16, BF16, F64, I64, I32, U8, BOOL', () => {
    const { tensors } = readSafetensors(bytesOf('dtypes.safetensors'));
    expect(tensors.size).toBe(12);
    for (const [name, t] of tensors) expectValues(name, t);
  });

  it('round-trips through writeSafetensors, including metadata and 8-byte header alignment', () => {
    const { tensors } = readSafetensors(bytesOf('dtypes.safetensors'));
    const written = writeSafetensors(tensors, { format: 'pt' });
    expect(Number(Buffer.from(written).readBigUInt64LE(0)) % 8).toBe(0);
    const again = readSafetensors(written);
    expect(again.metadata).toEqual({ format: 'pt' });
    for (const [name, t] of tensors) expect(again.tensors.get(name)).toEqual(t);
  });

  it('rejects truncated files, bad headers, out-of-range offsets and unknown dtypes', () => {
    const bytes = bytesOf('resnet50_w4.safetensors');
    expectAppError(() => readSafetensors(bytes.subarray(0, 4)), 'BAD_REQUEST', /shorter than/);
    expectAppError(() => readSafetensors(bytes.subarray(0, 200)), 'BAD_REQUEST', /runs past the end/);
    expectAppError(() => readSafetensors(bytes.subarray(0, bytes.length - 10)), 'BAD_REQUEST', /lies outside/);
    const mk = (header: unknown, data = new Uint8Array(8)) => {
      const json = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([len, json, data]);
    };
    expectAppError(() => readSafetensors(mk({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } })), 'UNSUPPORTED', /F8_E4M3/);
    expectAppError(() => readSafetensors(mk({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })), 'BAD_REQUEST', /needs 12/);
    expectAppError(() => readSafetensors(mk({ a: { dtype: 'F32' } })), 'BAD_REQUEST', /lacks/);
  });
});

describe('raw tensor helpers', () => {
  it('transposeRaw permutes float32 and int64 (NaN-like bit patterns preserved)', () => {
    const t = fromInt64([-1n, 2n, 3n, -(2n ** 62n), 5n, 6n], [2, 3]);
    expect(toBigInts(transposeRaw(t, [1, 0]))).toEqual([-1n, -(2n ** 62n), 2n, 5n, 3n, 6n]);
  });
});
