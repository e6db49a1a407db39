/**
 * The texts and rows of deleting and of the Trash page: what the confirm dialog says moves where,
 * the second question for a dataset that runs or results depend on, one row per trash entry, and the
 * notices after a deletion, a restore or emptying the trash. Pure: no React, no calls.
 */
import type { ChannelOutput } from '../../../src-shared/contract';
import { TRASH_KIND_LABELS, dependentLines, type TrashEntry, type TrashKind } from '../../../src-shared/trash';
import { formatDateTime } from '../../shared/format.viewmodel';

export interface DialogText {
  title: string;
  body: string;
  /** Lines listed under the body (what depends on a dataset), or none. */
  items: string[];
  confirmLabel: string;
}

/** The first question: what moves into the trash and that it can be restored. */
export function deleteDialog(kind: TrashKind, name: string): DialogText {
  const what = TRASH_KIND_LABELS[kind];
  const also = kind === 'report' ? ' (with its figures and tables folder)' : '';
  return {
    title: `Delete ${what} ${name}?`,
    body: `The ${what} "${name}"${also} moves into the study's trash (.trash in the study folder). Nothing is erased: restore it from the Trash page until you empty the trash.`,
    items: [],
    confirmLabel: 'Move to trash',
  };
}

/** The second question for a dataset that runs or results depend on: the list, and that only the dataset moves. */
export function dependentsDialog(
  name: string,
  answer: Extract<ChannelOutput<'trash.delete'>, { status: 'needs-confirmation' }>,
): DialogText {
  const items = dependentLines(answer.dependents);
  return {
    title: `Dataset ${name} is in use`,
    body: `${items.length} item${items.length === 1 ? ' depends' : 's depend'} on this dataset. Only the dataset moves to the trash; these stay in the study, but cannot be retrained, evaluated or analysed again until the dataset is restored.`,
    items,
    confirmLabel: 'Move the dataset to trash',
  };
}

export interface TrashRow {
  id: string;
  /** `run r-a`, `report report-1.pdf` … or `unreadable entry`. */
  what: string;
  /** Where it was in the study. */
  from: string;
  /** When it was deleted, for people. */
  when: string;
  canRestore: boolean;
  /** Why it cannot be restored, or a note that it is incomplete; null when all is well. */
  note: string | null;
}

export function trashRows(entries: readonly TrashEntry[], locale?: string): TrashRow[] {
  return entries.map((e) => {
    if (e.problem || !e.kind) return { id: e.id, what: 'unreadable entry', from: '', when: e.id, canRestore: false, note: e.problem };
    const held = e.paths.length - e.missing.length;
    return {
      id: e.id,
      what: `${TRASH_KIND_LABELS[e.kind]} ${e.name}`,
      from: e.paths.join(', '),
      when: formatDateTime(e.deletedAt, locale),
      canRestore: held > 0,
      note: e.missing.length > 0 ? `Incomplete: ${e.missing.join(', ')} is not in this entry.` : null,
    };
  });
}

/** After a deletion. */
export function deletedNotice(entry: TrashEntry): string {
  return `Moved ${TRASH_KIND_LABELS[entry.kind!]} ${entry.name} to the trash. Restore it from the Trash page.`;
}

/** After a restore. */
export function restoredNotice(entry: TrashEntry): string {
  return `Restored ${entry.kind ? TRASH_KIND_LABELS[entry.kind] : 'entry'} ${entry.name ?? entry.id} to ${entry.paths.join(', ')}.`;
}

/** The question before emptying: one entry or all, and that this cannot be undone. */
export function emptyDialog(entries: readonly TrashEntry[], one?: TrashEntry): DialogText {
  if (one) {
    const what = one.kind ? `${TRASH_KIND_LABELS[one.kind]} ${one.name}` : `entry ${one.id}`;
    return {
      title: `Erase ${what} for good?`,
      body: `Its files are removed from the disk. This cannot be undone.`,
      items: [],
      confirmLabel: 'Erase for good',
    };
  }
  return {
    title: 'Empty the trash?',
    body: `The ${entries.length === 1 ? '1 deleted item in the trash is' : `${entries.length} deleted items in the trash are`} removed from the disk. This cannot be undone.`,
    items: trashRows(entries).map((r) => r.what),
    confirmLabel: 'Empty trash',
  };
}

/** After emptying. */
export function emptiedNotice(removed: readonly string[]): string {
  return removed.length === 0
    ? 'The trash was already empty.'
    : `Erased ${removed.length} trash entr${removed.length === 1 ? 'y' : 'ies'} for good.`;
}

/** The evaluation folders the Results page can delete: every row's folder and every unreadable one, sorted. */
export function evaluationNames(results: Pick<ChannelOutput<'results.get'>, 'rows' | 'skipped'>): string[] {
  const names = new Set(results.rows.map((r) => r.evaluation));
  for (const s of results.skipped) names.add(s.path.split(/[\\/]/).pop()!);
  return [...names].sort();
}
