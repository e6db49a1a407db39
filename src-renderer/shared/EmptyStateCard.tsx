import type { ReactNode } from 'react';
import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Typography from '@mui/material/Typography';
import { CommandBlock } from './CommandBlock';

/** An empty state that says what to do: the in-page action in words, the command line, and an optional button. */
export function EmptyStateCard({
  testId,
  title,
  children,
  commands,
  action,
}: {
  testId: string;
  title: string;
  children: ReactNode;
  commands?: readonly string[];
  action?: ReactNode;
}) {
  return (
    <Card data-testid={testId}>
      <CardContent>
        <Typography variant="h2" gutterBottom>
          {title}
        </Typography>
        <Typography variant="body2" component="div" sx={{ color: 'text.secondary', mb: commands?.length ? 1.5 : 2, maxWidth: '80ch' }}>
          {children}
        </Typography>
        {commands?.length ? (
          <Box sx={{ mb: action ? 2 : 0 }}>
            <CommandBlock lines={commands} testId={`${testId}-command`} />
          </Box>
        ) : null}
        {action}
      </CardContent>
    </Card>
  );
}
