/**
 * Raw tensors as weight files hold them: a dtype, a shape and contiguous little-endian bytes.
 * Every reader (torch.save zip/legacy, safetensors, tfjs) produces these, every writer consumes
 * them; conversion to float32 for the model happens once, in import.ts.
 */
import { AppError } from '../../../src-shared/errors';

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export interface RawTensor {
  dtype: DType;
  shape: number[];
  /** Row-major, little-endian, exactly numel(shape) × DTYPE_BYTES[dtype] bytes. */
  data: Uint8Array;
}

/**
 * Tensor layout convention of a file: `torch` (conv OIHW, linear [out, in]) or `tfjs`
 * (conv HWIO, dense [in, out]). Names are torchvision state_dict keys in both.
 */
export type TensorLayout = 'torch' | 'tfjs';

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
}

/** IEEE half → float, for one 16-bit pattern. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | null = null;

/** The tensor's values as float32 (integers and booleans converted; int64 beyond 2^24 loses precision). */
export function toFloat32(t: RawTensor): Float32Array {
  const n = numel(t.shape);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'float32':
      if (t.data.byteOffset % 4 === 0) return new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + n * 4));
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'float16': {
      if (!halfTable) {
        halfTable = new Float32Array(65536);
        for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
      }
      for (let i = 0; i < n; i++) out[i] = halfTable[view.getUint16(i * 2, true)]!;
      return out;
    }
    case 'bfloat16': {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'float64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'int64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    case 'int16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    case 'int8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      return out;
  }
}

/** Integer tensors as bigint (exact for int64); floats are truncated. */
export function toBigInts(t: RawTensor): bigint[] {
  if (t.dtype === 'int64') {
    const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    return Array.from({ length: numel(t.shape) }, (_, i) => view.getBigInt64(i * 8, true));
  }
  return Array.from(toFloat32(t), (v) => BigInt(Math.trunc(v)));
}

export function fromFloat32(values: Float32Array, shape: number[]): RawTensor {
  if (values.length !== numel(shape))
    throw new AppError('INTERNAL', `fromFloat32: ${values.length} values for shape ${shapeString(shape)}`);
  return { dtype: 'float32', shape, data: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

export function fromInt64(values: readonly (bigint | number)[], shape: number[]): RawTensor {
  const data = new Uint8Array(values.length * 8);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { dtype: 'int64', shape, data };
}

/** Transposes a row-major tensor of any dtype by `perm` (used for OIHW ↔ HWIO and [out,in] ↔ [in,out]). */
export function transposeRaw(t: RawTensor, perm: readonly number[]): RawTensor {
  const rank = t.shape.length;
  if (perm.length !== rank) throw new AppError('INTERNAL', `transposeRaw: perm ${shapeString([...perm])} for rank ${rank}`);
  const size = DTYPE_BYTES[t.dtype];
  const outShape = perm.map((p) => t.shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= t.shape[d]!;
  }
  const n = numel(t.shape);
  const bytes = new Uint8Array(n * size);
  // Element-typed views (aligned copies) so each element moves as one number, not `size` bytes.
  // 8-byte elements move as two 32-bit words (a Float64Array could canonicalise NaN bit patterns).
  const words = size === 8 ? 2 : 1;
  const src = elementView(t.data.slice(), size);
  const dst = elementView(bytes, size);
  const idx = new Array<number>(rank).fill(0);
  const permStrides = perm.map((p) => inStrides[p]!);
  for (let o = 0; o < n; o++) {
    let from = 0;
    for (let d = 0; d < rank; d++) from += idx[d]! * permStrides[d]!;
    if (words === 1) dst[o] = src[from]!;
    else {
      dst[2 * o] = src[2 * from]!;
      dst[2 * o + 1] = src[2 * from + 1]!;
    }
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  const out = bytes;
  return { dtype: t.dtype, shape: outShape, data: out };
}

function elementView(bytes: Uint8Array, size: number): { [i: number]: number } {
  const buf = bytes.buffer;
  switch (size) {
    case 1:
      return bytes;
    case 2:
      return new Uint16Array(buf, bytes.byteOffset, bytes.byteLength / 2);
    default:
      return new Uint32Array(buf, bytes.byteOffset, bytes.byteLength / 4);
  }
}

/** A plain Uint8Array view of `bytes` (Node Buffers' `slice` does not copy; Uint8Array's does). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}
