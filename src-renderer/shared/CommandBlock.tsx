import Box from '@mui/material/Box';
import { MONO_FONT } from '../app/theme';

/** Shell commands, one per line, wrapped (never wider than their card) and selectable. */
export function CommandBlock({ lines, testId, label = 'Command line' }: { lines: readonly string[]; testId?: string; label?: string }) {
  return (
    <Box
      component="pre"
      data-testid={testId}
      aria-label={label}
      tabIndex={0}
      sx={{
        m: 0,
        p: 1.5,
        borderRadius: 1,
        bgcolor: 'action.hover',
        border: 1,
        borderColor: 'divider',
        fontFamily: MONO_FONT,
        fontSize: '0.8125rem',
        lineHeight: 1.6,
        whiteSpace: 'pre-wrap',
        overflowWrap: 'anywhere',
        maxWidth: '100%',
      }}
    >
      {lines.join('\n')}
    </Box>
  );
}
