import { useEffect, useRef, type ReactNode } from 'react';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';

interface Props {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  /** Move keyboard focus to the heading when the page appears (after navigation). */
  focusOnMount?: boolean;
}

/** The page's h1, a one-line description and page-level actions. */
export function PageHeader({ title, description, actions, focusOnMount = false }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusOnMount) heading.current?.focus();
  }, [focusOnMount]);
  return (
    <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 2, mb: 3, flexWrap: 'wrap' }}>
      <Box sx={{ flex: '1 1 320px', minWidth: 0 }}>
        <Typography variant="h1" ref={heading} tabIndex={-1}>
          {title}
        </Typography>
        {description ? (
          <Typography variant="body2" sx={{ color: 'text.secondary', mt: 0.5, maxWidth: '75ch' }}>
            {description}
          </Typography>
        ) : null}
      </Box>
      {/* In a narrow window (or at high zoom) the actions wrap below the heading instead of squeezing it. */}
      {actions ? <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', minWidth: 0 }}>{actions}</Box> : null}
    </Box>
  );
}
