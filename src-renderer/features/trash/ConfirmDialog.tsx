import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import type { DialogText } from './trash.viewmodel';

interface Props {
  text: DialogText;
  busy: boolean;
  error: string | null;
  /** The confirm button is red: the action erases or moves files. */
  danger?: boolean;
  /** The label of the button that closes the question without acting (default "Cancel"). */
  dismissLabel?: string;
  onConfirm(): void;
  onClose(): void;
}

/** A question before files move or are erased: what happens, what it affects, Cancel or confirm. */
export function ConfirmDialog({ text, busy, error, danger = true, dismissLabel = 'Cancel', onConfirm, onClose }: Props) {
  return (
    <Dialog open onClose={busy ? undefined : onClose} maxWidth="sm" fullWidth aria-labelledby="confirm-title" data-testid="confirm-dialog">
      <DialogTitle id="confirm-title" sx={{ overflowWrap: 'anywhere' }}>
        {text.title}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" data-testid="confirm-body">
          {text.body}
        </Typography>
        {text.items.length > 0 ? (
          <Box component="ul" sx={{ mt: 1, mb: 0, pl: 2.5, maxHeight: 240, overflowY: 'auto' }} data-testid="confirm-items">
            {text.items.map((item) => (
              <li key={item}>
                <Typography variant="body2" component="code" sx={{ overflowWrap: 'anywhere' }}>
                  {item}
                </Typography>
              </li>
            ))}
          </Box>
        ) : null}
        {error ? (
          <Alert severity="error" sx={{ mt: 2 }} data-testid="confirm-error">
            {error}
          </Alert>
        ) : null}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          {dismissLabel}
        </Button>
        <Button variant="contained" color={danger ? 'error' : 'primary'} onClick={onConfirm} disabled={busy} data-testid="confirm-ok">
          {text.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
