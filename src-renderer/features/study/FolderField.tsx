import { useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import TextField from '@mui/material/TextField';
import { useAppInfo, useClient } from '../../app/ClientContext';
import { FolderIcon } from '../../shared/icons';
import { MONO_FONT } from '../../app/theme';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  error: string | undefined;
  helperText: string;
  testId: string;
  /** Title of the native folder dialog. */
  dialogTitle: string;
  disabled?: boolean;
  onDialogError(message: string): void;
}

/**
 * An absolute folder path typed by the user, with a Browse… button when the host has a native
 * folder dialog (the desktop app; not browser mode).
 */
export function FolderField({ id, label, value, onChange, error, helperText, testId, dialogTitle, disabled, onDialogError }: Props) {
  const client = useClient();
  const info = useAppInfo();
  const [picking, setPicking] = useState(false);

  async function browse() {
    setPicking(true);
    try {
      const { path } = await client.call('dialog.pickFolder', { title: dialogTitle });
      if (path) onChange(path);
    } catch (err) {
      onDialogError(err instanceof Error ? err.message : String(err));
    } finally {
      setPicking(false);
    }
  }

  return (
    <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
      <TextField
        id={id}
        label={label}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        error={Boolean(error)}
        helperText={error ?? helperText}
        disabled={disabled}
        fullWidth
        size="small"
        autoComplete="off"
        spellCheck={false}
        slotProps={{ htmlInput: { 'data-testid': testId, style: { fontFamily: MONO_FONT } } }}
      />
      {info.capabilities.folderDialog ? (
        <Button
          variant="outlined"
          onClick={browse}
          disabled={disabled || picking}
          startIcon={<FolderIcon />}
          aria-label={`Browse for the ${label.toLowerCase()}`}
          sx={{ flexShrink: 0, height: 40 }}
        >
          Browse…
        </Button>
      ) : null}
    </Box>
  );
}
