import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { KeyValueList } from '../../shared/KeyValueList';
import type { CardModel } from './datasets.viewmodel';
import { GradeHistogramChart } from './GradeHistogramChart';
import { LesionLegend, SyntheticChip } from './DatasetChips';

export function DatasetCard({ model, onOpen }: { model: CardModel; onOpen(): void }) {
  const titleId = `dataset-${model.id}-title`;
  return (
    <Card
      component="section"
      aria-labelledby={titleId}
      data-testid={`dataset-card-${model.id}`}
      sx={{ height: '100%', display: 'flex', flexDirection: 'column' }}
    >
      <CardContent sx={{ flex: 1 }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap', mb: 1 }}>
          <Typography variant="h2" id={titleId} sx={{ overflowWrap: 'anywhere', mr: 'auto' }}>
            {model.title}
          </Typography>
          {model.synthetic ? <SyntheticChip /> : null}
          <Chip size="small" variant="outlined" label={model.typeLabel} />
        </Box>
        <KeyValueList rows={model.facts} labelWidth={72} columns={2} />
        <Typography variant="h3" component="h3" sx={{ mt: 2, mb: 0.5, fontSize: '0.875rem' }}>
          Images per grade
        </Typography>
        <GradeHistogramChart model={model.histogram} testId={`histogram-${model.id}`} />
        {model.lesions.length > 0 ? <LesionLegend lesions={model.lesions} /> : null}
        <Stack direction="row" spacing={1} sx={{ mt: 1.5, alignItems: 'center' }}>
          <Chip
            size="small"
            color={model.issues.error > 0 ? 'error' : model.issues.warning > 0 ? 'warning' : 'success'}
            variant="outlined"
            label={model.issueText}
            data-testid={`dataset-issues-${model.id}`}
          />
        </Stack>
        {model.warning ? (
          <Alert severity="warning" sx={{ mt: 1.5 }}>
            {model.warning}
          </Alert>
        ) : null}
      </CardContent>
      <CardActions sx={{ px: 2, pb: 2 }}>
        <Button variant="outlined" onClick={onOpen} data-testid={`open-dataset-${model.id}`} aria-label={`Open dataset ${model.title}`}>
          Open
        </Button>
      </CardActions>
    </Card>
  );
}
