import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import { MONO_FONT } from '../../app/theme';
import { errorMessage } from '../../shared/errors.viewmodel';
import { useNow } from '../../shared/useNow';
import { recentRows } from './study.viewmodel';
import { useStudy } from './StudyStore';

/** Recently opened studies (newest first); one click opens one. */
export function RecentStudiesList() {
  const { recent, recentError, open, openStudy } = useStudy();
  const now = useNow(60_000);
  const [opening, setOpening] = useState<string | null>(null);
  const [error, setError] = useState<{ path: string; message: string } | null>(null);

  async function openRecent(path: string) {
    setOpening(path);
    setError(null);
    try {
      await open(path);
    } catch (err) {
      setError({ path, message: errorMessage(err) });
    } finally {
      setOpening(null);
    }
  }

  if (recentError) return <Alert severity="warning">Could not load the recent studies: {recentError}</Alert>;
  if (!recent) return <CircularProgress size={20} aria-label="Loading recent studies" />;
  if (recent.length === 0) {
    return (
      <Typography variant="body2" sx={{ color: 'text.secondary' }} data-testid="recent-studies-empty">
        No recent studies yet. Studies you create or open appear here.
      </Typography>
    );
  }
  const rows = recentRows(recent, openStudy?.path ?? null, now);
  return (
    <Box>
      {error ? (
        <Alert severity="error" sx={{ mb: 1 }} data-testid="recent-study-error" onClose={() => setError(null)}>
          Could not open {error.path}: {error.message}
        </Alert>
      ) : null}
      <List dense disablePadding aria-label="Recent studies" data-testid="recent-studies">
        {rows.map((row) => (
          <ListItem key={row.path} disablePadding>
            <ListItemButton
              onClick={() => void openRecent(row.path)}
              disabled={opening !== null}
              aria-label={`${row.name} — ${row.path}`}
              data-testid="recent-study"
              sx={{ borderRadius: 1 }}
            >
              <ListItemText
                primary={
                  <Box component="span" sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                    {row.name}
                    {row.isOpen ? <Chip size="small" label="Current" color="primary" variant="outlined" /> : null}
                  </Box>
                }
                secondary={
                  <>
                    <Box component="span" sx={{ fontFamily: MONO_FONT, fontSize: '0.75rem', overflowWrap: 'anywhere' }}>
                      {row.path}
                    </Box>
                    {' · '}
                    {row.opened}
                  </>
                }
              />
              {opening === row.path ? <CircularProgress size={18} aria-label="Opening" /> : null}
            </ListItemButton>
          </ListItem>
        ))}
      </List>
    </Box>
  );
}
