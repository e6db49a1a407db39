import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Divider from '@mui/material/Divider';
import Grid from '@mui/material/Grid';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { PageHeader } from '../../shared/PageHeader';
import { CreateStudyForm } from './CreateStudyForm';
import { NextStepsCard } from './NextStepsCard';
import { OpenStudyForm } from './OpenStudyForm';
import { RecentStudiesList } from './RecentStudiesList';
import { StudySummaryCard } from './StudySummaryCard';
import { useStudy } from './StudyStore';

export function StudiesPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy, close } = useStudy();
  return (
    <>
      <PageHeader
        title="Studies"
        description="Create a study folder for a new experiment, or open one you already have. Patient images and results stay in that folder on this machine."
        focusOnMount={focusHeading}
      />
      <Stack spacing={3}>
        {openStudy ? <StudySummaryCard summary={openStudy} onClose={close} /> : null}
        {openStudy ? <NextStepsCard /> : null}
        <Grid container spacing={3}>
          <Grid size={{ xs: 12, md: 6 }}>
            <CreateStudyForm />
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Card component="section" aria-labelledby="open-existing-title" sx={{ height: '100%' }}>
              <CardContent>
                <Typography variant="h2" id="open-existing-title" gutterBottom>
                  Open a study
                </Typography>
                <OpenStudyForm />
                <Divider sx={{ my: 2.5 }} />
                <Typography variant="h3" component="h3" gutterBottom>
                  Recent studies
                </Typography>
                <RecentStudiesList />
              </CardContent>
            </Card>
          </Grid>
        </Grid>
      </Stack>
    </>
  );
}
