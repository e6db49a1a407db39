import Chip, { type ChipProps } from '@mui/material/Chip';
import type { StatusColor } from './status';

/** A small coloured chip for a status; colour from the theme, meaning also in the text. */
export function StatusChip({
  label,
  color,
  testId,
  ...rest
}: { label: string; color: StatusColor; testId?: string } & Omit<ChipProps, 'label' | 'color'>) {
  return (
    <Chip size="small" label={label} color={color} variant={color === 'default' ? 'outlined' : 'filled'} data-testid={testId} {...rest} />
  );
}
