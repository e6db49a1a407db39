/**
 * Short notices when a job the app saw running ends (finished, failed, cancelled, interrupted),
 * whatever page is open: the open study's jobs (and jobs of no study), or every study's when the Jobs
 * page's filter says "All studies". They sit in a strip below the page, in the layout, so they never
 * cover the page's buttons. A failure stays until the user closes it; the others close by themselves
 * after a few seconds too.
 */
import { useEffect } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { useStudy } from '../study/StudyStore';
import { jobStudyName, ofOtherStudy, scopeNotices } from './job-scope.viewmodel';
import type { JobNotice } from './jobs.viewmodel';
import { useJobs } from './JobsStore';

/** How long a notice that is not a failure stays. */
export const NOTICE_MS = 8000;
/** Notices shown at once (oldest first); the next ones follow as these close. */
const SHOWN = 3;

export function JobNotifications() {
  const { jobs, notices, dismissNotice, scope } = useJobs();
  const { openStudy, recent } = useStudy();
  const openPath = openStudy?.path ?? null;
  const visible = scopeNotices(notices, jobs, scope, openPath).slice(0, SHOWN);
  const known = [...(openStudy ? [{ path: openStudy.path, name: openStudy.study.name }] : []), ...(recent ?? [])];
  return (
    <Box
      role="region"
      aria-label="Job notices"
      aria-live="polite"
      data-testid="job-notices"
      sx={{ flexShrink: 0, display: visible.length > 0 ? 'flex' : 'none', flexDirection: 'column', gap: 1, px: 2, py: 1 }}
    >
      {visible.map((notice) => {
        const job = jobs.find((j) => j.id === notice.jobId);
        const elsewhere = ofOtherStudy(job, openPath) ? jobStudyName(job?.studyPath ?? null, known) : null;
        return <Notice key={notice.jobId} notice={notice} study={elsewhere} onClose={dismissNotice} />;
      })}
    </Box>
  );
}

function Notice({ notice, study, onClose }: { notice: JobNotice; study: string | null; onClose(jobId: string): void }) {
  const { jobId, severity } = notice;
  useEffect(() => {
    if (severity === 'error') return undefined;
    const timer = window.setTimeout(() => onClose(jobId), NOTICE_MS);
    return () => window.clearTimeout(timer);
  }, [jobId, severity, onClose]);
  return (
    <Alert
      severity={severity}
      variant="filled"
      onClose={() => onClose(jobId)}
      slotProps={{ closeButton: { 'aria-label': 'Close the notice', title: 'Close' } as object }}
      data-testid="job-notice"
      data-severity={severity}
      data-job-id={jobId}
    >
      {notice.text}
      {study ? (
        <Typography component="span" variant="body2" sx={{ display: 'block', opacity: 0.9 }}>
          In study “{study}”
        </Typography>
      ) : null}
    </Alert>
  );
}
