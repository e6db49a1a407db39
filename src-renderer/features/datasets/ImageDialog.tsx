import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import type { DatasetItemRow } from '../../../src-shared/contract';
import type { Lesion } from '../../../src-shared/datasets';
import { itemCaption, masksFor } from './datasets.viewmodel';
import { LesionToggles } from './LesionToggles';
import { useDatasetImage } from './useDatasetImage';

interface Props {
  studyPath: string;
  datasetId: string;
  item: DatasetItemRow;
  toggles: { lesion: Lesion; name: string; colour: string }[];
  enabled: readonly Lesion[];
  onEnabledChange(next: Lesion[]): void;
  onClose(): void;
}

/** The overlay-size copy of one image, with the chosen lesion masks drawn over it. */
export function ImageDialog({ studyPath, datasetId, item, toggles, enabled, onEnabledChange, onClose }: Props) {
  const masks = masksFor(item.lesions, enabled);
  const { url, error } = useDatasetImage(studyPath, datasetId, item.id, 'overlay', undefined, masks);
  return (
    <Dialog open onClose={onClose} maxWidth="md" aria-labelledby="image-dialog-title" data-testid="image-dialog">
      <DialogTitle id="image-dialog-title" sx={{ overflowWrap: 'anywhere' }}>
        {itemCaption(item)}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5 }}>
          Patient {item.patient}
          {item.eye ? ` · ${item.eye} eye` : ''}
          {item.lesions.length ? ` · masks: ${item.lesions.join(', ')}` : ''}
        </Typography>
        {toggles.length > 0 ? (
          <Box sx={{ mb: 1.5 }}>
            <LesionToggles lesions={toggles} enabled={enabled} onChange={onEnabledChange} idPrefix="dialog-mask-toggle" />
          </Box>
        ) : null}
        <Box
          sx={{
            width: 'min(512px, 70vh)',
            aspectRatio: '1 / 1',
            bgcolor: '#000',
            display: 'grid',
            placeItems: 'center',
            borderRadius: 1,
            overflow: 'hidden',
          }}
        >
          {url ? (
            <Box
              component="img"
              src={url}
              alt={`${itemCaption(item)}${masks.length ? ` with ${masks.join(', ')} masks` : ''}`}
              data-testid="image-dialog-img"
              sx={{ width: '100%', height: '100%', objectFit: 'contain', display: 'block' }}
            />
          ) : error ? (
            <Typography sx={{ color: '#fff', p: 2 }}>{error}</Typography>
          ) : (
            <CircularProgress aria-label="Loading image" sx={{ color: '#fff' }} />
          )}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} autoFocus>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
