/**
 * Start-up: picks the theme, checks the link to FundusLab with `app.info`, then mounts the stores
 * and the shell. Failures before the shell exists get a full-page explanation instead of a blank
 * window.
 */
import { useCallback, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Typography from '@mui/material/Typography';
import type { AppInfo } from '../../src-shared/contract';
import { EngineProvider } from '../features/engine/EngineStore';
import { JobsProvider } from '../features/jobs/JobsStore';
import { SettingsProvider, useSettings } from '../features/settings/SettingsStore';
import { StudyProvider } from '../features/study/StudyStore';
import { DatasetsProvider } from '../features/datasets/DatasetsStore';
import { ModelsProvider } from '../features/models/ModelsStore';
import { ErrorBoundary } from '../shared/ErrorBoundary';
import { errorCode, errorMessage } from '../shared/errors.viewmodel';
import { AppShell } from './AppShell';
import { AppInfoProvider, ClientProvider, useClient, useConnectionState, useHost } from './ClientContext';
import { BrowserLinkHelp, FullPageMessage } from './FullPageMessage';
import { NavigationProvider } from './navigation';
import { ThemedRoot } from './ThemedRoot';
import type { TransportSelection } from './transport';

export function Root({ selection }: { selection: TransportSelection }) {
  if (selection.kind === 'missing-token') {
    return (
      <ThemedRoot setting="system">
        <FullPageMessage title="Open FundusLab from its link" testId="missing-token">
          <BrowserLinkHelp />
        </FullPageMessage>
      </ThemedRoot>
    );
  }
  return (
    <ClientProvider client={selection.client} host={selection.host} connection={selection.connection}>
      <SettingsProvider>
        <SettingsThemedApp />
      </SettingsProvider>
    </ClientProvider>
  );
}

function SettingsThemedApp() {
  const { settings } = useSettings();
  return (
    <ThemedRoot setting={settings?.theme ?? 'system'}>
      <Boot />
    </ThemedRoot>
  );
}

type BootState = { kind: 'loading' } | { kind: 'ready'; info: AppInfo } | { kind: 'failed'; message: string; code: string | null };

function Boot() {
  const client = useClient();
  const host = useHost();
  const connection = useConnectionState();
  const [state, setState] = useState<BootState>({ kind: 'loading' });

  // The state starts as loading; only the answer sets it.
  const fetchInfo = useCallback(() => {
    client.call('app.info', {}).then(
      (info) => setState({ kind: 'ready', info }),
      (err: unknown) => setState({ kind: 'failed', message: errorMessage(err), code: errorCode(err) }),
    );
  }, [client]);

  useEffect(fetchInfo, [fetchInfo]);

  function retry() {
    setState({ kind: 'loading' });
    fetchInfo();
  }

  if (connection === 'unauthorized' || (state.kind === 'failed' && state.code === 'UNAUTHORIZED')) {
    return (
      <FullPageMessage title="This FundusLab link is no longer valid" testId="token-rejected">
        <Alert severity="warning" sx={{ mb: 2 }}>
          FundusLab refused this page's access token. It was probably restarted, which creates a new link.
        </Alert>
        <BrowserLinkHelp />
      </FullPageMessage>
    );
  }
  if (state.kind === 'loading') {
    return (
      <Box sx={{ height: '100%', display: 'grid', placeItems: 'center', bgcolor: 'background.default' }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2 }}>
          <CircularProgress size={24} aria-label="Starting" />
          <Typography>Connecting to FundusLab…</Typography>
        </Box>
      </Box>
    );
  }
  if (state.kind === 'failed') {
    return (
      <FullPageMessage title="FundusLab could not start this window" testId="startup-failed">
        <Alert severity="error" sx={{ mb: 2 }}>
          {state.message}
        </Alert>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {host === 'browser'
            ? 'Check that the `npm run browser` process is still running in its terminal, then try again.'
            : 'Try again; if this keeps happening, restart FundusLab and look at its log.'}
        </Typography>
        <Button variant="contained" onClick={retry}>
          Try again
        </Button>
      </FullPageMessage>
    );
  }
  return (
    <AppInfoProvider info={state.info}>
      <EngineProvider>
        <StudyProvider>
          <JobsProvider>
            <DatasetsProvider>
              <ModelsProvider>
                <NavigationProvider>
                  <ErrorBoundary what="the FundusLab window">
                    <AppShell />
                  </ErrorBoundary>
                </NavigationProvider>
              </ModelsProvider>
            </DatasetsProvider>
          </JobsProvider>
        </StudyProvider>
      </EngineProvider>
    </AppInfoProvider>
  );
}
