/**
 * How the analysis pages (Spectra, Robustness, Explanations) mark outdated runs and the results
 * computed from them, as the Results page does: the "Outdated" chip with its reasons as tooltip and
 * accessible description, the "Include outdated runs" toggle, the notices of results left out or
 * included, and a result's line (`computed from an outdated run: epochs 1 → 2`). What is outdated is
 * decided in analyses.viewmodel.ts.
 */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import Switch from '@mui/material/Switch';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { OutdatedChip } from '../features/training/run-settings.viewmodel';
import type { ResultOutdated, ResultsByStanding } from './analyses.viewmodel';
import { StatusChip } from './StatusChip';

/** The "Outdated" chip, its reasons as tooltip and accessible description. */
export function OutdatedChipView({ chip, testId }: { chip: OutdatedChip; testId: string }) {
  return (
    <Tooltip title={chip.reasons}>
      <span>
        <StatusChip label={chip.label} color="warning" testId={testId} aria-description={chip.reasons} />
      </span>
    </Tooltip>
  );
}

/** The page's toggle (off by default): results of outdated runs are left out of its figures and tables until it is on. */
export function IncludeOutdatedSwitch(props: { checked: boolean; onChange: (checked: boolean) => void; testId: string }) {
  return (
    <FormControlLabel
      control={<Switch checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} data-testid={props.testId} />}
      label="Include outdated runs (trained with settings the grid no longer has)"
    />
  );
}

/** The toggle (when anything is outdated) and the notices: `<prefix>-include-outdated`, `<prefix>-outdated-excluded`, `-included`. */
export function OutdatedControls(props: {
  standing: Pick<ResultsByStanding<unknown>, 'excluded' | 'included' | 'anyOutdated'>;
  includeOutdated: boolean;
  onIncludeOutdated: (checked: boolean) => void;
  prefix: string;
}) {
  const { standing, prefix } = props;
  if (!standing.anyOutdated) return null;
  return (
    <Box>
      <IncludeOutdatedSwitch checked={props.includeOutdated} onChange={props.onIncludeOutdated} testId={`${prefix}-include-outdated`} />
      {standing.excluded ? (
        <Alert severity="info" data-testid={`${prefix}-outdated-excluded`}>
          {standing.excluded}
        </Alert>
      ) : null}
      {standing.included ? (
        <Alert severity="warning" data-testid={`${prefix}-outdated-included`}>
          {standing.included}
        </Alert>
      ) : null}
    </Box>
  );
}

/** The shown results that are marked: each one's label, chip and line (`data-testid="<prefix>-outdated-result"`). */
export function OutdatedResultsList({
  items,
  prefix,
}: {
  items: { key: string; label: string; outdated: ResultOutdated }[];
  prefix: string;
}) {
  if (items.length === 0) return null;
  return (
    <Box component="ul" sx={{ listStyle: 'none', p: 0, m: 0, mb: 1.5 }}>
      {items.map((item) => (
        <Box
          component="li"
          key={item.key}
          data-testid={`${prefix}-outdated-result`}
          sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap', mb: 0.5 }}
        >
          <OutdatedChipView chip={item.outdated.chip} testId={`${prefix}-outdated`} />
          <Typography variant="body2" component="span" sx={{ overflowWrap: 'anywhere' }}>
            {item.label}: <span data-testid={`${prefix}-outdated-line`}>{item.outdated.line}</span>
          </Typography>
        </Box>
      ))}
    </Box>
  );
}
