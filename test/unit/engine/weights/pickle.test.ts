import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../src-shared/errors';
import {
  PickleError,
  PyDict,
  PyGlobal,
  PySet,
  PyTuple,
  TorchTensorRef,
  unpickle,
  type PyValue,
} from '../../../../src-main/engine/weights/pickle';

const GOLDEN = path.resolve(import.meta.dirname, '../../../golden/resnet');

/** Plain-JS view of a pickled value for comparisons. */
function js(v: PyValue): unknown {
  if (v instanceof PyTuple) return { tuple: v.items.map(js) };
  if (v instanceof PyDict) return { [v.className]: [...v.map].map(([k, x]) => [k, js(x)]) };
  if (v instanceof PySet) return { [v.frozen ? 'frozenset' : 'set']: v.items.map(js) };
  if (Array.isArray(v)) return v.map(js);
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  return v;
}

/** Assembles a pickle from opcodes (strings are latin-1 bytes, numbers are single bytes). */
function asm(...parts: (string | number | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: number) => [...u32(n), 0, 0, 0, 0];

function expectPickleError(bytes: Uint8Array, code: string, pattern: RegExp): PickleError {
  let caught: unknown;
  try {
    unpickle(bytes, { what: 'test.pkl' });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PickleError);
  const e = caught as PickleError;
  expect(e).toBeInstanceOf(AppError);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(pattern);
  return e;
}

const EXPECTED_PY_VALUE = {
  dict: [
    ['ints', [0, 1, -1, 255, 256, 65535, 65536, -65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), { bigint: (2n ** 70n).toString() }]],
    ['floats', [0, -1.5, 3.141592653589793, 1e300]],
    ['strings', ['', 'ascii', 'ünïcödé ✓', 'x'.repeat(300)]],
    ['bytes', { bytes: [0, 1, 254, 255] }],
    [
      'nested',
      {
        dict: [
          ['a', [1, { tuple: [2, 3] }]],
          ['b', { tuple: [] }],
          ['c', { tuple: [1] }],
          ['d', { tuple: [1, 2] }],
          ['e', { tuple: [1, 2, 3] }],
          ['f', { tuple: [1, 2, 3, 4] }],
        ],
      },
    ],
    ['flags', [null, true, false]],
    ['frozen', { frozenset: [1] }],
    ['set', { set: [2] }],
    [
      'ordered',
      {
        'collections.OrderedDict': [
          ['z', 1],
          ['y', 2],
        ],
      },
    ],
    [
      'intkeys',
      {
        dict: [
          [0, 'zero'],
          [1, 'one'],
        ],
      },
    ],
    [
      'shared',
      [
        [1, 2],
        [1, 2],
      ],
    ],
  ],
};

describe('pickle reader: Python-written pickles (make_fixtures.py)', () => {
  for (const proto of [0, 2, 4, 5]) {
    it(`protocol ${proto}`, () => {
      const bytes = new Uint8Array(readFileSync(path.join(GOLDEN, `pickle_p${proto}.pkl`)));
      const { value, end } = unpickle(bytes);
      expect(end).toBe(bytes.length);
      expect(js(value)).toEqual(EXPECTED_PY_VALUE);
      // Memo GET returns the same object, as in Python.
      const shared = (value as PyDict).get('shared') as PyValue[][];
      expect(shared[0]).toBe(shared[1]);
    });
  }

  it('rejects every truncation of a pickle with a BAD_REQUEST naming the offset, never another exception', () => {
    const bytes = new Uint8Array(readFileSync(path.join(GOLDEN, 'pickle_p2.pkl')));
    for (let n = 0; n < bytes.length; n++) {
      let caught: unknown;
      try {
        unpickle(bytes.subarray(0, n));
      } catch (err) {
        caught = err;
      }
      expect(caught, `prefix of ${n} bytes`).toBeInstanceOf(PickleError);
      expect((caught as PickleError).code).toBe('BAD_REQUEST');
      expect((caught as PickleError).message).toMatch(/\(byte \d+\)/);
    }
  });
});

describe('pickle reader: refuses code execution', () => {
  const marker = '/tmp/funduslab-pickle-pwned';
  it('refuses GLOBAL posix.system from a real Python pickle, naming the global and its offset', () => {
    const bytes = new Uint8Array(readFileSync(path.join(GOLDEN, 'malicious_posix_system.pkl')));
    const e = expectPickleError(bytes, 'UNSUPPORTED', /global "posix\.system" is not on the allow-list/);
    expect(e.offset).toBe(22);
    expect(e.message).toContain('(byte 22)');
    expect(existsSync(marker)).toBe(false);
  });
  it('refuses GLOBAL os.system', () => {
    expectPickleError(asm(0x80, 2, 'cos\nsystem\n', 'X', u32(2), 'id', 0x85, 'R', '.'), 'UNSUPPORTED', /global "os\.system"/);
  });
  it('refuses builtins.eval through STACK_GLOBAL', () => {
    expectPickleError(
      asm(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, 0x8c, 3, '1+1', 0x85, 'R', '.'),
      'UNSUPPORTED',
      /global "builtins\.eval"/,
    );
  });
  it('refuses other look-alikes (subprocess, torch functions outside the allow-list)', () => {
    expectPickleError(asm('csubprocess\nPopen\n.'), 'UNSUPPORTED', /subprocess\.Popen/);
    expectPickleError(asm('ctorch\nload\n.'), 'UNSUPPORTED', /torch\.load/);
    expectPickleError(asm('ctorch.storage\n_load_from_bytes\n.'), 'UNSUPPORTED', /torch\.storage\._load_from_bytes/);
  });
  it('refuses INST, OBJ, NEWOBJ, EXT and out-of-band buffers', () => {
    expectPickleError(asm('(ios\nsystem\n.'), 'UNSUPPORTED', /unsupported pickle opcode INST/);
    expectPickleError(asm('(o.'), 'UNSUPPORTED', /OBJ/);
    expectPickleError(asm(0x80, 2, 'ccollections\nOrderedDict\n)', 0x81, '.'), 'UNSUPPORTED', /NEWOBJ/);
    expectPickleError(asm(0x80, 2, 0x82, 1, '.'), 'UNSUPPORTED', /EXT1/);
    expectPickleError(asm(0x80, 5, 0x97, '.'), 'UNSUPPORTED', /NEXT_BUFFER/);
  });
  it('refuses an unknown opcode byte and REDUCE on a non-callable', () => {
    expectPickleError(asm(0x80, 2, 0xff, '.'), 'UNSUPPORTED', /unsupported pickle opcode 0xff/);
    expectPickleError(asm(0x80, 2, 'K', 1, ')R.'), 'UNSUPPORTED', /REDUCE on something that is not an allow-listed callable/);
    expectPickleError(asm(0x80, 2, 'ctorch\nFloatStorage\n)R.'), 'UNSUPPORTED', /REDUCE/);
  });
  it('refuses a persistent id when no loader is given', () => {
    expectPickleError(asm(0x80, 2, 'K', 1, 'Q.'), 'UNSUPPORTED', /persistent id/);
  });
  it('rejects a newer protocol, memo misses and stack underflow', () => {
    expectPickleError(asm(0x80, 6, 'N.'), 'UNSUPPORTED', /protocol 6/);
    expectPickleError(asm(0x80, 2, 'h', 3, '.'), 'BAD_REQUEST', /memo entry 3/);
    expectPickleError(asm(0x80, 2, 'a.'), 'BAD_REQUEST', /stack underflow/);
    expectPickleError(asm(0x80, 2, 't.'), 'BAD_REQUEST', /no MARK/);
  });
});

describe('pickle reader: each supported opcode', () => {
  const value = (...parts: Parameters<typeof asm>) => js(unpickle(asm(...parts)).value);
  it('integers: BININT, BININT1, BININT2, INT, LONG, LONG1, LONG4', () => {
    expect(value('J', u32(0xfffffffe), '.')).toBe(-2);
    expect(value('K', 200, '.')).toBe(200);
    expect(value('M', 0x34, 0x12, '.')).toBe(0x1234);
    expect(value('I-42\n.')).toBe(-42);
    expect(value('I01\n.')).toBe(true);
    expect(value('I00\n.')).toBe(false);
    expect(value('L123456789012345678901234567890L\n.')).toEqual({ bigint: '123456789012345678901234567890' });
    expect(value(0x8a, 2, 0xff, 0x7f, '.')).toBe(0x7fff);
    expect(value(0x8a, 1, 0xff, '.')).toBe(-1);
    expect(value(0x8a, 0, '.')).toBe(0);
    expect(value(0x8b, u32(2), 0x00, 0x80, '.')).toBe(-32768);
  });
  it('floats: BINFLOAT, FLOAT', () => {
    expect(value('G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], '.')).toBe(1.5);
    expect(value('F-2.25\n.')).toBe(-2.25);
    expect(value('Finf\n.')).toBe(Infinity);
  });
  it('strings: BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, UNICODE, STRING, BINSTRING, SHORT_BINSTRING', () => {
    expect(value('X', u32(3), 'abc', '.')).toBe('abc');
    expect(value(0x8c, 2, [0xc3, 0xa9], '.')).toBe('é');
    expect(value(0x8d, u64(2), 'hi', '.')).toBe('hi');
    expect(value('Vcaf\\u00e9 \\U0001f600\n.')).toBe('café 😀');
    expect(value(`S'it\\'s\\n\\x41'\n.`)).toBe("it's\nA");
    expect(value('T', u32(2), 'ab', '.')).toBe('ab');
    expect(value('U', 1, 'z', '.')).toBe('z');
  });
  it('bytes: BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8, _codecs.encode', () => {
    expect(value('B', u32(2), [1, 2], '.')).toEqual({ bytes: [1, 2] });
    expect(value('C', 1, [9], '.')).toEqual({ bytes: [9] });
    expect(value(0x8e, u64(1), [7], '.')).toEqual({ bytes: [7] });
    expect(value(0x96, u64(1), [8], '.')).toEqual({ bytes: [8] });
    expect(value('c_codecs\nencode\n(X', u32(2), [0xc3, 0xbf] /* 'ÿ' in UTF-8 */, 'X', u32(6), 'latin1tR.')).toEqual({ bytes: [255] });
  });
  it('containers: EMPTY_*/LIST/DICT/TUPLE*/APPEND(S)/SETITEM(S)/EMPTY_SET/ADDITEMS/FROZENSET', () => {
    expect(value('(K', 1, 'K', 2, 'l.')).toEqual([1, 2]);
    expect(value(']K', 1, 'a(K', 2, 'K', 3, 'e.')).toEqual([1, 2, 3]);
    expect(value('(K', 1, 'K', 2, 'd.')).toEqual({ dict: [[1, 2]] });
    expect(value('}K', 1, 'K', 2, 's(K', 3, 'K', 4, 'u.')).toEqual({
      dict: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(value('(K', 1, 't.')).toEqual({ tuple: [1] });
    expect(value(')', '.')).toEqual({ tuple: [] });
    expect(value('K', 1, 'K', 2, 'K', 3, 0x87, '.')).toEqual({ tuple: [1, 2, 3] });
    expect(value(0x8f, '(K', 1, 'K', 2, 0x90, '.')).toEqual({ set: [1, 2] });
    expect(value('(K', 5, 0x91, '.')).toEqual({ frozenset: [5] });
  });
  it('stack and memo: MARK/POP/POP_MARK/DUP/PUT/GET/BINPUT/BINGET/LONG_BINPUT/LONG_BINGET/MEMOIZE, PROTO/FRAME/STOP', () => {
    expect(value('K', 1, 'K', 2, '0.')).toBe(1);
    expect(value('K', 1, '(K', 2, 'K', 3, '1.')).toBe(1);
    expect(value('K', 4, '2', 0x86, '.')).toEqual({ tuple: [4, 4] });
    expect(value('K', 7, 'p3\n0g3\n.')).toBe(7);
    expect(value('K', 7, 'q', 1, '0h', 1, '.')).toBe(7);
    expect(value('K', 7, 'r', u32(300), '0j', u32(300), '.')).toBe(7);
    expect(value(0x80, 4, 0x95, u64(5), 'K', 9, 0x94, '0h', 0, '.')).toBe(9);
    expect(unpickle(asm('N.K', 1, '.'), { offset: 2 }).value).toBe(1);
  });
  it('globals and objects: GLOBAL/STACK_GLOBAL/REDUCE/BUILD/BINPERSID/PERSID with the torch allow-list', () => {
    const od = unpickle(asm(0x80, 2, 'ccollections\nOrderedDict\n)R}X', u32(9), '_metadata}sb.')).value;
    expect(od).toBeInstanceOf(PyDict);
    expect((od as PyDict).attrs.has('_metadata')).toBe(true);
    const pids: PyValue[] = [];
    const persistentLoad = (pid: PyValue) => {
      pids.push(pid);
      return { kind: 'storage' as const, key: '0', dtype: 'float32' as const, location: 'cpu', numel: 6 };
    };
    // _rebuild_tensor_v2(storage, 0, (2, 3), (3, 1), False, OrderedDict())
    const t = unpickle(
      asm(
        0x80,
        2,
        'ctorch._utils\n_rebuild_tensor_v2\n(',
        'X',
        u32(1),
        '0Q',
        'K',
        0,
        'K',
        2,
        'K',
        3,
        0x86,
        'K',
        3,
        'K',
        1,
        0x86,
        0x89,
        'ccollections\nOrderedDict\n)RtR.',
      ),
      { persistentLoad },
    ).value;
    expect(t).toBeInstanceOf(TorchTensorRef);
    expect((t as TorchTensorRef).shape).toEqual([2, 3]);
    expect((t as TorchTensorRef).stride).toEqual([3, 1]);
    expect(pids).toEqual(['0']);
    const text = unpickle(asm('Pkey\n.'), { persistentLoad: (pid) => `loaded ${String(pid)}` }).value;
    expect(text).toBe('loaded key');
    const g = unpickle(asm(0x80, 4, 0x8c, 5, 'torch', 0x8c, 11, 'HalfStorage', 0x93, '.')).value;
    expect(g).toBeInstanceOf(PyGlobal);
    expect((g as PyGlobal).impl).toEqual({ kind: 'storage-type', dtype: 'float16' });
  });
});
