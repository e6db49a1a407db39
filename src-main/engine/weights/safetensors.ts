/**
 * `.safetensors`: an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the
 * raw little-endian tensor bytes (offsets relative to the end of the header).
 */
import { AppError } from '../../../src-shared/errors';
import { DTYPE_BYTES, numel, plainBytes, shapeString, type DType, type RawTensor } from './tensors';

const CODES: Readonly<Record<string, DType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const DTYPE_CODES = Object.fromEntries(Object.entries(CODES).map(([code, dtype]) => [dtype, code])) as Record<DType, string>;

/** Largest header accepted (the format's own reference implementation uses 100 MB). */
const MAX_HEADER = 100_000_000;

export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(MAX_HEADER) && bytes[8] === 0x7b; // '{'
}

interface Span {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export function readSafetensors(
  input: Uint8Array,
  what = 'the file',
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const bytes = plainBytes(input);
  const bad = (m: string) => new AppError('BAD_REQUEST', `${what} is not a valid .safetensors file (corrupt or truncated): ${m}`);
  if (bytes.length < 8) throw bad('shorter than its 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw bad(`header length ${n} is implausible`);
  if (8 + n > bytes.length) throw bad(`header of ${n} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw bad(`header is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const body = bytes.subarray(8 + n);
  const tensors = new Map<string, RawTensor>();
  const spans: Span[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info && typeof info === 'object') metadata = Object.fromEntries(Object.entries(info).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const i = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (!i || typeof i.dtype !== 'string' || !Array.isArray(i.shape) || !Array.isArray(i.data_offsets) || i.data_offsets.length !== 2) {
      throw bad(`entry "${name}" lacks dtype, shape or data_offsets`);
    }
    const dtype = CODES[i.dtype];
    if (!dtype)
      throw new AppError('UNSUPPORTED', `${what}: tensor "${name}" has dtype ${i.dtype}; supported: ${Object.keys(CODES).join(', ')}`);
    const shape = i.shape.map(Number);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`entry "${name}" has an invalid shape`);
    const [begin, end] = i.data_offsets.map(Number) as [number, number];
    const expected = numel(shape) * DTYPE_BYTES[dtype];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > body.length) {
      throw bad(`tensor "${name}" data [${begin}, ${end}) lies outside the ${body.length} data bytes`);
    }
    if (end - begin !== expected)
      throw bad(`tensor "${name}" has ${end - begin} bytes; ${i.dtype} ${shapeString(shape)} needs ${expected}`);
    spans.push({ name, dtype, shape, begin, end });
  }
  // The format requires the offsets to index the whole data buffer with neither holes nor overlaps.
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Span | null = null;
  for (const t of sorted) {
    if (t.begin < covered && previous)
      throw bad(`tensors "${previous.name}" [${previous.begin}, ${previous.end}) and "${t.name}" [${t.begin}, ${t.end}) overlap`);
    if (t.begin > covered)
      throw bad(
        `data bytes [${covered}, ${t.begin}) before tensor "${t.name}" belong to no tensor (the offsets must cover the data exactly)`,
      );
    covered = t.end;
    previous = t;
  }
  if (covered !== body.length)
    throw bad(`the tensors cover ${covered} of the ${body.length} data bytes; the offsets must cover the data exactly`);
  for (const t of spans) tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: body.slice(t.begin, t.end) });
  return { tensors, metadata };
}

export function writeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: DTYPE_CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  return plainBytes(Buffer.concat([len, head, ...[...tensors.values()].map((t) => t.data)]));
}
