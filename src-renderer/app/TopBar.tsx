import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Toolbar from '@mui/material/Toolbar';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { BackendChip } from '../features/engine/BackendChip';
import { ThemeToggle } from '../features/settings/ThemeToggle';
import { useStudy } from '../features/study/StudyStore';
import { FundusIcon } from '../shared/icons';
import { useConnectionState } from './ClientContext';

export function TopBar() {
  const { openStudy } = useStudy();
  const connection = useConnectionState();
  return (
    <AppBar position="static" color="inherit" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
      <Toolbar variant="dense" sx={{ gap: 2, minHeight: 56 }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexShrink: 0 }}>
          <FundusIcon color="primary" />
          <Typography variant="h6" component="p" sx={{ fontWeight: 700, fontSize: '1.1rem' }}>
            FundusLab
          </Typography>
        </Box>
        <Box sx={{ display: 'flex', alignItems: 'baseline', gap: 1, minWidth: 0, flex: 1, borderLeft: 1, borderColor: 'divider', pl: 2 }}>
          <Typography variant="body2" sx={{ color: 'text.secondary', flexShrink: 0 }}>
            Study
          </Typography>
          {openStudy ? (
            <Tooltip title={openStudy.path}>
              <Typography
                variant="body1"
                data-testid="open-study"
                sx={{ fontWeight: 600, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', minWidth: 0 }}
              >
                {openStudy.study.name}
              </Typography>
            </Tooltip>
          ) : (
            <Typography variant="body1" sx={{ color: 'text.secondary', fontStyle: 'italic' }}>
              none open
            </Typography>
          )}
        </Box>
        {connection === 'reconnecting' ? (
          <Tooltip title="The live connection to FundusLab dropped; progress shown here may be out of date until it is back.">
            <Chip size="small" color="warning" label="Reconnecting…" data-testid="connection-lost" tabIndex={0} />
          </Tooltip>
        ) : null}
        <BackendChip />
        <ThemeToggle />
      </Toolbar>
    </AppBar>
  );
}
