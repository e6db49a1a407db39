/**
 * `funduslab rm <kind> <name> --study <dir> [--yes]` moves a run, evaluation, analysis, dataset or
 * report into the study's trash; `funduslab trash list|restore <entry>|empty [--entry <id>]` lists,
 * restores and (only when asked) empties it. A dataset that runs or results depend on is only moved
 * with `--yes`; without it the command lists them and moves nothing.
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { TRASH_KINDS, TRASH_KIND_LABELS, TrashKind, dependentLines, type TrashEntry } from '../../../src-shared/trash';
import { trashDelete, trashEmpty, trashList, trashRestore } from '../../services/study-folder/trash';
import { parseCommandArgs } from '../args';

export const RM_USAGE = `funduslab rm ${TRASH_KINDS.join('|')} <name> --study <dir> [--yes] [--json]`;
export const TRASH_USAGE = [
  'funduslab trash list --study <dir> [--json]',
  'funduslab trash restore <entry> --study <dir> [--json]',
  'funduslab trash empty --study <dir> [--entry <entry>] [--json]',
].join('\n       ');

function requireStudy(study: string | undefined, usage: string): string {
  if (!study) throw new AppError('BAD_REQUEST', `Usage: ${usage}`, [{ path: 'study', message: 'give --study <dir>' }]);
  return path.resolve(study);
}

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify({ ok: true, value }, null, 2) + '\n' : text + '\n');
}

/** One trash entry as a line: id, what, where it was. */
export function formatTrashEntry(e: TrashEntry): string {
  if (e.problem) return `${e.id}  (unreadable: ${e.problem})`;
  const missing = e.missing.length > 0 ? ` (incomplete: ${e.missing.join(', ')} not in the entry)` : '';
  return `${e.id}  ${TRASH_KIND_LABELS[e.kind!]} ${e.name}  from ${e.paths.join(', ')}${missing}`;
}

export async function runRm(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { study: { type: 'string' }, yes: { type: 'boolean', default: false } });
  const study = requireStudy(values.study, RM_USAGE);
  const kind = TrashKind.safeParse(positionals[0]);
  if (positionals.length !== 2 || !kind.success)
    throw new AppError('BAD_REQUEST', `Usage: ${RM_USAGE}`, [{ path: 'kind', message: `one of ${TRASH_KINDS.join(', ')}, then the name` }]);
  const name = positionals[1]!;
  const answer = await trashDelete(study, kind.data, name, { confirm: values.yes });
  if (answer.status === 'needs-confirmation')
    throw new AppError(
      'CONFLICT',
      `${answer.message} Run again with --yes to move the dataset into the trash.`,
      dependentLines(answer.dependents).map((line) => ({ path: 'dependents', message: line })),
    );
  const id = answer.entry.id;
  print(
    values.json,
    answer.entry,
    `moved ${TRASH_KIND_LABELS[kind.data]} ${name} into the trash (entry ${id}); \`funduslab trash restore ${id} --study ${study}\` puts it back`,
  );
  return 0;
}

export async function runTrash(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommandArgs(rest, { study: { type: 'string' }, entry: { type: 'string' } });
  const study = requireStudy(values.study, TRASH_USAGE);
  if (sub === 'list' && positionals.length === 0) {
    const entries = await trashList(study);
    print(values.json, entries, entries.length === 0 ? `The trash of ${study} is empty.` : entries.map(formatTrashEntry).join('\n'));
    return 0;
  }
  if (sub === 'restore' && positionals.length === 1 && values.entry === undefined) {
    const entry = await trashRestore(study, positionals[0]!);
    print(values.json, entry, `restored ${entry.paths.join(', ')} from trash entry ${entry.id}`);
    return 0;
  }
  if (sub === 'empty' && positionals.length === 0) {
    const { removed } = await trashEmpty(study, values.entry);
    const text =
      removed.length === 0
        ? 'The trash was already empty.'
        : `removed ${removed.length} trash entr${removed.length === 1 ? 'y' : 'ies'} for good: ${removed.join(', ')}`;
    print(values.json, { removed }, text);
    return 0;
  }
  throw new AppError('BAD_REQUEST', `Usage: ${TRASH_USAGE}`);
}
