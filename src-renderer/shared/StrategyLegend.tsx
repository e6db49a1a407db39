import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import type { TrainingStrategy } from '../../src-shared/training';
import { strategyColour, variantDash } from './strategies';

export interface LegendItem {
  key: string;
  strategy: TrainingStrategy;
  label: string;
  /** n-th curve of the same strategy in the chart (its dash pattern). */
  variant?: number;
  /** Draw a band swatch behind the line (charts with CI bands). */
  band?: boolean;
}

/**
 * A chart legend in HTML (it wraps instead of overflowing the chart): a line sample in the
 * strategy's colour and dash, then the text.
 */
export function StrategyLegend({ items, testId }: { items: readonly LegendItem[]; testId?: string }) {
  const mode = useTheme().palette.mode;
  return (
    <Box
      component="ul"
      data-testid={testId}
      sx={{ display: 'flex', flexWrap: 'wrap', columnGap: 2.5, rowGap: 0.5, listStyle: 'none', m: 0, p: 0 }}
    >
      {items.map((item) => {
        const colour = strategyColour(item.strategy, mode);
        return (
          <Box component="li" key={item.key} sx={{ display: 'flex', alignItems: 'center', gap: 1, minWidth: 0 }}>
            <svg width="28" height="12" aria-hidden focusable="false" style={{ flexShrink: 0 }}>
              {item.band ? <rect x="0" y="1" width="28" height="10" fill={colour} fillOpacity={0.18} /> : null}
              <line
                x1="1"
                y1="6"
                x2="27"
                y2="6"
                stroke={colour}
                strokeWidth={2.5}
                strokeDasharray={variantDash(item.strategy, item.variant ?? 0)}
              />
            </svg>
            <Typography variant="body2" component="span" sx={{ overflowWrap: 'anywhere' }}>
              {item.label}
            </Typography>
          </Box>
        );
      })}
    </Box>
  );
}
