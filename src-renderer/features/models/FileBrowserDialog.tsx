/**
 * The file browser of browser mode, where the page cannot open a native file dialog: the server lists
 * one folder at a time (`files.list`: sub-folders and weights files only, names and sizes, never
 * contents); a folder opens on click, a file is chosen on click and confirmed with Choose.
 */
import { useEffect, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { FilesListing } from '../../../src-shared/files';
import { useClient } from '../../app/ClientContext';
import { MONO_FONT } from '../../app/theme';
import { errorMessage } from '../../shared/errors.viewmodel';
import { FolderIcon, ModelsIcon } from '../../shared/icons';
import { browserRows } from './weights-files.viewmodel';

interface Props {
  title: string;
  /** The folder it opens at. */
  start: string;
  onClose(): void;
  onChoose(path: string): void;
}

/** Mounted while open (each opening starts afresh at `start`). */
export function FileBrowserDialog({ title, start, onClose, onChoose }: Props) {
  const client = useClient();
  const [dir, setDir] = useState(start);
  const [typed, setTyped] = useState(start);
  const [chosen, setChosen] = useState<string | null>(null);
  // The answer for one folder; while it is for another folder, the new one is loading.
  const [answer, setAnswer] = useState<{ dir: string; listing: FilesListing | null; error: string | null } | null>(null);

  useEffect(() => {
    let live = true;
    client.call('files.list', { path: dir }).then(
      (listing) => live && setAnswer({ dir, listing, error: null }),
      (err: unknown) => live && setAnswer({ dir, listing: null, error: errorMessage(err) }),
    );
    return () => {
      live = false;
    };
  }, [client, dir]);

  const loading = answer?.dir !== dir;
  const listing = loading ? null : (answer?.listing ?? null);
  const error = loading ? null : (answer?.error ?? null);

  function go(folder: string) {
    setDir(folder);
    setTyped(folder);
    setChosen(null);
  }

  function submitTyped(e: FormEvent) {
    e.preventDefault();
    if (typed.trim()) go(typed.trim());
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby="file-browser-title" data-testid="file-browser">
      <DialogTitle id="file-browser-title">{title}</DialogTitle>
      <DialogContent dividers>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5 }}>
          Folders on the computer FundusLab runs on, with the weights files in them (.pth, .pth.tar, .safetensors, .json).
        </Typography>
        <Box component="form" onSubmit={submitTyped} sx={{ display: 'flex', gap: 1, mb: 1.5 }}>
          <TextField
            label="Folder"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            size="small"
            autoComplete="off"
            spellCheck={false}
            sx={{ flex: 1 }}
            slotProps={{ htmlInput: { 'data-testid': 'file-browser-folder', style: { fontFamily: MONO_FONT } } }}
          />
          <Button type="submit" variant="outlined" data-testid="file-browser-go">
            Go
          </Button>
          <Button
            variant="outlined"
            // Disabled only at a top folder: staying enabled while the parent loads keeps the keyboard focus
            // (and Escape) inside the dialog instead of dropping it to the page.
            disabled={!loading && !listing?.parent}
            onClick={() => listing?.parent && go(listing.parent)}
            data-testid="file-browser-up"
          >
            Up
          </Button>
        </Box>
        {error ? (
          <Alert severity="error" data-testid="file-browser-error">
            {error}
          </Alert>
        ) : null}
        {loading ? <Typography variant="body2">Reading {dir}…</Typography> : null}
        {listing ? (
          listing.entries.length === 0 ? (
            <Typography variant="body2" data-testid="file-browser-empty">
              No folders or weights files here.
            </Typography>
          ) : (
            <List dense sx={{ maxHeight: 360, overflow: 'auto' }} data-testid="file-browser-list">
              {browserRows(listing).map((row) => (
                <ListItemButton
                  key={row.name}
                  selected={row.path === chosen}
                  onClick={() => (row.kind === 'dir' ? go(row.path) : setChosen(row.path))}
                  onDoubleClick={() => row.kind === 'file' && onChoose(row.path)}
                  data-testid="file-browser-entry"
                  data-kind={row.kind}
                  data-name={row.name}
                >
                  <ListItemIcon sx={{ minWidth: 32 }}>
                    {row.kind === 'dir' ? <FolderIcon fontSize="small" /> : <ModelsIcon fontSize="small" />}
                  </ListItemIcon>
                  <ListItemText primary={row.name} secondary={row.detail} slotProps={{ primary: { sx: { fontFamily: MONO_FONT } } }} />
                </ListItemButton>
              ))}
            </List>
          )
        ) : null}
        {listing?.truncated ? (
          <Alert severity="info">This folder holds more entries than are shown; type a deeper folder above.</Alert>
        ) : null}
      </DialogContent>
      <DialogActions>
        <Typography
          variant="body2"
          sx={{ flex: 1, ml: 2, fontFamily: MONO_FONT, overflowWrap: 'anywhere' }}
          data-testid="file-browser-chosen"
        >
          {chosen ?? ''}
        </Typography>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!chosen} onClick={() => chosen && onChoose(chosen)} data-testid="file-browser-choose">
          Choose
        </Button>
      </DialogActions>
    </Dialog>
  );
}
