import { useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import ButtonBase from '@mui/material/ButtonBase';
import CircularProgress from '@mui/material/CircularProgress';
import Pagination from '@mui/material/Pagination';
import Typography from '@mui/material/Typography';
import type { DatasetItemRow, ItemsPage } from '../../../src-shared/contract';
import type { Lesion } from '../../../src-shared/datasets';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import {
  itemCaption,
  itemCaptionLines,
  lesionToggles,
  masksFor,
  pageCount,
  pageOffset,
  pageRangeText,
  THUMB_SIZE,
  THUMBS_PER_PAGE,
} from './datasets.viewmodel';
import { ImageDialog } from './ImageDialog';
import { useDatasetImage } from './useDatasetImage';
import { LesionToggles } from './LesionToggles';

interface Props {
  studyPath: string;
  datasetId: string;
  masks: Partial<Record<Lesion, number>>;
}

function Thumbnail({
  studyPath,
  datasetId,
  item,
  enabled,
  onOpen,
}: {
  studyPath: string;
  datasetId: string;
  item: DatasetItemRow;
  enabled: readonly Lesion[];
  onOpen(): void;
}) {
  const masks = masksFor(item.lesions, enabled);
  const { url, error } = useDatasetImage(studyPath, datasetId, item.id, 'overlay', THUMB_SIZE, masks);
  const caption = itemCaption(item);
  const lines = itemCaptionLines(item);
  return (
    <Box component="li" sx={{ listStyle: 'none', minWidth: 0 }}>
      <ButtonBase
        onClick={onOpen}
        aria-label={`Open ${caption}${masks.length ? `, with ${masks.join(', ')} masks` : ''}`}
        data-testid={`thumb-${item.id}`}
        data-masks={masks.join(',')}
        data-loaded={url ? 'true' : 'false'}
        sx={{
          display: 'block',
          width: '100%',
          borderRadius: 1,
          overflow: 'hidden',
          border: 1,
          borderColor: 'divider',
          textAlign: 'left',
          '&:hover img': { opacity: 0.9 },
        }}
      >
        <Box sx={{ aspectRatio: '1 / 1', bgcolor: '#000', display: 'grid', placeItems: 'center' }}>
          {url ? (
            <Box component="img" src={url} alt="" sx={{ width: '100%', height: '100%', display: 'block', objectFit: 'contain' }} />
          ) : error ? (
            <Typography variant="caption" sx={{ color: '#fff', p: 1 }}>
              {error}
            </Typography>
          ) : (
            <CircularProgress size={20} aria-label="Loading image" sx={{ color: '#fff' }} />
          )}
        </Box>
        <Box sx={{ px: 1, py: 0.5 }} title={caption}>
          <Typography
            variant="caption"
            component="p"
            sx={{ fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}
          >
            {lines[0]}
          </Typography>
          <Typography
            variant="caption"
            component="p"
            sx={{ color: 'text.secondary', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}
          >
            {lines[1]}
          </Typography>
        </Box>
      </ButtonBase>
    </Box>
  );
}

export function ThumbnailGrid({ studyPath, datasetId, masks }: Props) {
  const client = useClient();
  const [page, setPage] = useState(1);
  const [data, setData] = useState<ItemsPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggles = lesionToggles(masks);
  const [enabled, setEnabled] = useState<Lesion[]>([]);
  const [openItem, setOpenItem] = useState<DatasetItemRow | null>(null);

  useEffect(() => {
    let live = true;
    client.call('datasets.items', { studyPath, datasetId, offset: pageOffset(page), limit: THUMBS_PER_PAGE }).then(
      (r) => {
        if (!live) return;
        setData(r);
        setError(null);
      },
      (err: unknown) => live && setError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [client, studyPath, datasetId, page]);

  if (error) return <Alert severity="error">{error}</Alert>;
  if (!data) return <CircularProgress size={24} aria-label="Loading images" />;
  if (data.total === 0) {
    return (
      <Typography variant="body2" sx={{ color: 'text.secondary' }}>
        No images were imported: look at the validation report above for why each was left out.
      </Typography>
    );
  }
  const pages = pageCount(data.total);
  return (
    <Box data-testid="thumbnail-grid">
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap', mb: 2 }}>
        {toggles.length > 0 ? (
          <>
            <Typography variant="body2" id="mask-toggles-label">
              Lesion masks:
            </Typography>
            <LesionToggles lesions={toggles} enabled={enabled} onChange={setEnabled} idPrefix="mask-toggle" />
          </>
        ) : null}
        <Typography variant="body2" sx={{ color: 'text.secondary', ml: 'auto' }} aria-live="polite">
          {pageRangeText(data.offset, data.items.length, data.total)}
        </Typography>
      </Box>
      <Box
        component="ul"
        aria-label="Images"
        sx={{ p: 0, m: 0, display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(140px, 1fr))', gap: 1.5 }}
      >
        {data.items.map((item) => (
          <Thumbnail
            key={item.id}
            studyPath={studyPath}
            datasetId={datasetId}
            item={item}
            enabled={enabled}
            onOpen={() => setOpenItem(item)}
          />
        ))}
      </Box>
      {pages > 1 ? (
        <Pagination
          sx={{ mt: 2, display: 'flex', justifyContent: 'center' }}
          count={pages}
          page={page}
          onChange={(_e, p) => setPage(p)}
          aria-label="Image pages"
          data-testid="thumb-pages"
        />
      ) : null}
      {openItem ? (
        <ImageDialog
          studyPath={studyPath}
          datasetId={datasetId}
          item={openItem}
          toggles={toggles.filter((t) => openItem.lesions.includes(t.lesion))}
          enabled={enabled}
          onEnabledChange={setEnabled}
          onClose={() => setOpenItem(null)}
        />
      ) : null}
    </Box>
  );
}
