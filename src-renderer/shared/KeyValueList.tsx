import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { MONO_FONT } from '../app/theme';

export interface KeyValueRow {
  label: string;
  value: ReactNode;
  mono?: boolean;
}

/** A two-column description list (label: value) that wraps long values instead of overflowing. */
export function KeyValueList({
  rows,
  labelWidth = 150,
  columns = 1,
  testId,
}: {
  rows: readonly KeyValueRow[];
  labelWidth?: number;
  /** Pairs per line: 2 fills left to right, then wraps (for short summaries on wide cards). */
  columns?: 1 | 2;
  testId?: string;
}) {
  return (
    <Box
      component="dl"
      data-testid={testId}
      sx={{ display: 'grid', gridTemplateColumns: `repeat(${columns}, ${labelWidth}px minmax(0, 1fr))`, columnGap: 2, rowGap: 0.75, m: 0 }}
    >
      {rows.map((row) => (
        <Box key={row.label} sx={{ display: 'contents' }}>
          <Typography component="dt" variant="body2" sx={{ color: 'text.secondary' }}>
            {row.label}
          </Typography>
          <Typography
            component="dd"
            variant="body2"
            sx={{ m: 0, overflowWrap: 'anywhere', ...(row.mono ? { fontFamily: MONO_FONT, fontSize: '0.8125rem' } : {}) }}
          >
            {row.value}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}
