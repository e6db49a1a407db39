/**
 * Exports one trained model (`models.export`): the format, the folder (typed, or chosen with the
 * desktop app's folder dialog) and the name; an existing file is replaced only when the user says so.
 */
import { useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ModelExportFormat, ModelExportResult } from '../../../src-shared/contract';
import { useAppInfo, useClient } from '../../app/ClientContext';
import { MONO_FONT } from '../../app/theme';
import { errorMessage } from '../../shared/errors.viewmodel';
import { defaultExportFolder, defaultExportName, exportDestination, type TrainedModelRow } from './trained-models.viewmodel';

interface Props {
  studyPath: string;
  model: TrainedModelRow;
  onClose(): void;
}

/** Mounted while open. */
export function ExportModelDialog({ studyPath, model, onClose }: Props) {
  const client = useClient();
  const info = useAppInfo();
  const [format, setFormat] = useState<ModelExportFormat>('safetensors');
  const [folder, setFolder] = useState(() => defaultExportFolder(studyPath));
  const [name, setName] = useState(() => defaultExportName(model.runId, 'safetensors'));
  const [overwrite, setOverwrite] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<ModelExportResult | null>(null);

  function changeFormat(next: ModelExportFormat) {
    // A name the user did not change follows the format.
    if (name === defaultExportName(model.runId, format)) setName(defaultExportName(model.runId, next));
    setFormat(next);
    setDone(null);
  }

  async function chooseFolder() {
    const { path } = await client.call('dialog.pickFolder', { title: 'Export the model into' });
    if (path) setFolder(path);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const destination = exportDestination(folder, name, format);
    if (!destination.ok) {
      setProblem(destination.problem);
      return;
    }
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      setDone(await client.call('models.export', { studyPath, runId: model.runId, format, out: destination.out, overwrite }));
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" aria-labelledby="export-model-title">
      <Box component="form" onSubmit={(e: FormEvent) => void submit(e)} data-testid="export-model">
        <DialogTitle id="export-model-title">
          Export {model.strategy} · {model.fraction} · seed {model.seed}
        </DialogTitle>
        <DialogContent>
          <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2 }}>
            The model of the run’s best validation epoch ({model.arch}, best val AUC {model.bestValAuc}).
          </Typography>
          <FormControl sx={{ mb: 2 }}>
            <FormLabel id="export-format-label">Format</FormLabel>
            <RadioGroup
              row
              aria-labelledby="export-format-label"
              value={format}
              onChange={(e) => changeFormat(e.target.value as ModelExportFormat)}
            >
              <FormControlLabel
                value="safetensors"
                control={<Radio />}
                label=".safetensors (PyTorch)"
                data-testid="export-format-safetensors"
              />
              <FormControlLabel value="tfjs" control={<Radio />} label="tfjs folder (TensorFlow.js)" data-testid="export-format-tfjs" />
            </RadioGroup>
          </FormControl>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', mb: 2 }}>
            <TextField
              label="Folder"
              value={folder}
              onChange={(e) => setFolder(e.target.value)}
              fullWidth
              size="small"
              slotProps={{ htmlInput: { 'data-testid': 'export-folder', spellCheck: false } }}
            />
            {info.capabilities.folderDialog ? (
              <Button variant="outlined" onClick={() => void chooseFolder()} sx={{ flexShrink: 0 }}>
                Choose…
              </Button>
            ) : null}
          </Box>
          <TextField
            label={format === 'safetensors' ? 'File name' : 'Folder name (model.json and weights.bin go inside)'}
            value={name}
            onChange={(e) => setName(e.target.value)}
            fullWidth
            size="small"
            sx={{ mb: 1 }}
            slotProps={{ htmlInput: { 'data-testid': 'export-name', spellCheck: false } }}
          />
          <FormControlLabel
            control={<Checkbox checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />}
            label="Replace files that are already there"
          />
          {problem ? (
            <Alert severity="error" sx={{ mt: 1 }} data-testid="export-error">
              {problem}
            </Alert>
          ) : null}
          {done ? (
            <Alert severity="success" sx={{ mt: 1 }} data-testid="export-done">
              Exported {done.arch} to{' '}
              {done.files.map((f) => (
                <Box key={f} component="span" sx={{ display: 'block', fontFamily: MONO_FONT, overflowWrap: 'anywhere' }}>
                  {f}
                </Box>
              ))}
            </Alert>
          ) : null}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy} color="inherit">
            Close
          </Button>
          <Button type="submit" variant="contained" disabled={busy} data-testid="export-submit">
            {busy ? 'Exporting…' : 'Export'}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
