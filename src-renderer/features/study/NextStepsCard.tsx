import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { useNavigation, type RouteId } from '../../app/navigation';
import { CheckIcon } from '../../shared/icons';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { useDatasets } from '../datasets/DatasetsStore';
import { useGrid } from '../training/useGrid';
import { nextStepsDone } from './next-steps.viewmodel';
import { useStudy } from './StudyStore';

interface StepItem {
  route: RouteId;
  action: string;
  title: string;
  text: string;
  done: boolean;
}

/** What to do with the open study, in order: data, the study set-up, progress, results. */
export function NextStepsCard() {
  const { navigate } = useNavigation();
  const { datasets } = useDatasets();
  const { openStudy } = useStudy();
  const studyPath = openStudy?.path ?? null;
  const { view: grid } = useGrid(studyPath);
  const { data: results } = useStudyQuery('results.get', studyPath ? { studyPath } : null);
  const done = nextStepsDone({ datasets: datasets?.length ?? null, grid, resultRows: results?.rows.length ?? null });
  const steps: StepItem[] = [
    {
      route: 'datasets',
      action: 'Add data',
      title: 'Add the data',
      text: 'Import graded fundus photographs (EyePACS, Messidor-2, IDRiD or a folder with a CSV), or add the synthetic demo data to try FundusLab.',
      done: done.data,
    },
    {
      route: 'training',
      action: 'Set up the study',
      title: 'Set up the study',
      text: 'Training dataset and test sets, the strategies (IWNE/IFI × FS/CL), label fractions, seeds, hyperparameters, and an estimate of how long it takes here.',
      done: done.setup,
    },
    {
      route: 'jobs',
      action: 'Open Jobs',
      title: 'Follow the progress',
      text: 'Every run and analysis is a job with progress, ETA, log, cancel and resume.',
      done: done.progress,
    },
    {
      route: 'results',
      action: 'Open Results',
      title: 'Read the results',
      text: 'AUC by label fraction, spectra, robustness, explanations, and the PDF report.',
      done: done.results,
    },
  ];
  // The first step not done yet is the one to take now.
  const current = steps.findIndex((s) => !s.done);
  return (
    <Card component="section" aria-labelledby="next-steps-title" data-testid="next-steps">
      <CardContent>
        <Typography variant="h2" id="next-steps-title" gutterBottom>
          Next steps
        </Typography>
        <Box component="ol" sx={{ m: 0, p: 0, listStyle: 'none', display: 'grid', gap: 1.5 }}>
          {steps.map((s, i) => (
            <Box component="li" key={s.route} sx={{ display: 'flex', gap: 1.5, alignItems: 'flex-start', flexWrap: 'wrap' }}>
              <Box
                aria-hidden
                sx={{
                  width: 28,
                  height: 28,
                  borderRadius: '50%',
                  display: 'grid',
                  placeItems: 'center',
                  flexShrink: 0,
                  bgcolor: s.done ? 'success.main' : 'action.selected',
                  color: s.done ? 'success.contrastText' : 'text.primary',
                  fontWeight: 600,
                }}
              >
                {s.done ? <CheckIcon fontSize="small" /> : i + 1}
              </Box>
              <Box sx={{ flex: '1 1 260px', minWidth: 0 }}>
                <Typography variant="body1" sx={{ fontWeight: 600 }}>
                  {s.title}
                  {s.done ? (
                    <Box component="span" sx={{ color: 'success.main', fontWeight: 400 }}>
                      {' '}
                      — done
                    </Box>
                  ) : null}
                </Typography>
                <Typography variant="body2" sx={{ color: 'text.secondary' }}>
                  {s.text}
                </Typography>
              </Box>
              <Button
                variant={i === current ? 'contained' : 'outlined'}
                size="small"
                onClick={() => navigate(s.route)}
                data-testid={`next-step-${s.route}`}
              >
                {s.action}
              </Button>
            </Box>
          ))}
        </Box>
      </CardContent>
    </Card>
  );
}
