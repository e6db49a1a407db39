import { useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Divider from '@mui/material/Divider';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useAppInfo, useClient } from '../../app/ClientContext';
import { MONO_FONT } from '../../app/theme';
import { KeyValueList } from '../../shared/KeyValueList';
import { errorMessage } from '../../shared/errors.viewmodel';
import { FolderIcon } from '../../shared/icons';
import { ImportPlanView } from './ImportPlanView';
import { FileBrowserDialog } from './FileBrowserDialog';
import { STANDIN_LABEL, browserStart, isStandinPath } from './weights-files.viewmodel';
import Chip from '@mui/material/Chip';
import { useStudy } from '../study/StudyStore';
import {
  SLOTS,
  TARGET_ARCHS,
  WEIGHT_FILE_FILTERS,
  inspectionSummary,
  planFor,
  planView,
  slotWarning,
  suggestedTarget,
  targetLabel,
  type WeightsSlot,
} from './models.viewmodel';
import { useModels } from './ModelsStore';

/**
 * One weights file: its path (typed, or chosen with Browse — the native dialog in the desktop app, the server's file browser in
 * browser mode), Inspect, and what an import would do. A demo stand-in is labelled as such.
 */
export function WeightsPickerCard({ slot }: { slot: WeightsSlot }) {
  const { slots, update, inspect } = useModels();
  const client = useClient();
  const info = useAppInfo();
  const state = slots[slot];
  const meta = SLOTS[slot];
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [browsing, setBrowsing] = useState(false);
  const { openStudy } = useStudy();
  const busy = state.status === 'inspecting';
  const headingId = `weights-${slot}-title`;

  /** A file chosen in either browser: into the field, then inspected (the chosen file, not the one the field held before). */
  function choose(path: string) {
    update(slot, { path });
    inspect(slot, path);
  }

  async function browse() {
    setDialogError(null);
    if (!info.capabilities.fileDialog) {
      setBrowsing(true);
      return;
    }
    try {
      const { path } = await client.call('dialog.pickFile', { title: meta.dialogTitle, filters: WEIGHT_FILE_FILTERS });
      if (path) choose(path);
    } catch (err) {
      setDialogError(errorMessage(err));
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (state.path.trim() && !busy) inspect(slot);
  }

  const inspection = state.inspection;
  const plan = inspection ? planFor(inspection, state.target) : null;
  const warning = inspection ? slotWarning(slot, inspection) : null;
  const suggestion = inspection ? suggestedTarget(inspection, state.target) : null;

  return (
    <Card data-testid={`weights-${slot}`} data-status={state.status} component="section" aria-labelledby={headingId}>
      <CardContent>
        <Typography variant="h2" id={headingId} gutterBottom>
          {meta.title}
        </Typography>
        <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
          {meta.description}
        </Typography>
        <Box component="form" onSubmit={submit} sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', flexWrap: 'wrap' }}>
          <TextField
            id={`weights-${slot}-path`}
            label="Weights file"
            placeholder={meta.placeholder}
            value={state.path}
            onChange={(e) => update(slot, { path: e.target.value })}
            size="small"
            autoComplete="off"
            spellCheck={false}
            helperText="Absolute path of a .pth / .pt / .pth.tar (torch.save), .safetensors or tfjs model.json file"
            sx={{ flex: '1 1 420px', minWidth: 0 }}
            slotProps={{ htmlInput: { 'data-testid': `weights-${slot}-path`, style: { fontFamily: MONO_FONT } } }}
          />
          <Button
            variant="outlined"
            onClick={() => void browse()}
            disabled={busy}
            startIcon={<FolderIcon />}
            sx={{ height: 40 }}
            data-testid={`weights-${slot}-browse`}
            aria-label={`Browse for the ${meta.title}`}
          >
            Browse…
          </Button>
          <TextField
            select
            label="Target model"
            value={state.target}
            onChange={(e) => update(slot, { target: e.target.value })}
            size="small"
            sx={{ width: 240 }}
            slotProps={{ select: { SelectDisplayProps: { 'data-testid': `weights-${slot}-arch` } as object } }}
          >
            {TARGET_ARCHS.map((a) => (
              <MenuItem key={a} value={a} data-testid={`weights-arch-option-${a}`}>
                {targetLabel(a)}
              </MenuItem>
            ))}
          </TextField>
          <Button
            type="submit"
            variant="contained"
            disabled={busy || !state.path.trim()}
            sx={{ height: 40, minWidth: 100 }}
            data-testid={`weights-${slot}-inspect`}
            startIcon={busy ? <CircularProgress size={16} color="inherit" aria-hidden /> : undefined}
          >
            {busy ? 'Reading…' : 'Inspect'}
          </Button>
        </Box>
        {isStandinPath(state.path) ? (
          <Chip
            color="warning"
            variant="outlined"
            size="small"
            label={STANDIN_LABEL}
            sx={{ mt: 1 }}
            data-testid={`weights-${slot}-standin`}
          />
        ) : null}
        {browsing ? (
          <FileBrowserDialog
            title={meta.dialogTitle}
            start={browserStart(state.path, openStudy?.path ?? null, info.dataDir)}
            onClose={() => setBrowsing(false)}
            onChoose={(path) => {
              setBrowsing(false);
              choose(path);
            }}
          />
        ) : null}
        {dialogError ? (
          <Alert severity="error" sx={{ mt: 2 }} onClose={() => setDialogError(null)}>
            {dialogError}
          </Alert>
        ) : null}
        {state.error ? (
          <Alert severity="error" sx={{ mt: 2 }} data-testid={`weights-${slot}-error`}>
            <Typography variant="body2" sx={{ fontWeight: 600 }}>
              This file cannot be used
            </Typography>
            <Box component="span" sx={{ overflowWrap: 'anywhere' }}>
              {state.error}
            </Box>
          </Alert>
        ) : null}
        {inspection ? (
          <Box data-testid={`weights-${slot}-result`} sx={{ mt: 2 }}>
            <Divider sx={{ mb: 2 }} />
            <KeyValueList rows={inspectionSummary(inspection)} labelWidth={140} testId={`weights-${slot}-summary`} />
            {warning ? (
              <Alert severity="warning" sx={{ mt: 2 }} data-testid={`weights-${slot}-warning`}>
                {warning}
              </Alert>
            ) : null}
            <Box sx={{ mt: 2 }}>
              {suggestion ? (
                <Alert
                  severity="info"
                  sx={{ mb: 2 }}
                  data-testid={`weights-${slot}-suggestion`}
                  action={
                    <Button color="inherit" size="small" onClick={() => update(slot, { target: suggestion })}>
                      Use {suggestion}
                    </Button>
                  }
                >
                  The file holds a {suggestion}; it would load into that model ({targetLabel(suggestion)}).
                </Alert>
              ) : null}
              {plan ? (
                // keyed by architecture: another target is another plan (fresh open/closed state, no colour fade between verdicts)
                <ImportPlanView key={plan.arch} view={planView(plan)} testId={`weights-${slot}-plan`} />
              ) : (
                <Alert severity="info">No import plan for {state.target}; inspect again.</Alert>
              )}
            </Box>
          </Box>
        ) : null}
      </CardContent>
    </Card>
  );
}
