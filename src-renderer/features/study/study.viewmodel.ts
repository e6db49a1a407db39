/**
 * Study forms and summaries, as pure functions (no React, no DOM). Form checks reuse the very
 * schemas the main side applies, so the messages next to the fields are the same either way.
 */
import { contract } from '../../../src-shared/contract';
import { fieldIssues } from '../../../src-shared/errors';
import type { StudySummary } from '../../../src-shared/study';
import type { RecentStudy } from '../../../src-shared/settings';
import { formatDateTime, formatRelativeTime } from '../../shared/format.viewmodel';

export type FieldErrors = Record<string, string>;

function firstPerField(issues: { path: string; message: string }[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of issues) {
    const head = issue.path.split('.')[0] ?? '';
    if (!(head in fields)) fields[head] = issue.message;
  }
  return fields;
}

/** Field errors for the Create form (empty when the input would be accepted). */
export function checkCreateStudy(input: { path: string; name: string }): FieldErrors {
  const parsed = contract['study.create'].input.safeParse({ path: input.path.trim(), name: input.name });
  return parsed.success ? {} : firstPerField(fieldIssues(parsed.error));
}

/** Field errors for the Open form. */
export function checkOpenStudy(input: { path: string }): FieldErrors {
  const parsed = contract['study.open'].input.safeParse({ path: input.path.trim() });
  return parsed.success ? {} : firstPerField(fieldIssues(parsed.error));
}

/** An example absolute path in the platform's style, for helper texts. */
export function examplePath(platform: string): string {
  if (platform === 'win32') return 'D:\\Studies\\dr-study';
  if (platform === 'darwin') return '/Users/you/Studies/dr-study';
  return '/home/you/studies/dr-study';
}

export interface SummaryRow {
  label: string;
  value: string;
  /** Shown in a monospace font (paths, identifiers). */
  mono?: boolean;
}

export function studySummaryRows(summary: StudySummary, locale?: string): SummaryRow[] {
  const { study } = summary;
  // The name is the card's heading; rows are ordered to read well in two columns.
  return [
    { label: 'Folder', value: summary.path, mono: true },
    { label: 'Created', value: formatDateTime(study.createdAt, locale) },
    { label: 'Study id', value: study.id, mono: true },
    { label: 'Last changed', value: formatDateTime(study.updatedAt, locale) },
    { label: 'Created with', value: `${study.createdWith.app} ${study.createdWith.version}` },
    { label: 'Schema version', value: String(study.schemaVersion) },
  ];
}

export interface RecentRow {
  path: string;
  name: string;
  opened: string;
  isOpen: boolean;
}

export function recentRows(recent: readonly RecentStudy[], openPath: string | null, now: number, locale?: string): RecentRow[] {
  return [...recent]
    .sort((a, b) => Date.parse(b.openedAt) - Date.parse(a.openedAt))
    .map((r) => ({
      path: r.path,
      name: r.name,
      opened: `last used ${formatRelativeTime(r.openedAt, now, locale)}`,
      isOpen: r.path === openPath,
    }));
}
