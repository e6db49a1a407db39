import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import type { Lesion } from '../../../src-shared/datasets';
import { Swatch } from './DatasetChips';

/** One toggle per lesion present in the dataset; on = its mask is drawn over the images. */
export function LesionToggles({
  lesions,
  enabled,
  onChange,
  idPrefix,
}: {
  lesions: readonly { lesion: Lesion; name: string; colour: string }[];
  enabled: readonly Lesion[];
  onChange(next: Lesion[]): void;
  idPrefix: string;
}) {
  return (
    <ToggleButtonGroup
      size="small"
      color="primary"
      value={[...enabled]}
      onChange={(_e, next: Lesion[]) => onChange(next)}
      aria-label="Lesion masks drawn over the images"
      sx={{ flexWrap: 'wrap' }}
    >
      {lesions.map((l) => (
        <ToggleButton
          key={l.lesion}
          value={l.lesion}
          aria-label={`${l.name} mask`}
          data-testid={`${idPrefix}-${l.lesion}`}
          sx={{ gap: 0.75, px: 1.25, '&.Mui-selected': { fontWeight: 700, boxShadow: (t) => `inset 0 -3px 0 ${t.palette.primary.main}` } }}
        >
          <Swatch colour={l.colour} />
          {l.lesion}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}
