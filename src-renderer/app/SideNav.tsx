import Badge from '@mui/material/Badge';
import Box from '@mui/material/Box';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import useMediaQuery from '@mui/material/useMediaQuery';
import { useTheme } from '@mui/material/styles';
import { useJobs } from '../features/jobs/JobsStore';
import { useStudy } from '../features/study/StudyStore';
import { isActive } from '../features/jobs/jobs.viewmodel';
import { scopeJobs } from '../features/jobs/job-scope.viewmodel';
import { visuallyHidden } from '../shared/visuallyHidden';
import { useAppInfo } from './ClientContext';
import { useNavigation } from './navigation';
import { ROUTES } from './routes';

export const NAV_WIDTH = 208;
/**
 * Below the md breakpoint (e.g. a small window, or 200 % zoom) the navigation shows icons only; names stay in the accessible name and a
 * tooltip.
 */
export const NAV_WIDTH_COMPACT = 64;

export function SideNav() {
  const { route, navigate } = useNavigation();
  const { jobs, scope } = useJobs();
  const info = useAppInfo();
  const { openStudy } = useStudy();
  // The badge counts the jobs the Jobs page shows (the open study's, unless "All studies" is chosen).
  const activeJobs = scopeJobs(jobs, scope, openStudy?.path ?? null).shown.filter((j) => isActive(j.status)).length;
  const compact = useMediaQuery(useTheme().breakpoints.down('md'));

  return (
    <Box
      component="nav"
      aria-label="Main"
      sx={{
        width: compact ? NAV_WIDTH_COMPACT : NAV_WIDTH,
        flexShrink: 0,
        borderRight: 1,
        borderColor: 'divider',
        bgcolor: 'background.paper',
        display: 'flex',
        flexDirection: 'column',
        overflowY: 'auto',
      }}
    >
      <List sx={{ px: 1, py: compact ? 1 : 1.5 }}>
        {ROUTES.map(({ id, label, icon: Icon, needsStudy }) => {
          const selected = id === route;
          const waiting = Boolean(needsStudy) && !openStudy;
          const button = (
            <ListItemButton
              selected={selected}
              aria-current={selected ? 'page' : undefined}
              onClick={() => navigate(id)}
              data-testid={`nav-${id}`}
              data-needs-study={waiting ? 'true' : undefined}
              sx={{
                borderRadius: 1,
                ...(compact ? { justifyContent: 'center', px: 1 } : {}),
                ...(waiting ? { color: 'text.secondary' } : {}),
              }}
            >
              <ListItemIcon sx={{ minWidth: compact ? 0 : 36, color: selected ? 'primary.main' : 'text.secondary' }}>
                {id === 'jobs' && activeJobs > 0 ? (
                  <Badge badgeContent={activeJobs} color="primary" aria-hidden>
                    <Icon />
                  </Badge>
                ) : (
                  <Icon />
                )}
              </ListItemIcon>
              <ListItemText
                sx={compact ? visuallyHidden : undefined}
                primary={
                  <>
                    {label}
                    {id === 'jobs' && activeJobs > 0 ? <Box component="span" sx={visuallyHidden}>{`, ${activeJobs} active`}</Box> : null}
                  </>
                }
                secondary={waiting ? 'Open a study first' : undefined}
                slotProps={{ primary: { sx: { fontWeight: selected ? 600 : 400 } }, secondary: { sx: { fontSize: '0.75rem' } } }}
              />
            </ListItemButton>
          );
          return (
            <ListItem key={id} disablePadding sx={{ mb: 0.5 }}>
              {compact ? (
                <Tooltip title={waiting ? `${label} (open a study first)` : label} placement="right">
                  {button}
                </Tooltip>
              ) : (
                button
              )}
            </ListItem>
          );
        })}
      </List>
      <Box sx={{ mt: 'auto', p: 2, ...(compact ? visuallyHidden : {}) }}>
        <Typography variant="caption" component="p" sx={{ color: 'text.secondary' }}>
          FundusLab {info.version}
          <br />
          {info.host === 'browser' ? 'Browser mode' : 'Desktop app'} · {info.platform}
        </Typography>
      </Box>
    </Box>
  );
}
