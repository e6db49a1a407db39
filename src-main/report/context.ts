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
import type { JobContext } from '../job-context';
import { csvRow } from '../services/evaluation/files';
import type { RunInfo } from '../services/runs/run-info';
import type { PdfWriter } from './pdf-writer';

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
  runs: RunInfo[];
  grid: GridSpec | null;
  results: StudyResults;
  backends: string[];
  synthetic: boolean;
  pseudonym: (datasetId: string, imageId: string) => string;
  writer: PdfWriter;
  figures: Figure[];
  tables: { name: string; csv: string }[];
  /** The section headings written so far. */
  sections: string[];
  /** Starts a numbered section (its heading is recorded for the result). */
  section: (title: (typeof REPORT_SECTIONS)[number]) => void;
  /** Adds a figure to the assets and places it in the PDF with its caption. */
  addFigure: (f: Figure) => Promise<void>;
  ctx: JobContext;
}

/** Rasterises an SVG at 2× for print. */
export async function rasterise(svg: string): Promise<{ png: Buffer; width: number; height: number }> {
  const png = await sharp(Buffer.from(svg), { density: 144 }).png({ compressionLevel: 9 }).toBuffer();
  const meta = await sharp(png).metadata();
  return { png, width: meta.width ?? 0, height: meta.height ?? 0 };
}

export function pseudonymiser(studyId: string, reveal: boolean): (datasetId: string, imageId: string) => string {
  return (datasetId, imageId) =>
    reveal ? imageId : `img-${createHash('sha256').update(`${studyId}\u0000${datasetId}\u0000${imageId}`).digest('hex').slice(0, 10)}`;
}

export const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
export const ci = (lo: number, hi: number) => `${lo.toFixed(3)}–${hi.toFixed(3)}`;
export const pValue = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

/** CSV text of rows (each cell quoted when it needs to be). */
export function csv(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map(csvRow).join('\n') + '\n';
}
