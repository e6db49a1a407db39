import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Typography from '@mui/material/Typography';
import { useNavigation } from '../../../app/navigation';
import { ChoiceLabel } from '../../../shared/ChoiceLabel';
import { FIELD_HELP } from './grid-form.viewmodel';
import type { TrainingDatasetChoice } from './training-datasets.viewmodel';

interface Props {
  /** The study's datasets as training choices (empty while they load). */
  choices: readonly TrainingDatasetChoice[];
  /** The study's datasets have been read (an empty list then means the study has none). */
  loaded: boolean;
  datasetId: string;
  error: string | undefined;
  onChange(datasetId: string): void;
}

/** The wizard's dataset step: the graded, preprocessed dataset every run trains on. */
export function DatasetStep({ choices, loaded, datasetId, error, onChange }: Props) {
  const { navigate } = useNavigation();
  return (
    <Box>
      <Typography variant="body2" sx={{ mb: 1.5, maxWidth: '80ch' }}>
        {FIELD_HELP.datasetId}.
      </Typography>
      {loaded && choices.length === 0 ? (
        <Alert severity="info" action={<Button onClick={() => navigate('datasets')}>Go to Datasets</Button>}>
          The study has no datasets yet: import one first.
        </Alert>
      ) : null}
      <RadioGroup aria-label="Dataset to train on" value={datasetId} onChange={(e) => onChange(e.target.value)}>
        {choices.map((c, i) => (
          <FormControlLabel
            key={c.id}
            value={c.id}
            disabled={c.disabledReason !== null}
            sx={{ mb: 0.5, mr: 0 }}
            control={
              <Radio
                size="small"
                slotProps={{
                  input: { 'data-testid': `grid-dataset-${c.id}`, ...(i === 0 ? { 'data-step-focus': 'true' } : {}) } as object,
                }}
              />
            }
            label={<ChoiceLabel label={c.label} note={c.disabledReason} />}
          />
        ))}
      </RadioGroup>
      {error ? <FormHelperText error>{error}</FormHelperText> : null}
    </Box>
  );
}
