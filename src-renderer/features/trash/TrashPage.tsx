import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { TrashEntry } from '../../../src-shared/trash';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import { PageHeader } from '../../shared/PageHeader';
import { RefreshButton } from '../../shared/RefreshButton';
import { StudyRequiredCard } from '../../shared/StudyRequiredCard';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useStudy } from '../study/StudyStore';
import { ConfirmDialog } from './ConfirmDialog';
import { emptiedNotice, emptyDialog, restoredNotice, trashRows, type DialogText } from './trash.viewmodel';

const DESCRIPTION =
  "Deleted runs, evaluations, analyses, datasets and reports wait here (in the study folder's .trash) until you restore them or empty the trash.";

/** The open study's trash: every deletion with Restore, and erasing one entry or all of them (each asked first). */
export function TrashPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const client = useClient();
  const studyPath = openStudy?.path ?? null;
  const list = useStudyQuery('trash.list', studyPath ? { studyPath } : null);
  const [notice, setNotice] = useState<{ severity: 'success' | 'error'; text: string } | null>(null);
  const [dialog, setDialog] = useState<{ text: DialogText; entry?: TrashEntry } | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);

  if (!studyPath) {
    return (
      <>
        <PageHeader title="Trash" description={DESCRIPTION} focusOnMount={focusHeading} />
        <StudyRequiredCard testId="trash-no-study" text="Each study keeps its own trash in its folder." />
      </>
    );
  }
  const entries = list.data ?? [];
  const rows = trashRows(entries);

  async function restore(entry: TrashEntry) {
    setNotice(null);
    try {
      const restored = await client.call('trash.restore', { studyPath: studyPath!, entry: entry.id });
      setNotice({ severity: 'success', text: restoredNotice(restored) });
    } catch (err) {
      setNotice({ severity: 'error', text: errorMessage(err) });
    }
    list.refresh();
  }

  async function erase(entry: TrashEntry | undefined) {
    setBusy(true);
    setDialogError(null);
    try {
      const { removed } = await client.call('trash.empty', { studyPath: studyPath!, ...(entry ? { entry: entry.id } : {}) });
      setDialog(null);
      setNotice({ severity: 'success', text: emptiedNotice(removed) });
      list.refresh();
    } catch (err) {
      setDialogError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader
        title="Trash"
        description={DESCRIPTION}
        focusOnMount={focusHeading}
        actions={
          <>
            <RefreshButton onClick={list.refresh} what="trash" />
            <Button
              variant="outlined"
              color="error"
              disabled={entries.length === 0}
              data-testid="trash-empty"
              onClick={() => {
                setDialogError(null);
                setDialog({ text: emptyDialog(entries) });
              }}
            >
              Empty trash
            </Button>
          </>
        }
      />
      <Stack spacing={2}>
        <LoadErrorAlert error={list.error} onRetry={list.refresh} />
        {notice ? (
          <Alert severity={notice.severity} onClose={() => setNotice(null)} data-testid="trash-notice">
            {notice.text}
          </Alert>
        ) : null}
        <Card component="section" aria-labelledby="trash-title">
          <CardContent>
            <Typography variant="h2" id="trash-title" gutterBottom>
              Deleted items
            </Typography>
            {list.data && rows.length === 0 ? (
              <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="trash-none">
                The trash is empty.
              </Typography>
            ) : null}
            {rows.length > 0 ? (
              <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
                <Table size="small" aria-label="Deleted items" data-testid="trash-table">
                  <TableHead>
                    <TableRow>
                      <TableCell>Item</TableCell>
                      <TableCell>Was at</TableCell>
                      <TableCell>Deleted</TableCell>
                      <TableCell align="right">Actions</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {rows.map((row, i) => (
                      <TableRow key={row.id} data-testid={`trash-row-${row.id}`}>
                        <TableCell sx={{ overflowWrap: 'anywhere' }}>
                          <span data-testid="trash-what">{row.what}</span>
                          {row.note ? (
                            <Typography variant="caption" component="p" sx={{ color: 'warning.main' }}>
                              {row.note}
                            </Typography>
                          ) : null}
                        </TableCell>
                        <TableCell sx={{ overflowWrap: 'anywhere' }}>
                          <code>{row.from}</code>
                        </TableCell>
                        <TableCell>{row.when}</TableCell>
                        <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                          <Button
                            size="small"
                            disabled={!row.canRestore}
                            onClick={() => void restore(entries[i]!)}
                            aria-label={`Restore ${row.what}`}
                            data-testid={`trash-restore-${row.id}`}
                          >
                            Restore
                          </Button>
                          <Button
                            size="small"
                            color="error"
                            aria-label={`Erase ${row.what} for good`}
                            data-testid={`trash-erase-${row.id}`}
                            onClick={() => {
                              setDialogError(null);
                              setDialog({ text: emptyDialog(entries, entries[i]), entry: entries[i] });
                            }}
                          >
                            Erase
                          </Button>
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </TableContainer>
            ) : null}
          </CardContent>
        </Card>
      </Stack>
      {dialog ? (
        <ConfirmDialog
          text={dialog.text}
          busy={busy}
          error={dialogError}
          onConfirm={() => void erase(dialog.entry)}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </>
  );
}
