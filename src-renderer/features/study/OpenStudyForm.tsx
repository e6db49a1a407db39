import { useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { useAppInfo } from '../../app/ClientContext';
import { splitError } from '../../shared/errors.viewmodel';
import { useChanged } from '../../shared/useKeyedState';
import { checkOpenStudy, examplePath, type FieldErrors } from './study.viewmodel';
import { FolderField } from './FolderField';
import { useStudy } from './StudyStore';

export function OpenStudyForm() {
  const { open, openStudy } = useStudy();
  const { platform } = useAppInfo();
  const [path, setPath] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const openPath = openStudy?.path ?? null;

  // A study opened some other way (recent list, Create) makes an earlier error here stale.
  const openPathChanged = useChanged(openPath);
  if (openPathChanged && openPath) {
    setFieldErrors({});
    setGeneral(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const local = checkOpenStudy({ path });
    setFieldErrors(local);
    setGeneral(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await open(path.trim());
      setPath('');
    } catch (err) {
      const shown = splitError(err, ['path']);
      setFieldErrors(shown.fields);
      setGeneral(shown.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack component="form" noValidate spacing={2} onSubmit={submit} aria-label="Open a study">
      <FolderField
        id="open-study-path"
        label="Folder of an existing study"
        value={path}
        onChange={(v) => {
          setPath(v);
          setFieldErrors({});
          setGeneral(null);
        }}
        error={fieldErrors.path}
        helperText={`The folder that holds study.json, e.g. ${examplePath(platform)}`}
        testId="study-open-path"
        dialogTitle="Choose a study folder"
        disabled={busy}
        onDialogError={setGeneral}
      />
      {general ? (
        <Alert severity="error" data-testid="open-study-error">
          {general}
        </Alert>
      ) : null}
      <div>
        <Button type="submit" variant="contained" disabled={busy}>
          {busy ? 'Opening…' : 'Open study'}
        </Button>
      </div>
    </Stack>
  );
}
