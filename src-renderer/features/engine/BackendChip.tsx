import { useId, useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Popover from '@mui/material/Popover';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../../app/navigation';
import { ChipIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import { backendChipModel, candidateRows, selectionExplanation } from './engine.viewmodel';
import { useEngine } from './EngineStore';

/**
 * Always visible in the top bar: the backend new compute jobs run on. Click (or Enter) opens the
 * whole ladder with each candidate's state and reason.
 */
export function BackendChip() {
  const { status, loading, error, refresh } = useEngine();
  const { navigate } = useNavigation();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const popoverId = useId();
  const model = backendChipModel(status, loading, error);

  return (
    <>
      <Tooltip title="Compute backend: click for details">
        <Chip
          data-testid="active-backend"
          icon={<ChipIcon />}
          label={model.label}
          color={model.color}
          variant={model.color === 'default' ? 'outlined' : 'filled'}
          onClick={(e) => setAnchor(e.currentTarget)}
          aria-label={model.ariaLabel}
          aria-haspopup="dialog"
          aria-expanded={anchor ? true : undefined}
          aria-controls={anchor ? popoverId : undefined}
        />
      </Tooltip>
      <Popover
        id={popoverId}
        open={Boolean(anchor)}
        anchorEl={anchor}
        onClose={() => setAnchor(null)}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }}
        transformOrigin={{ vertical: 'top', horizontal: 'right' }}
        slotProps={{
          paper: { sx: { width: 460, maxWidth: 'calc(100vw - 32px)', p: 2 }, role: 'dialog', 'aria-label': 'Compute backend details' },
        }}
      >
        <Box data-testid="backend-details">
          <Typography variant="h3" component="h2" gutterBottom>
            Compute backend
          </Typography>
          {status ? (
            <>
              <Typography variant="body2" sx={{ mb: 1.5 }}>
                {selectionExplanation(status)} tfjs {status.tfjsVersion}, {status.threads} thread{status.threads === 1 ? '' : 's'}.
              </Typography>
              <Box component="ul" sx={{ listStyle: 'none', p: 0, m: 0, display: 'grid', gap: 1 }}>
                {candidateRows(status).map((row) => (
                  <Box
                    component="li"
                    key={row.backend}
                    sx={{ display: 'grid', gridTemplateColumns: '110px 96px minmax(0, 1fr)', gap: 1, alignItems: 'start' }}
                  >
                    <Typography variant="body2" sx={{ fontWeight: row.active ? 600 : 400 }}>
                      {row.backend}
                    </Typography>
                    <StatusChip label={row.stateLabel} color={row.stateColor} />
                    <Typography variant="body2" sx={{ color: 'text.secondary', overflowWrap: 'anywhere' }}>
                      {row.reason}
                    </Typography>
                  </Box>
                ))}
              </Box>
            </>
          ) : (
            <Typography variant="body2" sx={{ color: error ? 'error.main' : 'text.secondary' }}>
              {error ?? 'Checking which backends load on this machine…'}
            </Typography>
          )}
          <Box sx={{ display: 'flex', justifyContent: 'flex-end', gap: 1, mt: 2 }}>
            <Button size="small" onClick={refresh} disabled={loading}>
              Check again
            </Button>
            <Button
              size="small"
              variant="outlined"
              onClick={() => {
                setAnchor(null);
                navigate('compute');
              }}
            >
              Open Compute page
            </Button>
          </Box>
        </Box>
      </Popover>
    </>
  );
}
