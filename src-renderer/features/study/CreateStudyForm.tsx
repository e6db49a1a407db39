import { useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useAppInfo } from '../../app/ClientContext';
import { splitError } from '../../shared/errors.viewmodel';
import { checkCreateStudy, examplePath, type FieldErrors } from './study.viewmodel';
import { FolderField } from './FolderField';
import { useStudy } from './StudyStore';

const FIELDS = ['path', 'name'] as const;

export function CreateStudyForm() {
  const { create } = useStudy();
  const { platform } = useAppInfo();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function edit(field: (typeof FIELDS)[number], value: string) {
    (field === 'name' ? setName : setPath)(value);
    setFieldErrors(({ [field]: _dropped, ...rest }) => rest);
    setGeneral(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const local = checkCreateStudy({ path, name });
    setFieldErrors(local);
    setGeneral(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await create(path.trim(), name.trim());
      setName('');
      setPath('');
    } catch (err) {
      const shown = splitError(err, FIELDS);
      setFieldErrors(shown.fields);
      setGeneral(shown.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card component="section" aria-labelledby="create-study-title" sx={{ height: '100%' }}>
      <CardContent>
        <Typography variant="h2" id="create-study-title" gutterBottom>
          Create a study
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2 }}>
          A study is a folder on this workstation that holds everything: datasets, runs, analyses and reports. Nothing is uploaded.
        </Typography>
        <Stack component="form" noValidate spacing={2} onSubmit={submit} aria-label="Create a study">
          <TextField
            id="create-study-name"
            label="Study name"
            value={name}
            onChange={(e) => edit('name', e.target.value)}
            error={Boolean(fieldErrors.name)}
            helperText={fieldErrors.name ?? 'For example: DR pretraining, EyePACS + APTOS'}
            disabled={busy}
            size="small"
            fullWidth
            autoComplete="off"
            slotProps={{ htmlInput: { 'data-testid': 'study-name', maxLength: 200 } }}
          />
          <FolderField
            id="create-study-path"
            label="Study folder"
            value={path}
            onChange={(v) => edit('path', v)}
            error={fieldErrors.path}
            helperText={`A new or empty folder, e.g. ${examplePath(platform)}`}
            testId="study-path"
            dialogTitle="Choose a folder for the new study"
            disabled={busy}
            onDialogError={setGeneral}
          />
          {general ? (
            <Alert severity="error" data-testid="create-study-error">
              {general}
            </Alert>
          ) : null}
          <div>
            <Button type="submit" variant="contained" disabled={busy}>
              {busy ? 'Creating…' : 'Create study'}
            </Button>
          </div>
        </Stack>
      </CardContent>
    </Card>
  );
}
