/**
 * What every section of the report shares: the study as read once at the start, the PDF writer, the
 * figures and tables collected for the assets folder, and small formatting helpers. Each section
 * (sections/*.ts) is a function of this context; report.ts reads the study, runs the sections in
 * order and writes the files.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { ReadableDatasetSummary } from '../../src-shared/contract';
import type { StudyResults } from '../../src-shared/evaluation';
import type { GridSpec } from '../../src-shared/grid';
import type { StudyFile } from '../../src-shared/study';
import type { TrainingEpochLog } from '../../src-shared/training';
import type { JobContext } from '../job-context';
import { csvRow } from '../services/evaluation/files';
import type { RunWithStanding } from '../services/runs/run-info';
import type { PdfWriter } from './pdf-writer';
import type { PretrainingInfo } from './pretrainings';

/** Every section heading of the report, in order (tests look for each in the PDF text). */
export const REPORT_SECTIONS = [
  '1 Datasets',
  '2 Methods',
  '3 Referable-DR AUC (Fig 2)',
  '4 Representation spectra (Fig 3, Table 2)',
  '5 Robustness to image distortions (Fig 4)',
  '6 Explanations and lesions (Fig 5, Table 3)',
  '7 Limitations',
  'Appendix: per-run training metrics',
] as const;

export interface Figure {
  name: string;
  svg: string;
  caption: string;
  /** Photographs (image grids): embedded in the PDF as JPEG, which keeps the file small; charts stay PNG. */
  photo?: boolean;
}

/** A figure as rasterised once: the bytes placed in the PDF and the PNG written to the assets. */
export interface RasterFigure extends Figure {
  png: Buffer;
}

export interface ReportContext {
  study: string;
  studyFile: StudyFile;
  /** Print real image identifiers instead of pseudonyms. */
  revealImageIds: boolean;
  date: Date;
  datasets: ReadableDatasetSummary[];
  /** sha256 of each dataset's content (datasetContentHash), by dataset id. */
  hashes: Map<string, string>;
  /** The runs the report shows: the current ones, and the outdated ones too when `includeOutdated`. */
  runs: RunWithStanding[];
  /** Runs trained with settings the grid no longer has, left out of every section (empty when `includeOutdated`). */
  outdatedRuns: RunWithStanding[];
  /** Outdated runs and their results are shown (and marked) instead of left out. */
  includeOutdated: boolean;
  /** Whether a run's results are left out of the report (an outdated run, unless `includeOutdated`). */
  leftOut: (runId: string) => boolean;
  /** Analyses (`<kind>/<name>`) whose dataset or run changed since they were computed, with what changed: left out (Methods lists them). */
  changedResults: Map<string, string[]>;
  /** Each run's epochs (runs/<id>/log.ndjson), by run id. */
  logs: Map<string, TrainingEpochLog[]>;
  /** The MoCo v2 pretrainings the IWNE-CL runs fine-tuned from, with their summaries and logs. */
  pretrainings: PretrainingInfo[];
  grid: GridSpec | null;
  results: StudyResults;
  backends: string[];
  synthetic: boolean;
  pseudonym: (datasetId: string, imageId: string) => string;
  writer: PdfWriter;
  figures: RasterFigure[];
  tables: { name: string; csv: string }[];
  /** The section headings written so far. */
  sections: string[];
  /** Starts a numbered section (its heading is recorded for the result). */
  section: (title: (typeof REPORT_SECTIONS)[number]) => void;
  /** Adds a figure to the assets and places it in the PDF with its caption. */
  addFigure: (f: Figure) => Promise<void>;
  ctx: JobContext;
}

/**
 * Rasterises an SVG at 2× for print: the PNG for the assets and what the PDF embeds. Charts: the same
 * palette PNG in both. Photographs: a JPEG (quality 82) in the PDF, and an asset PNG at 1× (the SVG
 * beside it keeps the images themselves), so neither file grows large.
 */
export async function rasterise(svg: string, photo = false): Promise<{ png: Buffer; embed: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(svg), { density: 144 })
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
  const png = photo
    ? await sharp(data, raw)
        .resize(Math.max(1, Math.round(info.width / 2)))
        .png({ compressionLevel: 9, palette: true, quality: 90 })
        .toBuffer()
    : await sharp(data, raw).png({ compressionLevel: 9, palette: true, quality: 100 }).toBuffer();
  const embed = photo ? await sharp(data, raw).jpeg({ quality: 82, mozjpeg: true }).toBuffer() : png;
  return { png, embed, width: info.width, height: info.height };
}

export function pseudonymiser(studyId: string, reveal: boolean): (datasetId: string, imageId: string) => string {
  return (datasetId, imageId) =>
    reveal ? imageId : `img-${createHash('sha256').update(`${studyId}\u0000${datasetId}\u0000${imageId}`).digest('hex').slice(0, 10)}`;
}

/** A number with `d` decimals and a true minus sign (U+2212); "—" when missing. A value that rounds to zero prints unsigned. */
export const fmt = (v: number | null | undefined, d = 3): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(d);
  return Number(s) === 0 ? s.replace(/^-/, '') : s.replace(/^-/, '−');
};
/** A confidence interval: "0.612 to 0.804", "−0.216 to −0.006". */
export const ci = (lo: number, hi: number, d = 3) => `${fmt(lo, d)} to ${fmt(hi, d)}`;
export const pValue = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** A date and time for readers: "6 Dec 2026, 14:05 UTC"; the text itself when it is not a date. */
export function dateTime(value: Date | string): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return String(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/**
 * The settings of the analysis results a section uses, one per line, and how they were chosen when
 * the study holds more than one result for a run and dataset (`total` results before the choice).
 */
export function settingsParagraph<T>(used: readonly T[], total: number, what: (r: T) => string, settings: (r: T) => string): string {
  const lines = used.map((x) => `${what(x)}: ${settings(x)}.`);
  const rule =
    total > used.length
      ? ` The study holds ${total} such results; for each run and dataset the most recent one with the default settings is used, else the most recent one.`
      : '';
  return `Settings.${rule}\n${lines.join('\n')}`;
}

/** CSV text of rows (each cell quoted when it needs to be). */
export function csv(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map(csvRow).join('\n') + '\n';
}
