/**
 * A small ZIP reader (and writer, for tests and exports) over node:zlib. Enough for torch.save
 * archives: stored (method 0) and deflated (method 8) entries, ZIP64 sizes and offsets, CRC-32
 * checked on every read. Encryption, multi-disk archives and other methods are refused.
 */
import { constants as bufferConstants } from 'node:buffer';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AppError } from '../../../src-shared/errors';
import { plainBytes } from './tensors';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

let crcTable: Int32Array | null = null;

export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function corrupt(what: string, message: string): AppError {
  return new AppError('BAD_REQUEST', `${what} is not a valid ZIP archive (corrupt or truncated): ${message}`);
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipReader {
  readonly entries: ZipEntry[];
  private readonly byName: Map<string, ZipEntry>;
  private readonly view: DataView;

  /** Parses the central directory; `what` names the file in error messages. */
  private readonly bytes: Uint8Array;
  constructor(
    bytes: Uint8Array,
    private readonly what = 'the file',
  ) {
    this.bytes = plainBytes(bytes);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.entries = this.readCentralDirectory();
    this.byName = new Map(this.entries.map((e) => [e.name, e]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * The entry's uncompressed bytes (a view into the archive for stored entries), CRC-checked.
   * Entries whose directory size exceeds `limit` are refused before any inflating, and inflating
   * stops as soon as the output passes the declared size, so a lying entry never allocates more.
   */
  read(name: string, limit = Number.MAX_SAFE_INTEGER): Uint8Array {
    const e = this.byName.get(name);
    if (!e) throw new AppError('BAD_REQUEST', `${this.what}: the ZIP archive has no entry "${name}"`);
    if (e.size > limit)
      throw new AppError(
        'BAD_REQUEST',
        `${this.what}: ZIP entry "${name}" declares ${e.size} uncompressed bytes, more than the ${limit} allowed for it`,
      );
    const { start, end } = this.dataRange(e);
    const raw = this.bytes.subarray(start, end);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      try {
        // maxOutputLength must be ≥ 1; one byte more than declared detects an entry that inflates further.
        data = plainBytes(inflateRawSync(raw, { maxOutputLength: Math.min(bufferConstants.MAX_LENGTH, Math.max(1, e.size + 1)) }));
      } catch (err) {
        if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          throw corrupt(this.what, `entry "${name}" inflates to more than the ${e.size} bytes its directory entry declares`);
        throw corrupt(this.what, `entry "${name}" does not inflate: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else
      throw new AppError(
        'UNSUPPORTED',
        `${this.what}: ZIP entry "${name}" uses compression method ${e.method} (only stored and deflate are supported)`,
      );
    if (data.length !== e.size) throw corrupt(this.what, `entry "${name}" has ${data.length} bytes, the directory says ${e.size}`);
    const crc = crc32(data);
    if (crc !== e.crc32)
      throw corrupt(this.what, `entry "${name}" fails its CRC-32 check (0x${crc.toString(16)} ≠ 0x${e.crc32.toString(16)})`);
    return data;
  }

  /**
   * Where an entry's compressed bytes lie, after checking its local header: the signature, the
   * sizes (when the header states them) against the central directory, and the file's length.
   */
  private dataRange(e: ZipEntry): { start: number; end: number } {
    const v = this.view;
    const at = e.localHeaderOffset;
    if (at + 30 > this.bytes.length || v.getUint32(at, true) !== SIG_LOCAL)
      throw corrupt(this.what, `bad local header for "${e.name}" at byte ${at}`);
    const flags = v.getUint16(at + 6, true);
    const localCompressed = v.getUint32(at + 18, true);
    const localSize = v.getUint32(at + 22, true);
    // Sizes may be deferred to a data descriptor (flag bit 3) or moved to a ZIP64 field (0xFFFFFFFF).
    if ((flags & 8) === 0 && localCompressed !== 0xffffffff && localSize !== 0xffffffff) {
      if (localCompressed !== e.compressedSize || localSize !== e.size)
        throw corrupt(
          this.what,
          `entry "${e.name}": its local header declares ${localCompressed} compressed / ${localSize} uncompressed bytes, ` +
            `the central directory ${e.compressedSize} / ${e.size}`,
        );
    }
    const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
    const end = start + e.compressedSize;
    if (end > this.bytes.length)
      throw corrupt(this.what, `entry "${e.name}" runs past the end of the file (needs byte ${end}, file has ${this.bytes.length})`);
    return { start, end };
  }

  /** Refuses entries whose stored bytes overlap (one compressed stream counted as several entries). */
  private checkOverlaps(entries: ZipEntry[]): void {
    const ranges = entries
      .map((e) => ({ name: e.name, ...this.dataRange(e), header: e.localHeaderOffset }))
      .sort((a, b) => a.header - b.header);
    for (let i = 1; i < ranges.length; i++) {
      const prev = ranges[i - 1]!;
      const cur = ranges[i]!;
      if (cur.header < prev.end)
        throw corrupt(this.what, `entries "${prev.name}" and "${cur.name}" overlap (bytes ${cur.header}..${prev.end} are shared)`);
    }
  }

  private readCentralDirectory(): ZipEntry[] {
    const v = this.view;
    const n = this.bytes.length;
    let eocd = -1;
    for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
      if (v.getUint32(i, true) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt(this.what, 'no end-of-central-directory record (truncated?)');
    let count = v.getUint16(eocd + 10, true);
    let cdSize = v.getUint32(eocd + 12, true);
    let cdOffset = v.getUint32(eocd + 16, true);
    if (v.getUint16(eocd + 4, true) !== 0 || v.getUint16(eocd + 6, true) !== 0)
      throw new AppError('UNSUPPORTED', `${this.what}: multi-disk ZIP archives are not supported`);
    const loc = eocd - 20;
    if (loc >= 0 && v.getUint32(loc, true) === SIG_EOCD64_LOCATOR) {
      const at = Number(v.getBigUint64(loc + 8, true));
      if (at + 56 > n || v.getUint32(at, true) !== SIG_EOCD64) throw corrupt(this.what, 'bad ZIP64 end-of-central-directory record');
      count = Number(v.getBigUint64(at + 32, true));
      cdSize = Number(v.getBigUint64(at + 40, true));
      cdOffset = Number(v.getBigUint64(at + 48, true));
    }
    if (cdOffset + cdSize > n)
      throw corrupt(this.what, `central directory (bytes ${cdOffset}..${cdOffset + cdSize}) lies past the end of the file (${n} bytes)`);
    const entries: ZipEntry[] = [];
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > n || v.getUint32(p, true) !== SIG_CENTRAL) throw corrupt(this.what, `bad central directory entry ${i} at byte ${p}`);
      const flags = v.getUint16(p + 8, true);
      if (flags & 1) throw new AppError('UNSUPPORTED', `${this.what}: encrypted ZIP entries are not supported`);
      const method = v.getUint16(p + 10, true);
      const crc = v.getUint32(p + 16, true);
      let compressedSize = v.getUint32(p + 20, true);
      let size = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let localHeaderOffset = v.getUint32(p + 42, true);
      if (p + 46 + nameLen + extraLen > n) throw corrupt(this.what, `central directory entry ${i} is truncated`);
      const name = new TextDecoder().decode(this.bytes.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extended information: the 0xFFFFFFFF fields, in order, as 8-byte values.
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = v.getUint16(x, true);
        const len = v.getUint16(x + 2, true);
        if (id === 0x0001) {
          let q = x + 4;
          const take = (): number => {
            const value = Number(v.getBigUint64(q, true));
            q += 8;
            return value;
          };
          if (size === 0xffffffff) size = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
        }
        x += 4 + len;
      }
      entries.push({ name, method, compressedSize, size, crc32: crc, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    this.checkOverlaps(entries);
    return entries;
  }
}

/** Writes a ZIP archive (no ZIP64: < 4 GiB). `deflate` compresses the entries; stored otherwise. */
export function writeZip(files: { name: string; data: Uint8Array }[], opts: { deflate?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const body = opts.deflate ? new Uint8Array(deflateRawSync(f.data)) : f.data;
    const crc = crc32(f.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, opts.deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, f.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, opts.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    chunks.push(local, body);
    central.push(cd);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return plainBytes(Buffer.concat([...chunks, ...central, eocd]));
}
