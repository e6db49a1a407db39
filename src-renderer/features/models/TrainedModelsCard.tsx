/**
 * The open study's trained models: the model each finished run selected (its best validation epoch)
 * with the run's strategy, label fraction, seed, epochs and best validation AUC, outdated runs
 * marked; each can be exported as .safetensors (PyTorch) or tfjs to a place the user chooses.
 */
import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../../app/navigation';
import { OutdatedChipView } from '../../shared/OutdatedResults';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { visuallyHidden } from '../../shared/visuallyHidden';
import { useJobs } from '../jobs/JobsStore';
import { useStudy } from '../study/StudyStore';
import { ExportModelDialog } from './ExportModelDialog';
import { trainedModels, trainingJobsKey, type TrainedModelRow } from './trained-models.viewmodel';

export function TrainedModelsCard() {
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const { navigate } = useNavigation();
  const studyPath = openStudy?.path ?? null;
  const runs = useStudyQuery('runs.list', studyPath ? { studyPath } : null, trainingJobsKey(jobs, studyPath));
  const [exporting, setExporting] = useState<TrainedModelRow | null>(null);
  const rows = runs.data ? trainedModels(runs.data) : null;

  return (
    <Card component="section" aria-labelledby="trained-models-title" data-testid="trained-models">
      <CardContent>
        <Typography variant="h2" id="trained-models-title" gutterBottom>
          Trained models
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          Each finished run keeps the model of its best validation epoch; the evaluations and analyses use that model. Export one to use it
          outside FundusLab: .safetensors loads into PyTorch (torchvision names), tfjs into TensorFlow.js.
        </Typography>
        {!openStudy ? (
          <>
            <Typography variant="body2" sx={{ mb: 2 }} data-testid="trained-models-no-study">
              Open a study to see its trained models.
            </Typography>
            <Button variant="outlined" onClick={() => navigate('studies')}>
              Go to Studies
            </Button>
          </>
        ) : runs.error ? (
          <Alert severity="error" action={<Button onClick={runs.refresh}>Try again</Button>}>
            Could not read the runs: {runs.error}
          </Alert>
        ) : !rows ? (
          <CircularProgress aria-label="Loading the trained models" />
        ) : rows.length === 0 ? (
          <>
            <Typography variant="body2" sx={{ mb: 2 }} data-testid="trained-models-empty">
              No run of this study has finished yet.
            </Typography>
            <Button variant="outlined" onClick={() => navigate('training')}>
              Go to Training
            </Button>
          </>
        ) : (
          <TableContainer>
            <Table size="small" aria-labelledby="trained-models-title">
              <TableHead>
                <TableRow>
                  <TableCell>Strategy</TableCell>
                  <TableCell align="right">Fraction</TableCell>
                  <TableCell align="right">Seed</TableCell>
                  <TableCell>Architecture</TableCell>
                  <TableCell align="right">Epochs</TableCell>
                  <TableCell align="right">Best val AUC</TableCell>
                  <TableCell>
                    <Box component="span" sx={visuallyHidden}>
                      Export
                    </Box>
                  </TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {rows.map((row) => (
                  <TableRow key={row.runId} data-testid="trained-model" data-run-id={row.runId}>
                    <TableCell>
                      {row.strategy}
                      {row.outdated ? (
                        <>
                          {' '}
                          <OutdatedChipView chip={row.outdated} testId="trained-model-outdated" />
                        </>
                      ) : null}
                    </TableCell>
                    <TableCell align="right">{row.fraction}</TableCell>
                    <TableCell align="right">{row.seed}</TableCell>
                    <TableCell>{row.arch}</TableCell>
                    <TableCell align="right">{row.epochs}</TableCell>
                    <TableCell align="right" data-testid="trained-model-auc">
                      {row.bestValAuc}
                    </TableCell>
                    <TableCell align="right">
                      <Button
                        size="small"
                        variant="outlined"
                        onClick={() => setExporting(row)}
                        aria-label={`Export ${row.strategy} ${row.fraction} seed ${row.seed}`}
                        data-testid="trained-model-export"
                      >
                        Export…
                      </Button>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </CardContent>
      {exporting && studyPath ? <ExportModelDialog studyPath={studyPath} model={exporting} onClose={() => setExporting(null)} /> : null}
    </Card>
  );
}
