/**
 * The fuzz loop of inputs.test.ts, run in a child process so its peak memory is its own: bundled,
 * then `node fuzz-inputs.mjs <runs per format> <seed>` with the test fixtures' folder in FUZZ_GOLDEN.
 * Valid inputs of each format are mutated by fast-check: bit flips, truncation, and inflating the
 * format's length fields (ZIP sizes, pickle BINUNICODE/BINBYTES lengths, the safetensors header
 * length, PNG IHDR dimensions, TIFF strip and dimension tags, JPEG frame dimensions and segment
 * lengths); CSV text also gets stray quotes, delimiters, NULs and odd grade cells. Each mutated input
 * goes to the product's reader. A case passes when the reader returns, or throws the error class it
 * documents naming the file: AppError for weights and label CSVs (the message names the file),
 * ImageProblem for images and masks (the importer reports it with the file). Anything else, or a case
 * that does not settle within CASE_DEADLINE_MS, is a failure.
 *
 * Before each case its description is written to the file named by FUZZ_PROGRESS, so a case that
 * blocks the event loop (a synchronous reader that never returns) is named by the parent when it
 * kills the child. The last line on stdout is a JSON summary with the peak RSS.
 */
import { closeSync, openSync, promises as fsp, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { inspectWeightFile } from '../../../src-main/engine/weights/inspect';
import { parseWeightBytes } from '../../../src-main/engine/weights/read';
import { crc32 } from '../../../src-main/engine/weights/zip';
import { decodeImage, decodeMask, ImageProblem } from '../../../src-main/services/datasets/image';
import { readLabelCsv } from '../../../src-main/services/datasets/import/csv-reader';
import { columnIndex } from '../../../src-main/services/datasets/csv';
import { parseGrade } from '../../../src-main/services/datasets/import/layouts/common';
import { AppError } from '../../../src-shared/errors';
import { ValidationLimits } from '../../../src-shared/datasets';
import { encodeMask, fundusRaw, rectPattern } from '../datasets/fixtures';

export const CASE_DEADLINE_MS = 5000;

/** A length or size field of a format: where it is, how wide, its byte order, and what must be fixed after changing it. */
interface Field {
  name: string;
  at: number;
  size: 2 | 4 | 8;
  bigEndian: boolean;
  /** Recomputes a checksum over the changed bytes (PNG chunk CRC), so the reader looks past it. */
  fix?: (b: Buffer) => void;
}

interface Seed {
  format: string;
  /** The file name the reader is given (its messages must name it). */
  file: string;
  bytes: Buffer;
  fields: Field[];
  read: (bytes: Buffer, file: string) => Promise<unknown>;
  /** The errors a reader may throw for damaged input. */
  expected: (error: unknown, file: string) => boolean;
}

type Mutation =
  | { kind: 'flip'; flips: { at: number; bit: number }[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'inflate'; field: number; value: number }
  | { kind: 'splice'; at: number; text: string };

const BIG = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 65535, 30000, 4096, 0];
const SPLICES = ['"', '""', ',', ';', '\t', '\n', '\r', '\u0000', '0x2', '1e0', '-1', '+2', '2.0', '\ufeff', 'é', '\ud800'];

/** ZIP local/central headers and the end record: sizes, name lengths, offsets. */
function zipFields(b: Buffer): Field[] {
  const out: Field[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = b.readUInt32LE(i);
    const f = (name: string, off: number, size: 2 | 4) => out.push({ name: `${name}@${i}`, at: i + off, size, bigEndian: false });
    if (sig === 0x04034b50) {
      f('local compressed size', 18, 4);
      f('local size', 22, 4);
      f('local name length', 26, 2);
      f('local extra length', 28, 2);
    } else if (sig === 0x02014b50) {
      f('central compressed size', 20, 4);
      f('central size', 24, 4);
      f('central name length', 28, 2);
      f('central offset', 42, 4);
    } else if (sig === 0x06054b50) {
      f('directory entries', 10, 2);
      f('directory size', 12, 4);
      f('directory offset', 16, 4);
    }
  }
  return out;
}

/** Pickle BINUNICODE ('X') and BINBYTES ('B') lengths: an opcode followed by a short printable payload. */
function pickleFields(b: Buffer): Field[] {
  const out: Field[] = [];
  for (let i = 0; i + 5 < b.length && out.length < 64; i++) {
    if (b[i] !== 0x58 && b[i] !== 0x42) continue;
    const n = b.readUInt32LE(i + 1);
    if (n === 0 || n > 200 || i + 5 + n > b.length) continue;
    const payload = b.subarray(i + 5, i + 5 + n);
    if (payload.every((c) => c >= 0x20 && c < 0x7f))
      out.push({ name: `${b[i] === 0x58 ? 'BINUNICODE' : 'BINBYTES'}@${i}`, at: i + 1, size: 4, bigEndian: false });
  }
  return out;
}

function pngFields(): Field[] {
  const fix = (b: Buffer) => {
    if (b.length >= 33) b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
  };
  return [
    { name: 'IHDR width', at: 16, size: 4, bigEndian: true, fix },
    { name: 'IHDR height', at: 20, size: 4, bigEndian: true, fix },
    { name: 'IHDR length', at: 8, size: 4, bigEndian: true },
    { name: 'first chunk after IHDR length', at: 33, size: 4, bigEndian: true },
  ];
}

/** IFD0 entries of a little-endian TIFF whose values are sizes, offsets or counts. */
function tiffFields(b: Buffer): Field[] {
  const out: Field[] = [];
  const ifd = b.readUInt32LE(4);
  const count = b.readUInt16LE(ifd);
  const names: Record<number, string> = {
    256: 'ImageWidth',
    257: 'ImageLength',
    258: 'BitsPerSample',
    273: 'StripOffsets',
    277: 'SamplesPerPixel',
    278: 'RowsPerStrip',
    279: 'StripByteCounts',
    320: 'ColorMap',
  };
  for (let k = 0; k < count; k++) {
    const e = ifd + 2 + 12 * k;
    const tag = b.readUInt16LE(e);
    const type = b.readUInt16LE(e + 2);
    if (!names[tag]) continue;
    out.push({ name: `${names[tag]} count`, at: e + 4, size: 4, bigEndian: false });
    if (type === 3 || type === 4) out.push({ name: names[tag]!, at: e + 8, size: type === 3 ? 2 : 4, bigEndian: false });
  }
  return out;
}

/** JPEG segment lengths up to the scan, and the frame's height and width. */
function jpegFields(b: Buffer): Field[] {
  const out: Field[] = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    out.push({ name: `segment FF${marker.toString(16)} length`, at: i + 2, size: 2, bigEndian: true });
    if (marker === 0xc0 || marker === 0xc2) {
      out.push({ name: 'frame height', at: i + 5, size: 2, bigEndian: true }, { name: 'frame width', at: i + 7, size: 2, bigEndian: true });
    }
    if (marker === 0xda) break;
    i += 2 + b.readUInt16BE(i + 2);
  }
  return out;
}

export function applyMutation(seed: Seed, m: Mutation): Buffer {
  const b = Buffer.from(seed.bytes);
  switch (m.kind) {
    case 'flip':
      for (const f of m.flips) b[f.at % b.length]! ^= 1 << f.bit;
      return b;
    case 'truncate':
      return b.subarray(0, m.at % b.length);
    case 'inflate': {
      const f = seed.fields[m.field % seed.fields.length]!;
      if (f.at + f.size > b.length) return b;
      if (f.size === 8) b.writeBigUInt64LE(BigInt(m.value) * 4096n, f.at);
      else if (f.size === 4) (f.bigEndian ? b.writeUInt32BE : b.writeUInt32LE).call(b, m.value >>> 0, f.at);
      else (f.bigEndian ? b.writeUInt16BE : b.writeUInt16LE).call(b, m.value & 0xffff, f.at);
      f.fix?.(b);
      return b;
    }
    case 'splice': {
      const at = m.at % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
    }
  }
}

export function describeMutation(seed: Seed, m: Mutation): string {
  switch (m.kind) {
    case 'flip':
      return `${seed.format}: flip ${m.flips.map((f) => `bit ${f.bit} of byte ${f.at % seed.bytes.length}`).join(', ')}`;
    case 'truncate':
      return `${seed.format}: truncate to ${m.at % seed.bytes.length} of ${seed.bytes.length} bytes`;
    case 'inflate':
      return `${seed.format}: set ${seed.fields[m.field % seed.fields.length]!.name} to ${m.value}`;
    case 'splice':
      return `${seed.format}: insert ${JSON.stringify(m.text)} at byte ${m.at % (seed.bytes.length + 1)}`;
  }
}

function mutations(seed: Seed): fc.Arbitrary<Mutation> {
  const n = seed.bytes.length;
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({
      kind: fc.constant('flip' as const),
      flips: fc.array(fc.record({ at: fc.nat({ max: n - 1 }), bit: fc.nat({ max: 7 }) }), { minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: n - 1 }) }),
  ];
  if (seed.fields.length > 0) {
    const inflate = fc.record({
      kind: fc.constant('inflate' as const),
      field: fc.nat({ max: seed.fields.length - 1 }),
      value: fc.oneof(fc.constantFrom(...BIG), fc.nat()),
    });
    options.push(inflate, inflate);
  }
  if (seed.format === 'csv')
    options.push(fc.record({ kind: fc.constant('splice' as const), at: fc.nat({ max: n }), text: fc.constantFrom(...SPLICES) }));
  return fc.oneof(...options);
}

const names = (file: string) => (error: unknown) => error instanceof AppError && error.message.includes(path.basename(file));

async function seeds(tmp: string, golden: string): Promise<Seed[]> {
  const limits = ValidationLimits.parse({});
  const weights = async (bytes: Buffer, file: string) => inspectWeightFile(parseWeightBytes(bytes, file));
  const image = async (bytes: Buffer) => decodeImage(bytes, limits);
  const isImageProblem = (error: unknown) => error instanceof ImageProblem;
  const W = 300;
  const H = 200;
  const fundus = sharp(fundusRaw(W, H, 150, 100, 90), { raw: { width: W, height: H, channels: 3 } });
  const png = await fundus.clone().png().toBuffer();
  const jpeg = await fundus.clone().jpeg({ quality: 80 }).toBuffer();
  const tiff = await encodeMask('palette8', W, H, rectPattern(W, H, 20, 30, 60, 50));
  const zipPt = await fsp.readFile(path.join(golden, 'dtypes.pt'));
  const legacyPt = await fsp.readFile(path.join(golden, 'dtypes_legacy.pt'));
  const safetensors = await fsp.readFile(path.join(golden, 'dtypes.safetensors'));
  const csv = Buffer.from('image,level,Usage\n1_left,0,Public\n1_right,2,Private\n"2_left",4,Public\n2_right,1,\n');
  const csvFile = path.join(tmp, 'labels.csv');
  return [
    {
      format: 'pth (zip)',
      file: 'fuzz-zip.pth',
      bytes: zipPt,
      fields: [...zipFields(zipPt), ...pickleFields(zipPt)],
      read: weights,
      expected: names('fuzz-zip.pth'),
    },
    {
      format: 'pth (legacy pickle)',
      file: 'fuzz-legacy.pth',
      bytes: legacyPt,
      fields: pickleFields(legacyPt),
      read: weights,
      expected: names('fuzz-legacy.pth'),
    },
    {
      format: 'safetensors',
      file: 'fuzz.safetensors',
      bytes: safetensors,
      fields: [{ name: 'header length', at: 0, size: 8, bigEndian: false }],
      read: weights,
      expected: names('fuzz.safetensors'),
    },
    { format: 'png', file: 'fuzz.png', bytes: png, fields: pngFields(), read: image, expected: isImageProblem },
    { format: 'jpeg', file: 'fuzz.jpeg', bytes: jpeg, fields: jpegFields(jpeg), read: image, expected: isImageProblem },
    {
      format: 'tiff mask',
      file: 'fuzz.tif',
      bytes: tiff,
      fields: tiffFields(tiff),
      read: async (bytes) => decodeMask(bytes, limits, { width: W, height: H }),
      expected: isImageProblem,
    },
    {
      format: 'csv',
      file: csvFile,
      bytes: csv,
      fields: [],
      read: async (bytes, file) => {
        await fsp.writeFile(file, bytes);
        const table = await readLabelCsv(file);
        const level = columnIndex(table, 'level');
        return table.rows.map((r) => parseGrade(r.cells[level], 4, { index: level, name: 'level' }));
      },
      expected: names(csvFile),
    },
  ];
}

/** Runs `work` with a deadline; resolves to the outcome instead of throwing. */
async function settle(work: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; error: unknown } | { hung: true }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ hung: true }>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), CASE_DEADLINE_MS);
  });
  try {
    return await Promise.race([
      work().then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface FuzzSummary {
  cases: Record<string, number>;
  failures: { input: string; problem: string }[];
  maxRssBytes: number;
  seconds: number;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 100);
  const seed = Number(process.argv[3] ?? 23);
  const progress = process.env.FUZZ_PROGRESS ? openSync(process.env.FUZZ_PROGRESS, 'w') : null;
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'fuzz-inputs-'));
  const started = Date.now();
  const summary: FuzzSummary = { cases: {}, failures: [], maxRssBytes: 0, seconds: 0 };
  try {
    for (const s of await seeds(tmp, process.env.FUZZ_GOLDEN ?? 'test/golden/resnet')) {
      summary.cases[s.format] = 0;
      await fc.assert(
        fc.asyncProperty(mutations(s), async (m) => {
          const input = describeMutation(s, m);
          if (progress !== null) writeSync(progress, `${input}\n`);
          const bytes = applyMutation(s, m);
          summary.cases[s.format]!++;
          const r = await settle(() => s.read(bytes, s.file));
          if ('hung' in r) summary.failures.push({ input, problem: `no answer within ${CASE_DEADLINE_MS} ms` });
          else if (!r.ok && !s.expected(r.error, s.file)) {
            const e = r.error as Error;
            summary.failures.push({ input, problem: `${e?.constructor?.name ?? typeof e}: ${String(e?.message ?? e).slice(0, 300)}` });
          }
        }),
        { numRuns: runs, seed, endOnFailure: true },
      );
    }
  } finally {
    if (progress !== null) closeSync(progress);
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  summary.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  summary.seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
