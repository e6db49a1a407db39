import { useState } from 'react';
import Button from '@mui/material/Button';
import type { ChannelOutput } from '../../../src-shared/contract';
import type { TrashEntry, TrashKind } from '../../../src-shared/trash';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { ConfirmDialog } from './ConfirmDialog';
import { deleteDialog, dependentsDialog, type DialogText } from './trash.viewmodel';

interface Props {
  studyPath: string;
  kind: TrashKind;
  name: string;
  /** Called once the item is in the trash (the page re-reads its list). */
  onDeleted(entry: TrashEntry): void;
  testId?: string;
}

type Answer = Extract<ChannelOutput<'trash.delete'>, { status: 'needs-confirmation' }>;

/**
 * Delete (move to the study's trash) with a confirm dialog naming what moves. A dataset that runs or
 * results depend on asks a second time, listing them, before it moves.
 */
export function DeleteButton({ studyPath, kind, name, onDeleted, testId }: Props) {
  const client = useClient();
  const [dialog, setDialog] = useState<{ text: DialogText; confirm: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm(withDependents: boolean) {
    setBusy(true);
    setError(null);
    try {
      const answer = await client.call('trash.delete', { studyPath, kind, name, ...(withDependents ? { confirm: true } : {}) });
      if (answer.status === 'needs-confirmation') setDialog({ text: dependentsDialog(name, answer as Answer), confirm: true });
      else {
        setDialog(null);
        onDeleted(answer.entry);
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <Button
        size="small"
        color="error"
        aria-label={`Delete ${kind} ${name}`}
        data-testid={testId ?? `delete-${kind}-${name}`}
        onClick={(e) => {
          e.stopPropagation();
          setError(null);
          setDialog({ text: deleteDialog(kind, name), confirm: false });
        }}
      >
        Delete
      </Button>
      {dialog ? (
        <ConfirmDialog
          text={dialog.text}
          busy={busy}
          error={error}
          onConfirm={() => void confirm(dialog.confirm)}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </>
  );
}
