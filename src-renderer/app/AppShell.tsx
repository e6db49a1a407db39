import Box from '@mui/material/Box';
import { JobNotifications } from '../features/jobs/JobNotifications';
import { ErrorBoundary } from '../shared/ErrorBoundary';
import { useNavigation } from './navigation';
import { ROUTES } from './routes';
import { SideNav } from './SideNav';
import { TopBar } from './TopBar';

/**
 * Top bar, left navigation and the current page; only the page area scrolls. Job notices take their
 * own strip below the page area, so they never cover the page's buttons.
 */
export function AppShell() {
  const { route, navigations } = useNavigation();
  const current = ROUTES.find((r) => r.id === route) ?? ROUTES[0];
  if (!current) return null;
  const Page = current.page;
  return (
    <Box sx={{ height: '100%', display: 'flex', flexDirection: 'column', bgcolor: 'background.default' }}>
      <TopBar />
      <Box sx={{ flex: 1, display: 'flex', minHeight: 0 }}>
        <SideNav />
        <Box sx={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column' }}>
          <Box
            component="main"
            sx={{ flex: 1, minHeight: 0, overflowY: 'auto', overflowX: 'hidden', position: 'relative' }}
            data-testid={`page-${current.id}`}
          >
            <Box sx={{ maxWidth: 1120, mx: 'auto', px: { xs: 2, md: 4 }, py: 3 }}>
              <ErrorBoundary key={current.id} what={`the ${current.label} page`}>
                <Page focusHeading={navigations > 0} />
              </ErrorBoundary>
            </Box>
          </Box>
          <JobNotifications />
        </Box>
      </Box>
    </Box>
  );
}
