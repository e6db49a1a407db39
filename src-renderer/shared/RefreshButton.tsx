/** The Refresh action of a page header; `what` completes the accessible name ("Refresh the …"). */
import Button from '@mui/material/Button';
import { RefreshIcon } from './icons';

export function RefreshButton({ what, onClick }: { what: string; onClick(): void }) {
  return (
    <Button variant="outlined" startIcon={<RefreshIcon />} onClick={onClick} aria-label={`Refresh the ${what}`}>
      Refresh
    </Button>
  );
}
