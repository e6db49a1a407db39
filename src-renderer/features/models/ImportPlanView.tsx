import { useId, useState } from 'react';
import Box from '@mui/material/Box';
import ButtonBase from '@mui/material/ButtonBase';
import Collapse from '@mui/material/Collapse';
import Typography from '@mui/material/Typography';
import { MONO_FONT } from '../../app/theme';
import { StatusChip } from '../../shared/StatusChip';
import { ChevronDownIcon } from '../../shared/icons';
import type { PlanSection, PlanView } from './models.viewmodel';

/** What importing the file into one architecture would do: a verdict, then one collapsible list per outcome. */
export function ImportPlanView({ view, testId }: { view: PlanView; testId: string }) {
  return (
    <Box data-testid={testId} data-arch={view.arch} data-ok={String(view.verdict.ok)}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5, flexWrap: 'wrap', mb: 1 }}>
        <Typography variant="subtitle2" component="h3">
          Import into {view.archLabel}
        </Typography>
        <StatusChip label={view.verdict.text} color={view.verdict.ok ? 'success' : 'error'} testId={`${testId}-verdict`} />
      </Box>
      <Box sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
        {view.sections.map((s, i) => (
          <PlanSectionView key={s.id} section={s} testId={`${testId}-${s.id}`} first={i === 0} />
        ))}
      </Box>
    </Box>
  );
}

const MAX_ROWS = 400;

function PlanSectionView({ section, testId, first }: { section: PlanSection; testId: string; first: boolean }) {
  const [open, setOpen] = useState(section.problem);
  const id = useId();
  const mono = { fontFamily: MONO_FONT, fontSize: '0.8125rem', overflowWrap: 'anywhere' } as const;
  return (
    <Box data-testid={testId} data-count={section.count} sx={{ borderTop: first ? 0 : 1, borderColor: 'divider' }}>
      <ButtonBase
        onClick={() => setOpen(!open)}
        aria-expanded={open}
        aria-controls={id}
        data-testid={`${testId}-toggle`}
        sx={{ width: '100%', justifyContent: 'flex-start', gap: 1, px: 1.5, py: 1, textAlign: 'left' }}
      >
        <ChevronDownIcon
          fontSize="small"
          sx={{ transform: open ? 'none' : 'rotate(-90deg)', transition: 'transform 120ms', color: 'text.secondary' }}
        />
        <Typography variant="body2" sx={{ fontWeight: 600, color: section.problem ? 'error.main' : 'text.primary' }}>
          {section.title}
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary' }}>
          ({section.count.toLocaleString('en-US')})
        </Typography>
      </ButtonBase>
      <Collapse in={open} id={id} unmountOnExit>
        <Box sx={{ px: 1.5, pb: 1.5, pl: 5 }}>
          {section.groups ? (
            <Box component="ul" sx={{ m: 0, p: 0, listStyle: 'none', display: 'grid', gap: 0.75 }}>
              {section.groups.map((g) => (
                <Box component="li" key={g.reason} data-testid={`${testId}-group`}>
                  <Typography variant="body2">
                    <Box component="span" sx={mono}>
                      {g.pattern}
                    </Box>
                    <Box component="span" sx={{ color: 'text.secondary' }}>
                      {' '}
                      — {g.reason} ({g.count.toLocaleString('en-US')} {g.count === 1 ? 'tensor' : 'tensors'})
                    </Box>
                  </Typography>
                </Box>
              ))}
            </Box>
          ) : (
            <Box component="ul" sx={{ m: 0, p: 0, listStyle: 'none', maxHeight: 320, overflowY: 'auto' }}>
              {section.rows.slice(0, MAX_ROWS).map((r) => (
                <Box component="li" key={r.primary} sx={{ display: 'flex', gap: 2, py: 0.25 }}>
                  <Box component="span" sx={{ ...mono, flex: '1 1 55%' }}>
                    {r.primary}
                  </Box>
                  <Box component="span" sx={{ ...mono, flex: '1 1 45%', color: 'text.secondary' }}>
                    {r.secondary}
                  </Box>
                </Box>
              ))}
              {section.rows.length > MAX_ROWS ? (
                <Typography component="li" variant="body2" sx={{ color: 'text.secondary' }}>
                  … and {(section.rows.length - MAX_ROWS).toLocaleString('en-US')} more
                </Typography>
              ) : null}
            </Box>
          )}
        </Box>
      </Collapse>
    </Box>
  );
}
