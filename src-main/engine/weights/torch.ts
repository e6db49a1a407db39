/**
 * Reads files written by `torch.save`:
 * - zip format (PyTorch ≥ 1.6): `<name>/data.pkl` (the pickle), `<name>/data/<key>` (one raw
 *   little-endian storage per key), `<name>/byteorder`, `<name>/version`;
 * - legacy format (`_use_new_zipfile_serialization=False`): pickled magic number, protocol version
 *   and sys_info, then the object's pickle, then the pickled list of storage keys, then each storage
 *   as an int64 element count followed by its raw bytes.
 * Tensors come back as references; `materialize` copies one tensor's elements out of its storage,
 * so an optimizer's momentum buffers in a checkpoint are never copied unless asked for.
 */
import { AppError } from '../../../src-shared/errors';
import { PickleError, PyDict, PyGlobal, PyTuple, TorchTensorRef, unpickle, type PyValue, type TorchStorageRef } from './pickle';
import { DTYPE_BYTES, numel, plainBytes, shapeString, type RawTensor } from './tensors';
import { ZipReader, isZip } from './zip';

export interface TorchFile {
  format: 'torch-zip' | 'torch-legacy';
  root: PyValue;
  /** Copies a tensor's elements (row-major, contiguous) out of its storage. */
  materialize(t: TorchTensorRef, name: string): RawTensor;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

export function isLegacyTorch(bytes: Uint8Array): boolean {
  // PROTO 2, LONG1 10 bytes: the magic number.
  return bytes.length > 14 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a && bytes[3] === 0x0a;
}

function storageFromPid(pid: PyValue, at: number, what: string, legacy: boolean): TorchStorageRef {
  const items = pid instanceof PyTuple ? pid.items : null;
  if (!items || items[0] !== 'storage' || items.length < 5) {
    throw new PickleError(
      'UNSUPPORTED',
      `${what}: unsupported persistent id (expected ('storage', type, key, location, numel)) (byte ${at})`,
      at,
    );
  }
  const [, type, key, location, size] = items;
  if (!(type instanceof PyGlobal) || type.impl.kind !== 'storage-type') {
    throw new PickleError('UNSUPPORTED', `${what}: persistent id names an unknown storage type (byte ${at})`, at);
  }
  if (typeof key !== 'string' || (typeof size !== 'number' && typeof size !== 'bigint')) {
    throw new PickleError('BAD_REQUEST', `${what}: malformed storage persistent id (byte ${at})`, at);
  }
  const ref: TorchStorageRef = {
    kind: 'storage',
    key,
    dtype: type.impl.dtype,
    location: typeof location === 'string' ? location : '?',
    numel: Number(size),
  };
  const view = legacy ? items[5] : undefined;
  if (view !== undefined && view !== null) {
    // (view_key, offset, view_size): a view into storage `key`.
    const v = view instanceof PyTuple ? view.items : null;
    if (!v || typeof v[1] !== 'number' || typeof v[2] !== 'number')
      throw new PickleError('BAD_REQUEST', `${what}: malformed storage view metadata (byte ${at})`, at);
    return { ...ref, elementOffset: v[1], numel: v[2] };
  }
  return ref;
}

function materializeFrom(storageBytes: Uint8Array, storage: TorchStorageRef, t: TorchTensorRef, name: string, what: string): RawTensor {
  const size = DTYPE_BYTES[storage.dtype];
  const n = numel(t.shape);
  const base = (storage.elementOffset ?? 0) + t.storageOffset;
  const available = storageBytes.length / size;
  if (n === 0) return { dtype: storage.dtype, shape: [...t.shape], data: new Uint8Array(0) };
  let maxIndex = base;
  t.shape.forEach((d, i) => (maxIndex += (d - 1) * (t.stride[i] ?? 0)));
  if (t.stride.length !== t.shape.length || t.stride.some((s) => s < 0) || maxIndex >= available || base < 0) {
    throw new AppError(
      'BAD_REQUEST',
      `${what}: tensor "${name}" (shape ${shapeString(t.shape)}, stride ${shapeString(t.stride)}, offset ${base}) lies outside its storage of ${available} elements (file truncated or corrupt)`,
    );
  }
  let contiguous = true;
  let expect = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d]!;
  }
  if (contiguous) return { dtype: storage.dtype, shape: [...t.shape], data: storageBytes.slice(base * size, (base + n) * size) };
  // Strided view (e.g. a transposed tensor): gather element by element (load time only).
  const out = new Uint8Array(n * size);
  const rank = t.shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = base;
    for (let d = 0; d < rank; d++) src += idx[d]! * t.stride[d]!;
    out.set(storageBytes.subarray(src * size, src * size + size), o * size);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: storage.dtype, shape: [...t.shape], data: out };
}

/** Parses a torch.save file (zip or legacy). `what` names it in error messages. */
export function readTorchFile(input: Uint8Array, what = 'the file'): TorchFile {
  const bytes = plainBytes(input);
  if (isZip(bytes)) return readTorchZip(bytes, what);
  if (isLegacyTorch(bytes)) return readTorchLegacy(bytes, what);
  throw new AppError('BAD_REQUEST', `${what} is not a torch.save file (neither a ZIP archive nor the legacy pickle format)`);
}

/** Default cap on the bytes a weights file may hold or decompress to (FUNDUSLAB_WEIGHTS_MAX_BYTES overrides it). */
export const DEFAULT_WEIGHTS_MAX_BYTES = 4 * 1024 ** 3;
/** Bytes a torch.save archive may hold beyond its storages and pickle: version, byte order and other records. */
const ZIP_METADATA_MARGIN = 1024 ** 2;

/** The cap on a weights file's (decompressed) size: FUNDUSLAB_WEIGHTS_MAX_BYTES or 4 GiB. */
export function weightsMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUNDUSLAB_WEIGHTS_MAX_BYTES?.trim();
  if (raw === undefined || raw === '') return DEFAULT_WEIGHTS_MAX_BYTES;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n <= 0)
    throw new AppError('BAD_REQUEST', `FUNDUSLAB_WEIGHTS_MAX_BYTES must be a positive whole number of bytes (got "${raw}")`);
  return n;
}

function readTorchZip(bytes: Uint8Array, what: string): TorchFile {
  const zip = new ZipReader(bytes, what);
  const cap = weightsMaxBytes();
  const pkl = zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name) || e.name === 'data.pkl');
  if (!pkl) throw new AppError('BAD_REQUEST', `${what} is a ZIP archive but not a torch.save file (no <name>/data.pkl entry)`);
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byteorderEntry = `${prefix}byteorder`;
  const byteorder = zip.has(byteorderEntry) ? new TextDecoder().decode(zip.read(byteorderEntry, 64)).trim() : 'little';
  if (byteorder !== 'little')
    throw new AppError('UNSUPPORTED', `${what} was saved on a ${byteorder}-endian machine; only little-endian files are supported`);
  /** Bytes of each storage as the pickle declares it (elements × element size). */
  const declared = new Map<string, number>();
  const { value } = unpickle(zip.read(pkl.name, cap), {
    what: `${what} (${pkl.name})`,
    persistentLoad: (pid, at) => {
      const ref = storageFromPid(pid, at, what, false);
      declared.set(ref.key, Math.max(declared.get(ref.key) ?? 0, ref.numel * DTYPE_BYTES[ref.dtype]));
      return ref;
    },
  });
  checkZipSizes(zip, prefix, declared, pkl.size, cap, what);
  const cache = new Map<string, Uint8Array>();
  return {
    format: 'torch-zip',
    root: value,
    materialize(t, name) {
      const key = t.storage.key;
      let data = cache.get(key);
      if (!data) {
        const entry = `${prefix}data/${key}`;
        if (!zip.has(entry))
          throw new AppError('BAD_REQUEST', `${what}: storage "${key}" of tensor "${name}" is missing from the archive (${entry})`);
        data = zip.read(entry, declared.get(key) ?? 0);
        cache.set(key, data);
      }
      return materializeFrom(data, t.storage, t, name, what);
    },
  };
}

/**
 * Compares the archive's directory with what its pickle declares, before any storage is inflated:
 * each `data/<key>` entry may hold at most its storage's bytes (elements × element size), and the
 * whole archive at most the storages plus the pickle and a small margin, and never more than `cap`.
 */
function checkZipSizes(zip: ZipReader, prefix: string, declared: Map<string, number>, pickleBytes: number, cap: number, what: string) {
  let total = 0;
  let largest = zip.entries[0];
  for (const e of zip.entries) {
    total += e.size;
    if (largest && e.size > largest.size) largest = e;
    const key = e.name.startsWith(`${prefix}data/`) ? e.name.slice(prefix.length + 'data/'.length) : null;
    const expected = key !== null ? declared.get(key) : undefined;
    if (expected !== undefined && e.size > expected) {
      throw new AppError(
        'BAD_REQUEST',
        `${what}: ZIP entry "${e.name}" declares ${e.size} uncompressed bytes, but the state dict declares storage "${key}" ` +
          `with ${expected} bytes (a decompression bomb or a corrupt file)`,
      );
    }
  }
  const storages = [...declared.values()].reduce((a, b) => a + b, 0);
  const allowed = storages + pickleBytes + ZIP_METADATA_MARGIN;
  if (total > allowed || total > cap) {
    const limit =
      total > cap
        ? `the cap of ${cap} bytes (FUNDUSLAB_WEIGHTS_MAX_BYTES)`
        : `the ${storages} bytes of tensor storages the state dict declares (plus ${allowed - storages} for the pickle and metadata)`;
    throw new AppError(
      'BAD_REQUEST',
      `${what}: the ZIP archive would decompress to ${total} bytes (largest entry "${largest?.name ?? '?'}", ${largest?.size ?? 0} bytes), ` +
        `more than ${limit}; refusing it as a decompression bomb or a corrupt file`,
    );
  }
}

function readTorchLegacy(bytes: Uint8Array, what: string): TorchFile {
  const magic = unpickle(bytes, { what: `${what} (magic number)` });
  if (magic.value !== LEGACY_MAGIC) throw new AppError('BAD_REQUEST', `${what}: wrong magic number for a legacy torch.save file`);
  const protocol = unpickle(bytes, { offset: magic.end, what: `${what} (protocol version)` });
  if (protocol.value !== LEGACY_PROTOCOL)
    throw new AppError('UNSUPPORTED', `${what}: legacy torch.save protocol ${String(protocol.value)} (expected ${LEGACY_PROTOCOL})`);
  const sysInfo = unpickle(bytes, { offset: protocol.end, what: `${what} (sys_info)` });
  if (sysInfo.value instanceof PyDict && sysInfo.value.get('little_endian') === false) {
    throw new AppError('UNSUPPORTED', `${what} was saved on a big-endian machine; only little-endian files are supported`);
  }
  const storages = new Map<string, TorchStorageRef>();
  /** Elements of each whole storage, as its persistent id declares them (for views too). */
  const rootNumel = new Map<string, number>();
  const main = unpickle(bytes, {
    offset: sysInfo.end,
    what,
    persistentLoad: (pid, at) => {
      const ref = storageFromPid(pid, at, what, true);
      if (!storages.has(ref.key)) storages.set(ref.key, { ...ref, elementOffset: 0 });
      const n = Number((pid as PyTuple).items[4]);
      if (!Number.isSafeInteger(n) || n < 0)
        throw new PickleError('BAD_REQUEST', `${what}: storage "${ref.key}" declares an invalid size ${n} (byte ${at})`, at);
      if (rootNumel.has(ref.key) && rootNumel.get(ref.key) !== n)
        throw new PickleError('BAD_REQUEST', `${what}: storage "${ref.key}" is declared with two sizes (byte ${at})`, at);
      rootNumel.set(ref.key, n);
      return ref;
    },
  });
  const keysPickle = unpickle(bytes, { offset: main.end, what: `${what} (storage keys)` });
  if (!Array.isArray(keysPickle.value)) throw new AppError('BAD_REQUEST', `${what}: the legacy storage key list is not a list`);
  // Every storage is an 8-byte element count and its bytes: the declared total must fit in the file.
  let declaredBytes = 0;
  for (const [key, n] of rootNumel) declaredBytes += 8 + n * DTYPE_BYTES[storages.get(key)!.dtype];
  if (declaredBytes > bytes.length - keysPickle.end) {
    throw new AppError(
      'BAD_REQUEST',
      `${what}: its pickle declares ${rootNumel.size} storages of ${declaredBytes} bytes in all, ` +
        `but only ${bytes.length - keysPickle.end} bytes follow the pickle (truncated file or corrupt storage sizes)`,
    );
  }
  const data = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keysPickle.end;
  for (const key of keysPickle.value) {
    if (typeof key !== 'string') throw new AppError('BAD_REQUEST', `${what}: a legacy storage key is not a string`);
    const ref = storages.get(key);
    if (!ref) throw new AppError('BAD_REQUEST', `${what}: storage "${key}" is listed but no tensor uses it`);
    if (pos + 8 > bytes.length)
      throw new AppError('BAD_REQUEST', `${what} is truncated: storage "${key}" header lies past the end of the file (byte ${pos})`);
    const count = Number(view.getBigInt64(pos, true));
    const nbytes = count * DTYPE_BYTES[ref.dtype];
    if (count !== rootNumel.get(key))
      throw new AppError(
        'BAD_REQUEST',
        `${what}: storage "${key}" has ${count} elements at byte ${pos}, but its pickle declares ${rootNumel.get(key)}`,
      );
    pos += 8;
    if (count < 0 || pos + nbytes > bytes.length) {
      throw new AppError(
        'BAD_REQUEST',
        `${what} is truncated: storage "${key}" needs ${nbytes} bytes at byte ${pos}, the file has ${bytes.length - pos} left`,
      );
    }
    data.set(key, bytes.subarray(pos, pos + nbytes));
    pos += nbytes;
  }
  return {
    format: 'torch-legacy',
    root: main.value,
    materialize(t, name) {
      const d = data.get(t.storage.key);
      if (!d) throw new AppError('BAD_REQUEST', `${what}: storage "${t.storage.key}" of tensor "${name}" is missing (file truncated?)`);
      return materializeFrom(d, t.storage, t, name, what);
    },
  };
}
