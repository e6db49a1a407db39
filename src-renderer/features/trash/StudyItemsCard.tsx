import { useState } from 'react';
import Accordion from '@mui/material/Accordion';
import AccordionDetails from '@mui/material/AccordionDetails';
import AccordionSummary from '@mui/material/AccordionSummary';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { TRASH_KIND_LABELS, type TrashKind } from '../../../src-shared/trash';
import { ChevronDownIcon } from '../../shared/icons';
import { DeleteButton } from './DeleteButton';
import { deletedNotice } from './trash.viewmodel';

interface Props {
  studyPath: string;
  kind: TrashKind;
  /** The items' names as the study names them (folder names; report file names). */
  names: readonly string[];
  /** Heading of the section, e.g. "Run folders". */
  title: string;
  /** The page re-reads what it shows after a deletion. */
  onDeleted(): void;
}

/** A collapsed "manage" section listing a page's items (run folders, evaluations, analyses…) with Delete on each. */
export function StudyItemsCard({ studyPath, kind, names, title, onDeleted }: Props) {
  const [notice, setNotice] = useState<string | null>(null);
  if (names.length === 0 && !notice) return null;
  return (
    <Accordion disableGutters variant="outlined" data-testid={`manage-${kind}`}>
      <AccordionSummary expandIcon={<ChevronDownIcon />} aria-controls={`manage-${kind}-content`} id={`manage-${kind}-header`}>
        <Typography variant="h3">
          {title} ({names.length})
        </Typography>
      </AccordionSummary>
      <AccordionDetails id={`manage-${kind}-content`}>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1 }}>
          Delete moves a {TRASH_KIND_LABELS[kind]} into the study&apos;s trash; the Trash page restores it.
        </Typography>
        {notice ? (
          <Alert severity="success" onClose={() => setNotice(null)} sx={{ mb: 1 }} data-testid={`manage-${kind}-notice`}>
            {notice}
          </Alert>
        ) : null}
        <Box component="ul" sx={{ m: 0, p: 0, listStyle: 'none' }}>
          {names.map((name) => (
            <Box
              component="li"
              key={name}
              data-testid={`manage-item-${name}`}
              sx={{ display: 'flex', alignItems: 'center', gap: 1, py: 0.25, borderBottom: 1, borderColor: 'divider' }}
            >
              <Typography variant="body2" component="code" sx={{ flex: 1, minWidth: 0, overflowWrap: 'anywhere' }}>
                {name}
              </Typography>
              <DeleteButton
                studyPath={studyPath}
                kind={kind}
                name={name}
                onDeleted={(entry) => {
                  setNotice(deletedNotice(entry));
                  onDeleted();
                }}
              />
            </Box>
          ))}
        </Box>
      </AccordionDetails>
    </Accordion>
  );
}
