import type { ReactNode } from 'react';
import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { FundusIcon } from '../shared/icons';

/** A centred message that replaces the whole app (no link to FundusLab, start-up failure). */
export function FullPageMessage({ title, children, testId }: { title: string; children: ReactNode; testId: string }) {
  return (
    <Box
      component="main"
      sx={{ minHeight: '100%', display: 'grid', placeItems: 'center', p: 3, bgcolor: 'background.default', overflow: 'auto' }}
    >
      <Paper variant="outlined" sx={{ maxWidth: 620, p: 4 }} data-testid={testId}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, mb: 2 }}>
          <FundusIcon color="primary" fontSize="large" />
          <Typography variant="h1">{title}</Typography>
        </Box>
        {children}
      </Paper>
    </Box>
  );
}

/** How to get a working link in browser mode. */
export function BrowserLinkHelp() {
  return (
    <>
      <Typography variant="body1" sx={{ mb: 2 }}>
        In browser mode FundusLab only answers pages opened from the link it prints when it starts. Run this in the FundusLab folder and
        open the URL it prints (it ends with <code>#token=…</code>):
      </Typography>
      <Box component="pre" sx={{ p: 1.5, m: 0, mb: 2, bgcolor: 'action.hover', borderRadius: 1, overflowX: 'auto' }}>
        <code>npm run browser</code>
      </Box>
      <Typography variant="body2" sx={{ color: 'text.secondary' }}>
        The link is valid for as long as that FundusLab process runs and only on this computer. It is kept for this tab, so reloading the
        page works.
      </Typography>
    </>
  );
}
