import Box from '@mui/material/Box';

/** A choice's label with a note after it in parentheses: why it is disabled (secondary) or a warning. */
export function ChoiceLabel({ label, note, warning = false }: { label: string; note: string | null; warning?: boolean }) {
  return (
    <span>
      {label}
      {note ? (
        <Box component="span" sx={{ color: warning ? 'warning.main' : 'text.secondary' }}>
          {' '}
          ({note})
        </Box>
      ) : null}
    </span>
  );
}
