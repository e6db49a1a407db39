/**
 * A pickle reader that interprets the opcodes itself and never executes anything.
 *
 * Python's pickle can call any importable function (`GLOBAL os system` + `REDUCE`). This reader
 * only resolves the globals on an allow-list of pure constructors a PyTorch state dict or training
 * checkpoint needs (OrderedDict, torch's tensor-rebuild functions, storage types, set/frozenset,
 * `_codecs.encode` for bytes in protocols < 3); each is implemented here as plain data building.
 * Any other global, or an opcode outside the supported set, is an error naming it and its byte
 * offset. Tensor storages arrive through `persistentLoad` (torch.save's persistent ids).
 *
 * Value mapping: None → null, bool → boolean, int → number (bigint when beyond ±2^53), float →
 * number, str → string, bytes/bytearray → Uint8Array, list → array, tuple → PyTuple, dict and
 * OrderedDict → PyDict, set/frozenset → PySet, torch tensors → TorchTensorRef.
 */
import { AppError } from '../../../src-shared/errors';
import type { DType } from './tensors';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly map = new Map<unknown, PyValue>();
  /** Attributes set by BUILD (e.g. a state dict's `_metadata`). */
  readonly attrs = new Map<string, PyValue>();
  constructor(readonly className: 'dict' | 'collections.OrderedDict' = 'dict') {}
  get(key: string | number): PyValue | undefined {
    return this.map.get(key);
  }
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/** A resolved, allow-listed global (a callable or a torch storage type). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly impl: GlobalImpl,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage as torch.save's persistent id describes it; the loader resolves its bytes later. */
export interface TorchStorageRef {
  readonly kind: 'storage';
  key: string;
  dtype: DType;
  location: string;
  /** Number of elements of `dtype`. */
  numel: number;
  /** Legacy format only: this storage is a view starting this many elements into storage `key`. */
  elementOffset?: number;
}

/** A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly isParameter = false,
  ) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | TorchTensorRef
  | TorchStorageRef;

export type GlobalImpl = { kind: 'callable'; call(args: PyValue[], at: number): PyValue } | { kind: 'storage-type'; dtype: DType };

export class PickleError extends AppError {
  constructor(
    code: 'BAD_REQUEST' | 'UNSUPPORTED',
    message: string,
    readonly offset: number,
  ) {
    super(code, message);
    this.name = 'PickleError';
  }
}

/** torch storage classes → element dtype. */
export const TORCH_STORAGE_TYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

function intArg(v: PyValue | undefined, what: string, at: number): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new PickleError('BAD_REQUEST', `Pickle: ${what} must be an integer (byte ${at})`, at);
}

function intTuple(v: PyValue | undefined, what: string, at: number): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new PickleError('BAD_REQUEST', `Pickle: ${what} must be a tuple of integers (byte ${at})`, at);
  return items.map((x) => intArg(x, what, at));
}

function rebuildTensor(args: PyValue[], at: number): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  if (!storage || typeof storage !== 'object' || !('kind' in storage) || storage.kind !== 'storage') {
    throw new PickleError('BAD_REQUEST', `Pickle: _rebuild_tensor_v2 expects a storage as its first argument (byte ${at})`, at);
  }
  return new TorchTensorRef(
    storage,
    intArg(offset, 'storage offset', at),
    intTuple(size, 'tensor size', at),
    intTuple(stride, 'tensor stride', at),
  );
}

function newDict(className: PyDict['className']): GlobalImpl {
  return {
    kind: 'callable',
    call(args, at) {
      const d = new PyDict(className);
      const init = args[0];
      if (init === undefined) return d;
      const pairs = Array.isArray(init) ? init : null;
      if (!pairs) throw new PickleError('UNSUPPORTED', `Pickle: ${className}(...) with a non-list argument (byte ${at})`, at);
      for (const p of pairs) {
        const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : null;
        if (!kv || kv.length !== 2) throw new PickleError('BAD_REQUEST', `Pickle: ${className} item is not a pair (byte ${at})`, at);
        d.map.set(dictKey(kv[0]!, at), kv[1]!);
      }
      return d;
    },
  };
}

function newSet(frozen: boolean): GlobalImpl {
  return {
    kind: 'callable',
    call(args) {
      const init = args[0];
      const items =
        init === undefined
          ? []
          : Array.isArray(init)
            ? init
            : init instanceof PyTuple
              ? init.items
              : init instanceof PySet
                ? init.items
                : [];
      return new PySet([...items], frozen);
    },
  };
}

/** The allow-list: `module.name` → implementation. Nothing else is ever resolved. */
export const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalImpl> = new Map<string, GlobalImpl>([
  ['collections.OrderedDict', newDict('collections.OrderedDict')],
  ['torch._utils._rebuild_tensor_v2', { kind: 'callable', call: rebuildTensor }],
  ['torch._utils._rebuild_tensor', { kind: 'callable', call: rebuildTensor }],
  [
    'torch._utils._rebuild_parameter',
    {
      kind: 'callable',
      call(args, at) {
        const t = args[0];
        if (!(t instanceof TorchTensorRef))
          throw new PickleError('BAD_REQUEST', `Pickle: _rebuild_parameter expects a tensor (byte ${at})`, at);
        return new TorchTensorRef(t.storage, t.storageOffset, t.shape, t.stride, true);
      },
    },
  ],
  ...Object.entries(TORCH_STORAGE_TYPES).map(([name, dtype]): [string, GlobalImpl] => [`torch.${name}`, { kind: 'storage-type', dtype }]),
  ['builtins.set', newSet(false)],
  ['__builtin__.set', newSet(false)],
  ['builtins.frozenset', newSet(true)],
  ['__builtin__.frozenset', newSet(true)],
  [
    // Protocols < 3 write Python 3 bytes as _codecs.encode(<latin-1 text>, 'latin1').
    '_codecs.encode',
    {
      kind: 'callable',
      call(args, at) {
        const [text, encoding] = args;
        if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
          throw new PickleError('UNSUPPORTED', `Pickle: _codecs.encode is only supported with latin1 text (byte ${at})`, at);
        }
        return Uint8Array.from(text, (c) => c.charCodeAt(0));
      },
    },
  ],
  ['builtins.bytes', { kind: 'callable', call: () => new Uint8Array(0) }],
  ['__builtin__.bytes', { kind: 'callable', call: () => new Uint8Array(0) }],
]);

/** Dict keys: primitives by value; tuples of primitives by a canonical string. */
function dictKey(k: PyValue, at: number): unknown {
  if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean') return k;
  if (typeof k === 'bigint') return Number.isSafeInteger(Number(k)) ? Number(k) : k;
  if (k instanceof PyTuple) return JSON.stringify(k.items, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  throw new PickleError('UNSUPPORTED', `Pickle: unsupported dict key type (byte ${at})`, at);
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

export interface UnpickleOptions {
  /** Resolves a persistent id (BINPERSID/PERSID); without it such a pickle is an error. */
  persistentLoad?: (pid: PyValue, at: number) => PyValue;
  /** Byte offset to start at (for files holding several pickles); default 0. */
  offset?: number;
  /** Names the input in error messages. */
  what?: string;
}

/** Opcode names for messages (the full protocol-5 set, supported or not). */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

export function opcodeName(op: number): string {
  return OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
}

/**
 * Unpickles one object starting at `opts.offset`; returns it and the offset just after its STOP. Every
 * error names `opts.what` (the file), including those of the torch reconstructors the pickle calls.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): { value: PyValue; end: number } {
  try {
    return unpickleAt(bytes, opts);
  } catch (error) {
    if (error instanceof PickleError && error.message.startsWith('Pickle: ')) {
      const code = error.code === 'UNSUPPORTED' ? 'UNSUPPORTED' : 'BAD_REQUEST';
      throw new PickleError(code, `${opts.what ?? 'pickle'}: ${error.message.slice('Pickle: '.length)}`, error.offset);
    }
    throw error;
  }
}

function unpickleAt(bytes: Uint8Array, opts: UnpickleOptions): { value: PyValue; end: number } {
  const what = opts.what ?? 'pickle';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = opts.offset ?? 0;
  let opAt = pos;

  const fail = (code: 'BAD_REQUEST' | 'UNSUPPORTED', message: string): never => {
    throw new PickleError(code, `${what}: ${message} (byte ${opAt})`, opAt);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail('BAD_REQUEST', `truncated: ${opcodeName(bytes[opAt] ?? 0)} needs ${n} more bytes but the data ends`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('BAD_REQUEST', 'length too large');
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('BAD_REQUEST', `truncated: ${opcodeName(bytes[opAt] ?? 0)} has no terminating newline`);
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return fail('BAD_REQUEST', 'invalid UTF-8 in a string');
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail('BAD_REQUEST', 'stack underflow');
    const v = stack.pop()!;
    if (v === MARK) return fail('BAD_REQUEST', 'unexpected MARK on the stack');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail('BAD_REQUEST', 'stack underflow');
    return v;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) return fail('BAD_REQUEST', 'no MARK on the stack');
    const items = stack.splice(m);
    return items.slice(1) as PyValue[]; // items[0] is the MARK itself
  };
  const push = (v: PyValue): void => {
    stack.push(v);
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail('BAD_REQUEST', `memo entry ${i} is undefined`);
    return memo.get(i)!;
  };
  const resolveGlobal = (module: string, name: string): PyGlobal => {
    const qualified = `${module}.${name}`;
    const impl = ALLOWED_GLOBALS.get(qualified);
    if (!impl) {
      fail(
        'UNSUPPORTED',
        `global "${qualified}" is not on the allow-list of a weights file; FundusLab never runs code from pickles (this file may be malicious, or hold objects other than tensors)`,
      );
    }
    return new PyGlobal(module, name, impl!);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail('UNSUPPORTED', 'SETITEM(S) on something that is not a dict');
    const d = target as PyDict;
    for (let i = 0; i + 1 < items.length; i += 2) d.map.set(dictKey(items[i]!, opAt), items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail('UNSUPPORTED', 'APPEND(S) on something that is not a list');
    (target as PyValue[]).push(...items);
  };
  const bigFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return normInt(v);
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail('BAD_REQUEST', 'truncated: the pickle ends before its STOP opcode');
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('UNSUPPORTED', `pickle protocol ${bytes[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: a length prefix only
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack[stack.length - 1] === MARK) {
          stack.pop();
          marks.pop();
        } else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x49: {
        // INT (protocol 0; "00"/"01" are False/True)
        const s = line();
        if (s === '00') push(false);
        else if (s === '01') push(true);
        else push(parseIntText(s, fail));
        break;
      }
      case 0x4c: // LONG (protocol 0, trailing L)
        push(parseIntText(line().replace(/L$/, ''), fail));
        break;
      case 0x8a: // LONG1
        push(bigFromBytes(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('BAD_REQUEST', 'negative LONG4 length');
        push(bigFromBytes(take(n)));
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const s = line();
        const v = Number(s.replace(/^(-?)inf$/, '$1Infinity'));
        if (Number.isNaN(v) && s !== 'nan') fail('BAD_REQUEST', `bad FLOAT "${s}"`);
        push(v);
        break;
      }
      case 0x58: // BINUNICODE
        push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        push(rawUnicodeUnescape(line()));
        break;
      case 0x53: // STRING (protocol 0 repr of a Python 2 str)
        push(pythonStringLiteral(line(), fail));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str: treated as latin-1 text)
        const n = i32();
        if (n < 0) fail('BAD_REQUEST', 'negative BINSTRING length');
        push(latin1(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(latin1(take(u8())));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        push(take(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new PySet([], false));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet) || s.frozen) fail('UNSUPPORTED', 'ADDITEMS on something that is not a set');
        (s as PySet).items.push(...items);
        break;
      }
      case 0x91: // FROZENSET
        push(new PySet(popMark(), true));
        break;
      case 0x70: // PUT
        memo.set(parseIntStrict(line(), fail), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        push(memoGet(parseIntStrict(line(), fail)));
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('BAD_REQUEST', 'STACK_GLOBAL needs two strings');
        push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args), only for allow-listed callables
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal) || fn.impl.kind !== 'callable')
          fail('UNSUPPORTED', 'REDUCE on something that is not an allow-listed callable');
        if (!(args instanceof PyTuple)) fail('BAD_REQUEST', 'REDUCE arguments are not a tuple');
        const g = fn as PyGlobal;
        push((g.impl as Extract<GlobalImpl, { kind: 'callable' }>).call((args as PyTuple).items, opAt));
        break;
      }
      case 0x62: {
        // BUILD: only dict state on a dict (e.g. OrderedDict._metadata); tensors need no state
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict && state instanceof PyDict) {
          for (const [k, v] of state.map) obj.attrs.set(String(k), v);
        } else if (obj instanceof PyDict && state === null) {
          // nothing to set
        } else fail('UNSUPPORTED', `BUILD on an object of an unsupported kind`);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('UNSUPPORTED', 'persistent id (BINPERSID) in a pickle that should not have one');
        push(opts.persistentLoad!(pid, opAt));
        break;
      }
      case 0x50: {
        // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail('UNSUPPORTED', 'persistent id (PERSID) in a pickle that should not have one');
        push(opts.persistentLoad!(pid, opAt));
        break;
      }
      default:
        fail('UNSUPPORTED', `unsupported pickle opcode ${opcodeName(op)} (0x${op.toString(16).padStart(2, '0')})`);
    }
  }
}

function normInt(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, fail: (c: 'BAD_REQUEST', m: string) => never): number | bigint {
  if (!/^[-+]?\d+$/.test(s)) fail('BAD_REQUEST', `bad integer "${s}"`);
  return normInt(BigInt(s));
}

function parseIntStrict(s: string, fail: (c: 'BAD_REQUEST', m: string) => never): number {
  if (!/^\d+$/.test(s)) fail('BAD_REQUEST', `bad memo index "${s}"`);
  return Number(s);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Decodes Python's raw-unicode-escape (only \uXXXX and \UXXXXXXXX are escapes). */
function rawUnicodeUnescape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(parseInt((u4 ?? u8)!, 16)),
  );
}

/** Decodes the repr of a Python 2 str as protocol 0 writes it: '...' or "..." with backslash escapes. */
function pythonStringLiteral(s: string, fail: (c: 'BAD_REQUEST', m: string) => never): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) fail('BAD_REQUEST', `bad STRING literal ${s.slice(0, 40)}`);
  const body = s.slice(1, -1);
  const simple: Record<string, string> = {
    n: '\n',
    r: '\r',
    t: '\t',
    '\\': '\\',
    "'": "'",
    '"': '"',
    a: '\x07',
    b: '\b',
    f: '\f',
    v: '\v',
    '0': '\0',
  };
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return simple[e] ?? `\\${e}`;
  });
}
