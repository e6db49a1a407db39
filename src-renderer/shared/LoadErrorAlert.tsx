/** A page's load error with a "Try again" action; renders nothing without an error. */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';

export function LoadErrorAlert({ error, onRetry }: { error: string | null | undefined; onRetry(): void }) {
  if (!error) return null;
  return (
    <Alert severity="error" action={<Button onClick={onRetry}>Try again</Button>}>
      {error}
    </Alert>
  );
}
