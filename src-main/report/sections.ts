/**
 * The analysis sections of the report (spectra, robustness, explanations): each draws what the
 * study's analysis folders hold, or says which command fills it.
 */
import type { JobContext } from '../services/jobs/context';
import type { RunInfo } from '../services/runs/run-info';
import type { PdfWriter } from './pdf-writer';
import type { Figure } from './report';

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

export interface ReportContext {
  study: string;
  studyId: string;
  runs: RunInfo[];
  pseudonym: (datasetId: string, imageId: string) => string;
  writer: PdfWriter;
  figures: Figure[];
  tables: { name: string; csv: string }[];
  section: (title: string) => void;
  placeFigure: (f: Figure) => Promise<void>;
  ctx: JobContext;
}

export async function analysisSections(r: ReportContext): Promise<void> {
  r.ctx.progress(4, 10, 'Spectra');
  r.section(REPORT_SECTIONS[3]);
  r.writer.paragraph('No spectra yet: run funduslab spectra --study <dir> --run <id> --dataset <id> for each strategy (or the Spectra page) to fill this section.');
  r.ctx.progress(5, 10, 'Robustness');
  r.section(REPORT_SECTIONS[4]);
  r.writer.paragraph('No robustness analysis yet: run funduslab robustness --study <dir> --runs <ids> --dataset <id> (or the Robustness page) to fill this section.');
  r.ctx.progress(6, 10, 'Explanations');
  r.section(REPORT_SECTIONS[5]);
  r.writer.paragraph('No explanations yet: run funduslab explain --study <dir> --runs <ids> --dataset <idrid-seg dataset> (or the Explanations page) to fill this section.');
}
