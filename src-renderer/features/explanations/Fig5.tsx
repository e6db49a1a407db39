import { useEffect, useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Slider from '@mui/material/Slider';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { LESION_COLOURS, LESION_NAMES, type HeatmapAnswer } from '../../../src-shared/contract';
import type { Pooling } from '../../../src-shared/explanations';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';
import { switchFocusRing } from '../../shared/focusRing';
import { useKeyedState } from '../../shared/useKeyedState';
import {
  LESIONS,
  POSITIVE_STOPS,
  UNION_COLOUR,
  accuracyCaption,
  defaultImage,
  imageChoices,
  maskRgba,
  overlayRgba,
  type ColourMap,
  type ExplanationGroup,
  type ExplainedLesion,
} from './explanations.viewmodel';
import { OverlayPanel, type OverlayLayer } from './OverlayPanel';

const BASE_SIZE = 256;

/** The base image (datasets.image, the overlay copy) and each result's heatmap of one image (the first with its masks). */
function useImageData(studyPath: string, group: ExplanationGroup, imageId: string | null) {
  const client = useClient();
  const names = group.results.map((r) => r.name).join('\n');
  // Everything belongs to one image of one group: another starts empty.
  const [data, setData] = useKeyedState<{ image: string | null; heatmaps: Record<string, HeatmapAnswer>; error: string | null }>(
    JSON.stringify([studyPath, group.datasetId, names, imageId]),
    { image: null, heatmaps: {}, error: null },
  );
  useEffect(() => {
    let cancelled = false;
    if (!imageId) return;
    const fail = (err: unknown) => {
      if (!cancelled) setData((d) => ({ ...d, error: errorMessage(err) }));
    };
    client
      .call('datasets.image', { studyPath, datasetId: group.datasetId, itemId: imageId, variant: 'overlay', size: BASE_SIZE })
      .then((r) => {
        if (!cancelled) setData((d) => ({ ...d, image: r.dataUrl }));
      }, fail);
    names.split('\n').forEach((name, i) => {
      client.call('explanations.heatmap', { studyPath, name, imageId, ...(i === 0 ? { masks: true } : {}) }).then((h) => {
        if (!cancelled) setData((d) => ({ ...d, heatmaps: { ...d.heatmaps, [name]: h } }));
      }, fail);
    });
    return () => {
      cancelled = true;
    };
  }, [client, studyPath, group.datasetId, names, imageId, setData]);
  return data;
}

function ColourScale({ map }: { map: ColourMap }) {
  const gradient =
    map === 'diverging'
      ? 'linear-gradient(to right, rgb(0,0,255), rgb(77,153,255) 35%, rgba(255,255,255,0) 50%, rgb(255,153,77) 65%, rgb(255,0,0))'
      : `linear-gradient(to right, rgba(0,0,0,0), ${POSITIVE_STOPS.map(([t, [r, g, b]]) => `rgb(${r},${g},${b}) ${Math.round(t * 100)}%`).join(', ')})`;
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, minWidth: 0 }} data-testid="explain-scale">
      <Typography variant="caption" sx={{ color: 'text.secondary', whiteSpace: 'nowrap' }}>
        {map === 'diverging' ? 'against' : '0'}
      </Typography>
      <Box
        aria-hidden
        sx={{ width: 140, height: 10, borderRadius: 5, background: gradient, border: 1, borderColor: 'divider', flexShrink: 0 }}
      />
      <Typography variant="caption" sx={{ color: 'text.secondary', whiteSpace: 'nowrap' }}>
        {map === 'diverging' ? 'for the explained output' : 'positive relevance (99.5th pct.)'}
      </Typography>
    </Box>
  );
}

/**
 * Fig 5: choose an image; its input, lesion masks and union, and every model's heatmap over it, with opacity, colour map and contour
 * controls.
 */
export function Fig5({ studyPath, group, pooling }: { studyPath: string; group: ExplanationGroup; pooling: Pooling }) {
  const choices = useMemo(() => imageChoices(group), [group]);
  const [imageId, setImageId] = useState<string | null>(null);
  const [opacity, setOpacity] = useState(0.75);
  const [colourMap, setColourMap] = useState<ColourMap>('diverging');
  const [contours, setContours] = useState(false);
  // The default image until the user picks another, and again when the picked one is not in the group (put right during the render).
  if (!choices.some((c) => c.id === imageId)) {
    const fallback = defaultImage(choices);
    if (fallback !== imageId) setImageId(fallback);
  }
  const { image, heatmaps, error } = useImageData(studyPath, group, imageId);

  const first = group.results[0]!;
  const maskSource = heatmaps[first.name] ?? null;
  const masks = useMemo(() => maskSource?.masks ?? {}, [maskSource]);
  const size = maskSource ? maskSource.width * maskSource.height : 0;
  const maskLayers = useMemo(() => {
    if (!maskSource) return null;
    const layer = (list: ArrayLike<number>[], colour: string): OverlayLayer => ({
      rgba: maskRgba(list, colour, size),
      width: maskSource.width,
      height: maskSource.height,
    });
    const present = LESIONS.filter((l) => masks[l]);
    return {
      lesions: Object.fromEntries(present.map((l) => [l, layer([masks[l]!], LESION_COLOURS[l])])) as Partial<
        Record<ExplainedLesion, OverlayLayer>
      >,
      union: layer(
        present.map((l) => masks[l]!),
        UNION_COLOUR,
      ),
    };
  }, [maskSource, masks, size]);
  const heatLayers = useMemo(
    () =>
      Object.fromEntries(
        group.results.map((r) => {
          const h = heatmaps[r.name];
          return [
            r.name,
            h
              ? {
                  rgba: overlayRgba(h.values, h.width, h.height, { colourMap, opacity, contours: contours ? masks : null }),
                  width: h.width,
                  height: h.height,
                }
              : null,
          ];
        }),
      ) as Record<string, OverlayLayer | null>,
    [group, heatmaps, colourMap, opacity, contours, masks],
  );

  if (choices.length === 0) return <Alert severity="info">The compared explanations have no image in common.</Alert>;
  const chosen = choices.find((c) => c.id === imageId) ?? null;

  return (
    <Box data-testid="fig5" data-image={imageId ?? ''}>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 3, alignItems: 'center', mb: 2 }}>
        <TextField
          select
          label="Image"
          value={chosen ? chosen.id : ''}
          onChange={(e) => setImageId(e.target.value)}
          size="small"
          sx={{ flex: '1 1 240px', minWidth: 0, maxWidth: 360 }}
          slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'explain-image' } as object } }}
        >
          {choices.map((c) => (
            <MenuItem key={c.id} value={c.id} data-testid="explain-image-option" data-id={c.id}>
              {c.label}
            </MenuItem>
          ))}
        </TextField>
        <Box sx={{ flex: '1 1 220px', minWidth: 180, maxWidth: 300, px: 1 }}>
          <Typography id="explain-opacity-label" variant="body2" sx={{ color: 'text.secondary' }}>
            Heatmap opacity: {Math.round(opacity * 100)} %
          </Typography>
          <Slider
            value={opacity}
            min={0}
            max={1}
            step={0.05}
            onChange={(_, v) => setOpacity(v as number)}
            aria-labelledby="explain-opacity-label"
            getAriaValueText={(v) => `${Math.round(v * 100)} %`}
            size="small"
            data-testid="explain-opacity"
          />
        </Box>
        <ToggleButtonGroup
          value={colourMap}
          exclusive
          onChange={(_, v: ColourMap | null) => v && setColourMap(v)}
          size="small"
          aria-label="Colour map"
        >
          <ToggleButton value="diverging" data-testid="explain-map-diverging">
            Red / blue (signed)
          </ToggleButton>
          <ToggleButton value="positive" data-testid="explain-map-positive">
            Positive only
          </ToggleButton>
        </ToggleButtonGroup>
        <FormControlLabel
          control={
            <Switch
              checked={contours}
              onChange={(e) => setContours(e.target.checked)}
              sx={switchFocusRing}
              slotProps={{ input: { 'data-testid': 'explain-contours' } as object }}
            />
          }
          label="Lesion contours"
        />
      </Box>
      <Box sx={{ mb: 2 }}>
        <ColourScale map={colourMap} />
      </Box>
      {error ? (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      ) : null}
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))', gap: 2 }} data-testid="fig5-panels">
        <OverlayPanel
          testId="fig5-input"
          image={image}
          layer={null}
          caption="Input"
          detail={imageId ?? ''}
          alt={`Input image ${imageId ?? ''}`}
        />
        {LESIONS.map((l) => (
          <OverlayPanel
            key={l}
            testId={`fig5-mask-${l}`}
            image={image}
            grey
            layer={maskLayers?.lesions[l] ?? null}
            caption={l}
            detail={maskSource && !masks[l] ? 'no mask for this image' : LESION_NAMES[l]}
            alt={`${LESION_NAMES[l]} mask of ${imageId ?? ''}`}
          />
        ))}
        <OverlayPanel
          testId="fig5-mask-union"
          image={image}
          grey
          layer={maskLayers?.union ?? null}
          caption="Union"
          detail="MA ∪ HE ∪ EX"
          alt={`Union of the lesion masks of ${imageId ?? ''}`}
        />
        {group.results.map((r) => (
          <OverlayPanel
            key={r.name}
            testId="fig5-heatmap"
            image={image}
            grey
            layer={heatLayers[r.name] ?? null}
            caption={r.run.strategy}
            detail={imageId ? accuracyCaption(r, imageId, 'union', pooling) : ''}
            alt={`LRP heatmap of ${r.run.strategy} (${r.run.runId}) on ${imageId ?? ''}`}
          />
        ))}
      </Box>
    </Box>
  );
}
