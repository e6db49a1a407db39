import { useEffect, useRef, type ReactNode } from 'react';
import Box from '@mui/material/Box';
import Skeleton from '@mui/material/Skeleton';
import Typography from '@mui/material/Typography';

export interface OverlayLayer {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/**
 * One Fig 5 panel: the fundus image with an RGBA layer (heatmap or mask) drawn on a canvas over it,
 * pixel for pixel (no smoothing: each heatmap pixel is one input pixel of the model), and a caption.
 * `grey`: the image in grey under the layer, as the report draws it, so the colours read clearly.
 */
export function OverlayPanel({
  image,
  layer,
  grey = false,
  caption,
  detail,
  alt,
  testId,
}: {
  image: string | null;
  layer: OverlayLayer | null;
  grey?: boolean;
  caption: string;
  detail?: ReactNode;
  alt: string;
  testId: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el || !layer) return;
    el.width = layer.width;
    el.height = layer.height;
    const ctx = el.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, layer.width, layer.height);
    ctx.putImageData(new ImageData(new Uint8ClampedArray(layer.rgba), layer.width, layer.height), 0, 0);
  }, [layer]);
  return (
    <Box
      component="figure"
      data-testid={testId}
      data-image={image ? 'loaded' : 'loading'}
      data-layer={layer ? 'drawn' : 'none'}
      sx={{ m: 0, minWidth: 0 }}
    >
      <Box
        sx={{ position: 'relative', width: '100%', aspectRatio: '1', borderRadius: 1, overflow: 'hidden', bgcolor: '#000' }}
        role="img"
        aria-label={alt}
      >
        {image ? (
          <Box
            component="img"
            src={image}
            alt=""
            sx={{
              position: 'absolute',
              inset: 0,
              width: '100%',
              height: '100%',
              display: 'block',
              filter: grey ? 'grayscale(1) brightness(0.7)' : undefined,
            }}
          />
        ) : (
          <Skeleton variant="rectangular" sx={{ position: 'absolute', inset: 0, width: '100%', height: '100%' }} />
        )}
        {layer ? (
          <Box
            component="canvas"
            ref={canvas}
            sx={{ position: 'absolute', inset: 0, width: '100%', height: '100%', imageRendering: 'pixelated' }}
          />
        ) : null}
      </Box>
      <Typography component="figcaption" variant="body2" sx={{ mt: 0.75, fontWeight: 600, overflowWrap: 'anywhere' }}>
        {caption}
      </Typography>
      {detail ? (
        <Typography variant="caption" component="div" sx={{ color: 'text.secondary', overflowWrap: 'anywhere' }}>
          {detail}
        </Typography>
      ) : null}
    </Box>
  );
}
