/** Section 1: every readable dataset with its grades, splits and validation findings. */
import { csv, type ReportContext } from '../context';

export function datasetsSection(r: ReportContext): void {
  r.section('1 Datasets');
  r.writer.table(
    [
      { header: 'Dataset', width: 0.17 },
      { header: 'Type', width: 0.11 },
      { header: 'Images', width: 0.08, align: 'right' },
      { header: 'Patients', width: 0.09, align: 'right' },
      { header: 'Grades 0/1/2/3/4', width: 0.2 },
      { header: 'Splits', width: 0.17 },
      { header: 'Issues (err/warn)', width: 0.1, align: 'right' },
      { header: 'Synthetic', width: 0.08 },
    ],
    r.datasets.map((d) => [
      d.id,
      d.type,
      String(d.items),
      String(d.patients),
      [0, 1, 2, 3, 4].map((g) => String((d.grades as Record<string, number>)[String(g)] ?? 0)).join('/'),
      Object.entries(d.splits)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      `${d.issues.error}/${d.issues.warning}`,
      d.synthetic ? 'yes' : 'no',
    ]),
  );
  r.tables.push({
    name: 'datasets',
    csv: csv([
      [
        'dataset',
        'type',
        'images',
        'patients',
        'grade0',
        'grade1',
        'grade2',
        'grade3',
        'grade4',
        'errors',
        'warnings',
        'synthetic',
        'content_sha256',
      ],
      ...r.datasets.map((d) => [
        d.id,
        d.type,
        d.items,
        d.patients,
        ...[0, 1, 2, 3, 4].map((g) => (d.grades as Record<string, number>)[String(g)] ?? 0),
        d.issues.error,
        d.issues.warning,
        d.synthetic ? 'yes' : 'no',
        r.hashes.get(d.id) ?? '',
      ]),
    ]),
  });
  for (const d of r.datasets) {
    const notes = [...d.notes, ...(d.reportProblem ? [d.reportProblem] : [])];
    if (d.issues.error + d.issues.warning > 0 || notes.length > 0) {
      r.writer.paragraph(
        `${d.id}: ${d.issues.error} image(s) excluded with errors, ${d.issues.warning} warning(s)${d.excluded !== null ? `; ${d.excluded} of ${d.candidates} candidates left out` : ''}.${notes.length ? ' ' + notes.join(' ') : ''}`,
        { size: 9 },
      );
    }
  }
}
