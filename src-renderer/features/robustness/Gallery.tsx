import { useEffect } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Skeleton from '@mui/material/Skeleton';
import Typography from '@mui/material/Typography';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { useKeyedState } from '../../shared/useKeyedState';
import type { GalleryCell, GalleryModel } from './robustness.viewmodel';

const CELL = 96;

/** Loads the gallery PNGs (robustness.gallery), four at a time, in the model's order. */
function useGalleryImages(studyPath: string, name: string, files: readonly string[]) {
  const client = useClient();
  const key = files.join('\n');
  // The images of one gallery: another starts empty.
  const [gallery, setGallery] = useKeyedState<{ images: Record<string, string>; error: string | null }>(
    JSON.stringify([studyPath, name, key]),
    { images: {}, error: null },
  );
  useEffect(() => {
    let cancelled = false;
    const queue = key ? key.split('\n') : [];
    const worker = async () => {
      while (!cancelled && queue.length > 0) {
        const file = queue.shift()!;
        try {
          const { dataUrl } = await client.call('robustness.gallery', { studyPath, name, file });
          if (!cancelled) setGallery((g) => ({ ...g, images: { ...g.images, [file]: dataUrl } }));
        } catch (err) {
          if (!cancelled) setGallery((g) => ({ ...g, error: errorMessage(err) }));
        }
      }
    };
    void Promise.all([worker(), worker(), worker(), worker()]);
    return () => {
      cancelled = true;
    };
  }, [client, studyPath, name, key, setGallery]);
  return gallery;
}

function Cell({ cell, src }: { cell: GalleryCell; src: string | undefined }) {
  if (!cell.file)
    return (
      <Box
        sx={{ width: '100%', aspectRatio: '1', border: 1, borderColor: 'divider', borderRadius: 0.5 }}
        aria-label={`${cell.alt}: not in the gallery`}
      />
    );
  return src ? (
    <Box
      component="img"
      src={src}
      alt={cell.alt}
      sx={{ width: '100%', aspectRatio: '1', display: 'block', borderRadius: 0.5, imageRendering: 'pixelated' }}
    />
  ) : (
    <Skeleton variant="rectangular" sx={{ width: '100%', height: 'auto', aspectRatio: '1' }} aria-label={`${cell.alt}: loading`} />
  );
}

/** The gallery: the clean image, then one row per corruption with a column per severity. */
export function Gallery({ studyPath, name, model }: { studyPath: string; name: string; model: GalleryModel }) {
  const { images, error } = useGalleryImages(studyPath, name, model.files);
  const columns = `minmax(96px, 140px) repeat(${model.severities.length}, minmax(0, ${CELL}px))`;
  return (
    <Box data-testid="robustness-gallery" data-images={Object.keys(images).length}>
      {error ? (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      ) : null}
      <Box
        sx={{ display: 'grid', gridTemplateColumns: columns, gap: 1, alignItems: 'center' }}
        role="table"
        aria-label={`Image ${model.image} under every corruption and severity`}
      >
        <Box role="row" sx={{ display: 'contents' }}>
          <Typography role="columnheader" variant="body2" sx={{ color: 'text.secondary' }}>
            corruption
          </Typography>
          {model.severities.map((s) => (
            <Typography key={s} role="columnheader" variant="body2" sx={{ color: 'text.secondary', textAlign: 'center' }}>
              severity {s}
            </Typography>
          ))}
        </Box>
        {model.clean ? (
          <Box role="row" sx={{ display: 'contents' }}>
            <Typography role="rowheader" variant="body2">
              clean
            </Typography>
            <Box role="cell">
              <Cell cell={model.clean} src={images[model.clean.file!]} />
            </Box>
            {model.severities.slice(1).map((s) => (
              <Box key={s} role="cell" />
            ))}
          </Box>
        ) : null}
        {model.rows.map((row) => (
          <Box key={row.corruption} role="row" sx={{ display: 'contents' }}>
            <Typography role="rowheader" variant="body2" sx={{ overflowWrap: 'anywhere' }}>
              {row.label}
            </Typography>
            {row.cells.map((c) => (
              <Box key={c.severity} role="cell">
                <Cell cell={c} src={c.file ? images[c.file] : undefined} />
              </Box>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
