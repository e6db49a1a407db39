/**
 * Hostile weights files: a zip `.pth` whose storages inflate to gigabytes (run through the CLI in a
 * child process, timing it and polling its peak RSS, VmHWM in /proc/<pid>/status), zip entries that
 * lie about their size or overlap, the size cap, a legacy torch file whose pickle declares more
 * storage than the file holds, and safetensors offsets that overlap or leave holes.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { constants, crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWeightBytes, readWeightFile } from '../../../src-main/engine/weights/read';
import { ZipReader, crc32 } from '../../../src-main/engine/weights/zip';
import { tempDirSync } from '../../support/files';
import { expectAppError } from '../../support/errors';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const GOLDEN = path.join(ROOT, 'test/golden/resnet');
const BIN = path.join(ROOT, 'bin/funduslab.js');
const MiB = 1024 ** 2;
let tmp: string;

interface Member {
  name: string;
  method: 0 | 8;
  /** The stored (compressed) bytes, as pieces written one after another. */
  pieces: Uint8Array[];
  size: number;
  crc: number;
  /** Write no bytes of its own: point at the previous member's local header (an overlapping archive). */
  alias?: boolean;
}

/** Writes a ZIP archive piece by piece, so a member of a gigabyte never exists in memory. */
function writeZipFile(file: string, members: Member[]): void {
  const fd = openSync(file, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  let lastHeader = 0;
  try {
    for (const m of members) {
      const name = Buffer.from(m.name);
      const compressed = m.pieces.reduce((a, p) => a + p.length, 0);
      let at = offset;
      if (m.alias) at = lastHeader;
      else {
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt16LE(m.method, 8);
        local.writeUInt32LE(m.crc, 14);
        local.writeUInt32LE(compressed, 18);
        local.writeUInt32LE(m.size, 22);
        local.writeUInt16LE(name.length, 26);
        writeSync(fd, local);
        writeSync(fd, name);
        for (const p of m.pieces) writeSync(fd, p);
        lastHeader = offset;
        offset += 30 + name.length + compressed;
      }
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(20, 4);
      cd.writeUInt16LE(20, 6);
      cd.writeUInt16LE(m.method, 10);
      cd.writeUInt32LE(m.crc, 16);
      cd.writeUInt32LE(compressed, 20);
      cd.writeUInt32LE(m.size, 24);
      cd.writeUInt16LE(name.length, 28);
      cd.writeUInt32LE(at, 42);
      central.push(cd, name);
    }
    const cdBytes = Buffer.concat(central);
    writeSync(fd, cdBytes);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(members.length, 8);
    eocd.writeUInt16LE(members.length, 10);
    eocd.writeUInt32LE(cdBytes.length, 12);
    eocd.writeUInt32LE(offset, 16);
    writeSync(fd, eocd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A raw deflate stream of `mib` MiB of zeros, built from one independently compressed MiB (a full
 * flush ends it byte-aligned and not final) repeated, then an empty final block: ~1 KB per MiB.
 */
function zeroStream(mib: number): { pieces: Uint8Array[]; size: number; crc: number } {
  const zeros = Buffer.alloc(MiB);
  const piece = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = zlibCrc32(zeros, crc);
  return { pieces: [...Array<Uint8Array>(mib).fill(piece), deflateRawSync(Buffer.alloc(0))], size: mib * MiB, crc };
}

/** The golden resnet18 (width 4) archive's members, read back as plain bytes. */
function goldenMembers(): { name: string; data: Uint8Array }[] {
  const zip = new ZipReader(new Uint8Array(readFileSync(path.join(GOLDEN, 'resnet18_w4.pt'))));
  return zip.entries.map((e) => ({ name: e.name, data: zip.read(e.name) }));
}

const stored = (name: string, data: Uint8Array): Member => ({ name, method: 0, pieces: [data], size: data.length, crc: crc32(data) });

/** Runs the CLI in a child process, polling its peak resident set size (VmHWM) every 20 ms. */
async function runCli(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string; ms: number; peakBytes: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // The process has just exited.
    }
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  return { code, stdout, stderr, ms: Date.now() - started, peakBytes: peakKb * 1024 };
}

beforeAll(() => {
  tmp = tempDirSync('weights-bombs');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('zip .pth decompression bomb', () => {
  let bomb: string;
  beforeAll(() => {
    // The real resnet18 pickle (small tensors); four of its storages replaced by 1 GiB of zeros each.
    const zeros = zeroStream(1024);
    const members = goldenMembers().map((m): Member => {
      const replaced = /\/data\/[0-3]$/.test(m.name);
      return replaced ? { name: m.name, method: 8, ...zeros } : stored(m.name, m.data);
    });
    bomb = path.join(tmp, 'bomb.pth');
    writeZipFile(bomb, members);
  });

  it('is a few megabytes that inflate to 4 GiB', () => {
    const size = statSync(bomb).size;
    expect(size).toBeGreaterThan(3 * MiB);
    expect(size).toBeLessThan(5 * MiB);
  });

  for (const command of ['inspect', 'predict'] as const) {
    it(`${command} refuses it in seconds with bounded memory, naming the file and the entry`, async () => {
      const args = command === 'inspect' ? ['weights', 'inspect', bomb] : ['predict', '--weights', bomb, '--arch', 'resnet18-w4', 'x.png'];
      const r = await runCli(args);
      const measured = `${command}: exit ${r.code} after ${r.ms} ms, peak RSS ${(r.peakBytes / MiB).toFixed(0)} MiB`;
      process.stdout.write(`${measured}\n`);
      expect(r.code, `${measured}\n${r.stderr}${r.stdout}`).not.toBe(0);
      expect(r.stderr).toMatch(/bomb\.pth: ZIP entry "resnet18_w4\/data\/[0-3]" declares 1073741824 uncompressed bytes/);
      expect(r.stderr).toMatch(/decompression bomb/);
      expect(r.ms, measured).toBeLessThan(10_000);
      expect(r.peakBytes, measured).toBeGreaterThan(0);
      expect(r.peakBytes, measured).toBeLessThan(1024 ** 3);
    }, 30_000);
  }

  it('the same layout with the original storages loads (the archive writer is sound)', async () => {
    const file = path.join(tmp, 'honest.pth');
    writeZipFile(
      file,
      goldenMembers().map((m) => stored(m.name, m.data)),
    );
    const w = await readWeightFile(file);
    expect(w.format).toBe('torch-zip');
    expect(w.tensors.size).toBeGreaterThan(60);
  });

  it('refuses an entry that inflates past the size its directory declares, before inflating it whole', () => {
    const z = zeroStream(256);
    const file = path.join(tmp, 'liar.pth');
    writeZipFile(
      file,
      goldenMembers().map((m): Member => {
        // Declares the storage's true size (so the directory check passes) but inflates to 256 MiB.
        if (m.name.endsWith('/data/0')) return { name: m.name, method: 8, pieces: z.pieces, size: m.data.length, crc: crc32(m.data) };
        return stored(m.name, m.data);
      }),
    );
    expectAppError(
      () => parseWeightBytes(new Uint8Array(readFileSync(file)), file),
      null,
      /liar\.pth is not a valid ZIP archive.*entry "resnet18_w4\/data\/0" inflates to more than the \d+ bytes its directory entry declares/,
    );
  });

  it('refuses extra entries that push the archive past the storages the state dict declares', () => {
    const file = path.join(tmp, 'extra.pth');
    const z = zeroStream(64);
    writeZipFile(file, [...goldenMembers().map((m) => stored(m.name, m.data)), { name: 'resnet18_w4/extra/blob', method: 8, ...z }]);
    expectAppError(
      () => parseWeightBytes(new Uint8Array(readFileSync(file)), file),
      null,
      /extra\.pth: the ZIP archive would decompress to \d+ bytes \(largest entry "resnet18_w4\/extra\/blob", 67108864 bytes\), more than the \d+ bytes of tensor storages/,
    );
  });

  it('refuses entries whose stored bytes overlap', () => {
    const file = path.join(tmp, 'overlap.pth');
    const members = goldenMembers().map((m) => stored(m.name, m.data));
    const last = members[members.length - 1]!;
    writeZipFile(file, [...members, { ...last, name: 'resnet18_w4/data/again', alias: true }]);
    expectAppError(
      () => parseWeightBytes(new Uint8Array(readFileSync(file)), file),
      null,
      /overlap\.pth is not a valid ZIP archive.*entries ".*" and "resnet18_w4\/data\/again" overlap/,
    );
  });

  it('FUNDUSLAB_WEIGHTS_MAX_BYTES caps a weights file', async () => {
    const file = path.join(GOLDEN, 'resnet18_w4.pt');
    const previous = process.env.FUNDUSLAB_WEIGHTS_MAX_BYTES;
    try {
      process.env.FUNDUSLAB_WEIGHTS_MAX_BYTES = '100000';
      await expect(readWeightFile(file)).rejects.toThrow(/resnet18_w4\.pt is \d+ bytes, more than the cap of 100000 bytes/);
      // A file under the cap that would decompress past it.
      const packed = path.join(tmp, 'packed.pth');
      writeZipFile(packed, [
        ...goldenMembers().map((m) => stored(m.name, m.data)),
        { name: 'resnet18_w4/extra/pad', method: 8, ...zeroStream(1) },
      ]);
      process.env.FUNDUSLAB_WEIGHTS_MAX_BYTES = String(statSync(packed).size + 10);
      await expect(readWeightFile(packed)).rejects.toThrow(
        /packed\.pth: the ZIP archive would decompress to .* more than the cap of \d+ bytes/,
      );
      process.env.FUNDUSLAB_WEIGHTS_MAX_BYTES = 'lots';
      await expect(readWeightFile(file)).rejects.toThrow(/FUNDUSLAB_WEIGHTS_MAX_BYTES must be a positive whole number/);
    } finally {
      if (previous === undefined) delete process.env.FUNDUSLAB_WEIGHTS_MAX_BYTES;
      else process.env.FUNDUSLAB_WEIGHTS_MAX_BYTES = previous;
    }
  });
});

describe('legacy torch file with over-declared storages', () => {
  /** A legacy torch.save file of one float32 tensor "w" [2] whose pickle declares `declared` elements. */
  function legacyFile(declared: number, count = 2): Uint8Array {
    const op = (...b: number[]) => Uint8Array.from(b);
    const text = (s: string) => new TextEncoder().encode(s);
    const unicode = (s: string) => {
      const b = text(s);
      const out = new Uint8Array(5 + b.length);
      out[0] = 0x58; // BINUNICODE
      new DataView(out.buffer).setUint32(1, b.length, true);
      out.set(b, 5);
      return out;
    };
    const long8 = (n: number) => {
      const out = new Uint8Array(10);
      out[0] = 0x8a; // LONG1
      out[1] = 8;
      new DataView(out.buffer).setBigInt64(2, BigInt(n), true);
      return out;
    };
    const magic = new Uint8Array(10);
    let m = 0x1950a86a20f9469cfc6cn;
    for (let i = 0; i < 10; i++, m >>= 8n) magic[i] = Number(m & 0xffn);
    const body = Buffer.alloc(8 + count * 4);
    body.writeBigInt64LE(BigInt(count), 0);
    for (let i = 0; i < count; i++) body.writeFloatLE(i + 1, 8 + 4 * i);
    return new Uint8Array(
      Buffer.concat([
        op(0x80, 2, 0x8a, 10),
        magic,
        op(0x2e),
        op(0x80, 2, 0x4d, 0xe9, 0x03, 0x2e), // 1001
        op(0x80, 2, 0x7d, 0x2e), // {}
        op(0x80, 2, 0x7d), // {
        unicode('w'),
        text('ctorch._utils\n_rebuild_tensor_v2\n'),
        op(0x28), // MARK
        op(0x28),
        unicode('storage'),
        text('ctorch\nFloatStorage\n'),
        unicode('0'),
        unicode('cpu'),
        long8(declared),
        op(0x4e, 0x74, 0x51), // None, TUPLE, BINPERSID
        op(0x4b, 0), // offset 0
        op(0x4b, 2, 0x85), // (2,)
        op(0x4b, 1, 0x85), // (1,)
        op(0x89), // False
        text('ccollections\nOrderedDict\n'),
        op(0x29, 0x52), // () REDUCE
        op(0x74, 0x52, 0x73, 0x2e), // TUPLE REDUCE SETITEM STOP
        op(0x80, 2, 0x5d), // [
        unicode('0'),
        op(0x61, 0x2e), // APPEND STOP
        body,
      ]),
    );
  }

  it('loads when the pickle declares what the file holds', () => {
    const w = parseWeightBytes(legacyFile(2), 'ok.pt');
    expect(w.format).toBe('torch-legacy');
    expect([...new Float32Array(w.tensors.get('w')!.data.buffer)]).toEqual([1, 2]);
  });

  it('refuses a file whose pickle declares a storage larger than the file', () => {
    expectAppError(
      () => parseWeightBytes(legacyFile(250_000_000_000), 'huge.pt'),
      null,
      /huge\.pt: its pickle declares 1 storages of 1000000000008 bytes in all, but only 16 bytes follow the pickle/,
    );
  });

  it('refuses a storage whose element count disagrees with its pickle', () => {
    expectAppError(
      () => parseWeightBytes(legacyFile(3, 2), 'short.pt'),
      null,
      /short\.pt: its pickle declares 1 storages of 20 bytes in all, but only 16 bytes/,
    );
    expectAppError(
      () => parseWeightBytes(legacyFile(2, 3), 'mixed.pt'),
      null,
      /mixed\.pt: storage "0" has 3 elements at byte \d+, but its pickle declares 2/,
    );
  });
});

describe('safetensors offsets', () => {
  function safetensors(entries: Record<string, [number, number]>, bodyLength: number): Uint8Array {
    const header = Object.fromEntries(
      Object.entries(entries).map(([name, [b, e]]) => [name, { dtype: 'F32', shape: [(e - b) / 4], data_offsets: [b, e] }]),
    );
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return new Uint8Array(Buffer.concat([len, json, Buffer.alloc(bodyLength)]));
  }

  it('reads contiguous offsets that cover the data', () => {
    expect(parseWeightBytes(safetensors({ a: [0, 8], b: [8, 16] }, 16), 'ok.safetensors').tensors.size).toBe(2);
  });

  it('refuses overlapping tensors, naming the file and both tensors', () => {
    expectAppError(
      () => parseWeightBytes(safetensors({ a: [0, 8], b: [4, 12] }, 12), 'twice.safetensors'),
      null,
      /twice\.safetensors is not a valid \.safetensors file.*tensors "a" \[0, 8\) and "b" \[4, 12\) overlap/,
    );
    expectAppError(
      () => parseWeightBytes(safetensors({ a: [0, 8], b: [0, 8] }, 8), 'same.safetensors'),
      null,
      /same\.safetensors .*tensors "a" \[0, 8\) and "b" \[0, 8\) overlap/,
    );
  });

  it('refuses holes, trailing bytes and out-of-range offsets', () => {
    expectAppError(
      () => parseWeightBytes(safetensors({ a: [0, 8], b: [12, 20] }, 20), 'hole.safetensors'),
      null,
      /hole\.safetensors .*data bytes \[8, 12\) before tensor "b" belong to no tensor/,
    );
    expectAppError(
      () => parseWeightBytes(safetensors({ a: [0, 8] }, 12), 'tail.safetensors'),
      null,
      /tail\.safetensors .*the tensors cover 8 of the 12 data bytes/,
    );
    expectAppError(
      () => parseWeightBytes(safetensors({ a: [0, 8], b: [8, 16] }, 12), 'past.safetensors'),
      null,
      /past\.safetensors .*tensor "b" data \[8, 16\) lies outside the 12 data bytes/,
    );
  });
});
