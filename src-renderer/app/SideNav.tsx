import Badge from '@mui/material/Badge';
import Box from '@mui/material/Box';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import { useJobs } from '../features/jobs/JobsStore';
import { useStudy } from '../features/study/StudyStore';
import { isActive } from '../features/jobs/jobs.viewmodel';
import { visuallyHidden } from '../shared/visuallyHidden';
import { useAppInfo } from './ClientContext';
import { useNavigation } from './navigation';
import { ROUTES } from './routes';

export const NAV_WIDTH = 208;

export function SideNav() {
  const { route, navigate } = useNavigation();
  const { jobs } = useJobs();
  const info = useAppInfo();
  const { openStudy } = useStudy();
  const activeJobs = jobs.filter((j) => isActive(j.status)).length;

  return (
    <Box
      component="nav"
      aria-label="Main"
      sx={{
        width: NAV_WIDTH,
        flexShrink: 0,
        borderRight: 1,
        borderColor: 'divider',
        bgcolor: 'background.paper',
        display: 'flex',
        flexDirection: 'column',
        overflowY: 'auto',
      }}
    >
      <List sx={{ px: 1, py: 1.5 }}>
        {ROUTES.map(({ id, label, icon: Icon, needsStudy }) => {
          const selected = id === route;
          const waiting = Boolean(needsStudy) && !openStudy;
          return (
            <ListItem key={id} disablePadding sx={{ mb: 0.5 }}>
              <ListItemButton
                selected={selected}
                aria-current={selected ? 'page' : undefined}
                onClick={() => navigate(id)}
                data-testid={`nav-${id}`}
                data-needs-study={waiting ? 'true' : undefined}
                sx={{ borderRadius: 1, ...(waiting ? { color: 'text.secondary' } : {}) }}
              >
                <ListItemIcon sx={{ minWidth: 36, color: selected ? 'primary.main' : 'text.secondary' }}>
                  {id === 'jobs' && activeJobs > 0 ? (
                    <Badge badgeContent={activeJobs} color="primary" aria-hidden>
                      <Icon />
                    </Badge>
                  ) : (
                    <Icon />
                  )}
                </ListItemIcon>
                <ListItemText
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
            </ListItem>
          );
        })}
      </List>
      <Box sx={{ mt: 'auto', p: 2 }}>
        <Typography variant="caption" component="p" sx={{ color: 'text.secondary' }}>
          FundusLab {info.version}
          <br />
          {info.host === 'browser' ? 'Browser mode' : 'Desktop app'} · {info.platform}
        </Typography>
      </Box>
    </Box>
  );
}
