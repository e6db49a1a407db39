/** The theme colours a status chip can take (a subset of MUI's Chip colours). */
export type StatusColor = 'default' | 'primary' | 'info' | 'success' | 'warning' | 'error';

/**
 * The two states of work not finished, named and coloured alike for jobs and training runs: waiting for a
 * worker is *Queued* (never shown as running), working now is *Running*.
 */
export const ACTIVE_STATUS = {
  queued: { label: 'Queued', color: 'info' },
  running: { label: 'Running', color: 'primary' },
} as const satisfies Record<string, { label: string; color: StatusColor }>;
