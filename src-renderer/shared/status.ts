/** The theme colours a status chip can take (a subset of MUI's Chip colours). */
export type StatusColor = 'default' | 'primary' | 'info' | 'success' | 'warning' | 'error';
