import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Skeleton from '@mui/material/Skeleton';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { MONO_FONT } from '../../app/theme';
import { KeyValueList } from '../../shared/KeyValueList';
import { RefreshIcon } from '../../shared/icons';
import { StatusChip } from '../../shared/StatusChip';
import { backendTitle, candidateRows, selectionExplanation, webgpuSection } from './engine.viewmodel';
import { useEngine } from './EngineStore';

/** The active backend, how it was chosen, and the whole ladder with each candidate's state. */
export function EngineStatusCard() {
  const { status, loading, error, refresh } = useEngine();
  return (
    <Card component="section" aria-labelledby="engine-status-title">
      <CardContent>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, mb: 2 }}>
          <Typography variant="h2" id="engine-status-title" sx={{ flex: 1 }}>
            Engine status
          </Typography>
          <Button size="small" startIcon={<RefreshIcon />} onClick={refresh} disabled={loading}>
            {loading ? 'Checking…' : 'Check again'}
          </Button>
        </Box>
        {error ? (
          <Alert severity="error" sx={{ mb: 2 }} data-testid="engine-status-error">
            Could not read the engine status: {error}
          </Alert>
        ) : null}
        {status ? (
          <>
            <KeyValueList
              testId="engine-summary"
              rows={[
                { label: 'Active backend', value: <strong data-testid="engine-active">{backendTitle(status.active)}</strong> },
                { label: 'Selection', value: selectionExplanation(status) },
                { label: 'tfjs backend', value: status.tfjsBackend, mono: true },
                { label: 'tfjs version', value: status.tfjsVersion, mono: true },
                { label: 'Threads', value: String(status.threads) },
              ]}
            />
            <Typography variant="h3" sx={{ mt: 3, mb: 1 }}>
              Backend ladder (best first)
            </Typography>
            <TableContainer>
              <Table size="small" aria-label="Backend ladder" data-testid="backend-ladder">
                <TableHead>
                  <TableRow>
                    <TableCell>Backend</TableCell>
                    <TableCell>Package</TableCell>
                    <TableCell>State</TableCell>
                    <TableCell>Reason</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {candidateRows(status).map((row) => (
                    <TableRow
                      key={row.backend}
                      selected={row.active}
                      data-testid="backend-candidate"
                      data-backend={row.backend}
                      data-state={row.stateLabel}
                    >
                      <TableCell sx={{ whiteSpace: 'nowrap' }}>{row.title}</TableCell>
                      <TableCell sx={{ fontFamily: MONO_FONT, fontSize: '0.8rem', whiteSpace: 'nowrap' }}>{row.packageName}</TableCell>
                      <TableCell>
                        <StatusChip label={row.stateLabel} color={row.stateColor} />
                      </TableCell>
                      <TableCell sx={{ overflowWrap: 'anywhere', color: 'text.secondary' }}>{row.reason}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </TableContainer>
            <WebGpuSection status={status} />
          </>
        ) : !error ? (
          <Box aria-busy="true" aria-label="Checking the compute backends">
            <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1 }}>
              Checking which backends load on this machine…
            </Typography>
            <Skeleton variant="rounded" height={120} />
          </Box>
        ) : null}
      </CardContent>
    </Card>
  );
}

/** The WebGPU adapters found (vendor, device, API, software or hardware, limits) or exactly why WebGPU is not used. */
function WebGpuSection({ status }: { status: NonNullable<ReturnType<typeof useEngine>['status']> }) {
  const section = webgpuSection(status);
  return (
    <Box component="section" aria-labelledby="webgpu-title" data-testid="webgpu-adapters">
      <Typography variant="h3" id="webgpu-title" sx={{ mt: 3, mb: 1 }}>
        WebGPU
      </Typography>
      <Typography variant="body2" data-testid="webgpu-verdict" sx={{ mb: section.adapters.length > 0 ? 1 : 0 }}>
        {section.verdict}
      </Typography>
      {section.adapters.length > 0 ? (
        <Box component="ul" sx={{ m: 0, pl: 3 }}>
          {section.adapters.map((a, i) => (
            <Typography component="li" variant="body2" key={i} data-testid="webgpu-adapter" data-used={a.used ? 'true' : 'false'}>
              <strong>{a.name}</strong>
              {a.used ? ' (in use)' : ''} —{' '}
              <Box component="span" sx={{ color: 'text.secondary' }}>
                {a.detail}
              </Box>
            </Typography>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
