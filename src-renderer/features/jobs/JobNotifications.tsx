/**
 * A short notice when a job the app saw running ends (finished, failed, cancelled, interrupted),
 * whatever page is open; the oldest notice shows first and each closes on its own or by the user.
 */
import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import type { JobNotice } from './jobs.viewmodel';

export function JobNotifications({ notices, onClose }: { notices: readonly JobNotice[]; onClose(jobId: string): void }) {
  const notice = notices[0];
  if (!notice) return null;
  return (
    <Snackbar
      key={notice.jobId}
      open
      disableWindowBlurListener
      anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
      autoHideDuration={notice.severity === 'error' ? null : 8000}
      onClose={(_, reason) => reason !== 'clickaway' && onClose(notice.jobId)}
    >
      <Alert
        severity={notice.severity}
        variant="filled"
        onClose={() => onClose(notice.jobId)}
        data-testid="job-notice"
        sx={{ maxWidth: 480 }}
      >
        {notice.text}
      </Alert>
    </Snackbar>
  );
}
