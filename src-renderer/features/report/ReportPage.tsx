import { RefreshButton } from '../../shared/RefreshButton';
import { LoadErrorAlert } from '../../shared/LoadErrorAlert';
import { useMemo, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Link from '@mui/material/Link';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useAppInfo, useClient } from '../../app/ClientContext';
import { useNavigation } from '../../app/navigation';
import { activeStudyJobs, finishedJobsSignature, studyJobs } from '../../shared/analyses.viewmodel';
import { CommandBlock } from '../../shared/CommandBlock';
import { errorMessage } from '../../shared/errors.viewmodel';
import { checkboxFocusRing } from '../../shared/focusRing';
import { CheckIcon, DownloadIcon, FolderIcon, OpenExternalIcon, ReportIcon } from '../../shared/icons';
import { PageHeader } from '../../shared/PageHeader';
import { StudyRequiredCard } from '../../shared/StudyRequiredCard';
import { useStudyQuery } from '../../shared/useStudyQuery';
import { ActiveJobsProgress } from '../jobs/JobProgressBar';
import { useJobs } from '../jobs/JobsStore';
import { useJobLauncher } from '../jobs/useJobLauncher';
import { useStudy } from '../study/StudyStore';
import { outcomeSummary, reportCommand, reportContents, reportFileName, reportOutcome, reportRows } from './report.viewmodel';
import { StudyItemsCard } from '../trash/StudyItemsCard';

const DESCRIPTION =
  "The study report as a PDF for a paper's supplement: datasets and validation findings, methods with every hyperparameter, versions and dataset hashes, Fig 2-5, Tables 2-3, results with confidence intervals and paired tests, limitations and a per-run appendix; every figure also as SVG and PNG and every table as CSV beside it.";

/** Saves a data URL (a PDF from reports.file) as a download through the page. */
function downloadDataUrl(fileName: string, dataUrl: string) {
  const link = document.createElement('a');
  link.href = dataUrl;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
}

export function ReportPage({ focusHeading }: { focusHeading: boolean }) {
  const { openStudy } = useStudy();
  const { jobs } = useJobs();
  const { mine, jobId, busy: exporting, error, setError, launch, cancel } = useJobLauncher();
  const { navigate } = useNavigation();
  const client = useClient();
  const info = useAppInfo();
  const studyPath = openStudy?.path ?? null;
  const input = studyPath ? { studyPath } : null;
  const reportsDone = finishedJobsSignature(jobs, studyPath, 'report.build');
  const reports = useStudyQuery('reports.list', input, reportsDone);
  const results = useStudyQuery('results.get', input, finishedJobsSignature(jobs, studyPath, 'evaluate.run'));
  const spectra = useStudyQuery('spectra.list', input, finishedJobsSignature(jobs, studyPath, 'spectra.run'));
  const robustness = useStudyQuery('robustness.list', input, finishedJobsSignature(jobs, studyPath, 'robustness.run'));
  const explanations = useStudyQuery('explanations.list', input, finishedJobsSignature(jobs, studyPath, 'explain.run'));
  const [reveal, setReveal] = useState(false);
  const [includeOutdated, setIncludeOutdated] = useState(false);
  /** The report being opened (its path), if any. */
  const [busy, setBusy] = useState<string | null>(null);
  const canOpen = info.capabilities.openPath;

  const rows = useMemo(() => reportRows(reports.data ?? []), [reports.data]);
  const contents = useMemo(
    () =>
      reportContents({
        evaluations: results.data?.rows.length ?? 0,
        spectra: spectra.data?.length ?? 0,
        robustness: robustness.data?.length ?? 0,
        explanations: explanations.data?.length ?? 0,
      }),
    [results.data, spectra.data, robustness.data, explanations.data],
  );

  if (!studyPath) {
    return (
      <>
        <PageHeader title="Report" description={DESCRIPTION} focusOnMount={focusHeading} />
        <StudyRequiredCard testId="report-no-study" text="The report describes one study: its datasets, runs, evaluations and analyses." />
      </>
    );
  }

  const active = activeStudyJobs(jobs, studyPath, 'report.build');
  const latest = studyJobs(jobs, studyPath, 'report.build').at(-1) ?? null;
  const shown = mine ?? latest;
  const outcome = reportOutcome(shown);
  const running = active.length > 0;

  async function exportReport() {
    if (!studyPath) return;
    await launch({ kind: 'report.build', params: { revealImageIds: reveal, includeOutdated }, studyPath });
  }

  /** Opens a report: with the operating system in the desktop app, as a download in browser mode. */
  async function openReport(pdf: string) {
    if (!studyPath) return;
    setError(null);
    setBusy(pdf);
    try {
      if (canOpen) {
        await client.call('shell.openPath', { path: pdf });
      } else {
        const name = reportFileName(pdf, studyPath);
        if (!name) throw new Error(`${pdf} is not in the study's reports folder; open it from your file manager.`);
        const file = await client.call('reports.file', { studyPath, file: name });
        downloadDataUrl(file.fileName, file.dataUrl);
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  async function openFolder(dir: string) {
    setError(null);
    try {
      await client.call('shell.openPath', { path: dir });
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const openLabel = canOpen ? 'Open file' : 'Download PDF';
  const OpenIcon = canOpen ? OpenExternalIcon : DownloadIcon;
  const refresh = () => {
    reports.refresh();
    results.refresh();
    spectra.refresh();
    robustness.refresh();
    explanations.refresh();
  };

  return (
    <>
      <PageHeader
        title="Report"
        description={DESCRIPTION}
        focusOnMount={focusHeading}
        actions={<RefreshButton what="reports" onClick={refresh} />}
      />
      <Stack spacing={3}>
        <LoadErrorAlert error={reports.error} onRetry={refresh} />
        <Card component="section" aria-labelledby="export-title" data-testid="report-export-card">
          <CardContent>
            <Typography variant="h2" id="export-title" gutterBottom>
              Export the report
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', mb: 2, maxWidth: '80ch' }}>
              Export writes <code>reports/report-&lt;date&gt;.pdf</code> in the study folder, in the background, with its figures and tables
              in <code>reports/report-&lt;date&gt;-assets/</code>. Sections without results say which command fills them.
            </Typography>
            <FormControlLabel
              control={
                <Checkbox
                  checked={reveal}
                  onChange={(e) => setReveal(e.target.checked)}
                  sx={checkboxFocusRing}
                  slotProps={{ input: { 'data-testid': 'report-reveal', 'aria-describedby': 'report-reveal-help' } as object }}
                />
              }
              label="Show real image identifiers"
            />
            <Typography id="report-reveal-help" variant="body2" sx={{ color: 'text.secondary', ml: 4, mb: 2, maxWidth: '75ch' }}>
              Off (recommended): every image is named by a stable pseudonym (img-…), so the PDF can go into a supplement without file names
              that may identify patients; no image metadata is copied either way. On: the datasets' own image ids are printed — for internal
              use only.
            </Typography>
            <FormControlLabel
              control={
                <Checkbox
                  checked={includeOutdated}
                  onChange={(e) => setIncludeOutdated(e.target.checked)}
                  sx={checkboxFocusRing}
                  slotProps={{ input: { 'data-testid': 'report-include-outdated', 'aria-describedby': 'report-outdated-help' } as object }}
                />
              }
              label="Include outdated runs"
            />
            <Typography id="report-outdated-help" variant="body2" sx={{ color: 'text.secondary', ml: 4, mb: 2, maxWidth: '75ch' }}>
              Off (recommended): runs trained with settings the grid no longer has, and every result made from them, are left out; Methods
              list them. On: they are shown and marked outdated, with a table of the settings that differ.
            </Typography>
            <Box sx={{ display: 'flex', gap: 2, alignItems: 'center', flexWrap: 'wrap' }}>
              <Button
                variant="contained"
                startIcon={<ReportIcon />}
                onClick={() => void exportReport()}
                disabled={exporting || running}
                data-testid="report-export"
              >
                Export report
              </Button>
            </Box>
            <ActiveJobsProgress
              jobs={active}
              testId="report-progress"
              label="Report progress"
              cancelLabel="Cancel the report"
              onCancel={cancel}
            />
            {shown && !running && shown.id === jobId && shown.status !== 'succeeded' ? (
              <Alert severity={shown.status === 'failed' ? 'error' : 'warning'} sx={{ mt: 2 }} data-testid="report-failed">
                {shown.status === 'failed'
                  ? `The report failed: ${shown.error?.message ?? 'no reason given'}`
                  : `The report was ${shown.status}.`}
              </Alert>
            ) : null}
            {outcome && !running ? (
              <Alert
                severity="success"
                icon={<CheckIcon />}
                sx={{ mt: 2, '& .MuiAlert-message': { minWidth: 0, flex: 1 } }}
                data-testid="report-done"
                action={
                  <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', justifyContent: 'flex-end' }}>
                    <Button
                      color="inherit"
                      size="small"
                      startIcon={<OpenIcon />}
                      onClick={() => void openReport(outcome.pdf)}
                      disabled={busy === outcome.pdf}
                      data-testid="report-open"
                    >
                      {openLabel}
                    </Button>
                    {canOpen ? (
                      <Button color="inherit" size="small" startIcon={<FolderIcon />} onClick={() => void openFolder(outcome.assetsDir)}>
                        Figures and tables
                      </Button>
                    ) : null}
                  </Box>
                }
              >
                <Box sx={{ overflowWrap: 'anywhere' }}>
                  Report written: <strong>{outcome.pdf}</strong>
                </Box>
                <Box sx={{ color: 'text.secondary' }}>{outcomeSummary(outcome)}</Box>
              </Alert>
            ) : null}
            {error ? (
              <Alert severity="error" sx={{ mt: 2 }} onClose={() => setError(null)} data-testid="report-error">
                {error}
              </Alert>
            ) : null}
            <Box sx={{ mt: 2 }}>
              <Typography variant="caption" component="p" sx={{ color: 'text.secondary', mb: 0.5 }}>
                The same on the command line:
              </Typography>
              <CommandBlock lines={[reportCommand(studyPath, reveal, includeOutdated)]} testId="report-command" />
            </Box>
          </CardContent>
        </Card>
        <Card component="section" aria-labelledby="contents-title">
          <CardContent>
            <Typography variant="h2" id="contents-title" gutterBottom>
              What the report will contain
            </Typography>
            <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5, maxWidth: '80ch' }}>
              Always: the datasets with their validation findings, the methods, the limitations and the per-run appendix. From the study's
              results:
            </Typography>
            <Box component="ul" sx={{ listStyle: 'none', m: 0, p: 0, display: 'grid', gap: 1 }} data-testid="report-contents">
              {contents.map((c) => (
                <Box
                  component="li"
                  key={c.key}
                  sx={{ display: 'flex', gap: 1.5, alignItems: 'baseline', flexWrap: 'wrap' }}
                  data-ready={c.ready ? 'true' : 'false'}
                >
                  <Typography variant="body2" sx={{ fontWeight: 600, minWidth: { sm: 260 } }}>
                    {c.section}
                  </Typography>
                  <Typography variant="body2" sx={{ color: c.ready ? 'success.main' : 'text.secondary' }}>
                    {c.status}
                  </Typography>
                  {c.ready ? null : (
                    <Link component="button" variant="body2" onClick={() => navigate(c.route)} sx={{ textAlign: 'left' }}>
                      {c.hint}
                    </Link>
                  )}
                </Box>
              ))}
            </Box>
          </CardContent>
        </Card>
        <Card component="section" aria-labelledby="earlier-title">
          <CardContent>
            <Typography variant="h2" id="earlier-title" gutterBottom>
              Reports of this study
            </Typography>
            {reports.data !== null && rows.length === 0 ? (
              <Box data-testid="report-empty">
                <Typography variant="body2" sx={{ color: 'text.secondary', mb: 1.5, maxWidth: '80ch' }}>
                  No report yet. Click <strong>Export report</strong> above, or run on the command line:
                </Typography>
                <CommandBlock lines={[reportCommand(studyPath, false)]} testId="report-empty-command" />
              </Box>
            ) : (
              <TableContainer sx={{ border: 1, borderColor: 'divider', borderRadius: 1 }}>
                <Table size="small" aria-label="Reports of this study" data-testid="report-list">
                  <TableHead>
                    <TableRow>
                      <TableCell>File (reports/)</TableCell>
                      <TableCell align="right">Size</TableCell>
                      <TableCell>Written</TableCell>
                      <TableCell align="right">Actions</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {rows.map((r) => (
                      <TableRow key={r.file} data-testid="report-row" data-file={r.file}>
                        <TableCell sx={{ overflowWrap: 'anywhere' }}>{r.file}</TableCell>
                        <TableCell align="right" sx={{ whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}>
                          {r.size}
                        </TableCell>
                        <TableCell sx={{ whiteSpace: 'nowrap' }}>{r.modified}</TableCell>
                        <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                          <Button
                            size="small"
                            startIcon={<OpenIcon />}
                            onClick={() => void openReport(r.path)}
                            disabled={busy === r.path}
                            aria-label={`${openLabel}: ${r.file}`}
                            data-testid="report-row-open"
                          >
                            {canOpen ? 'Open' : 'Download'}
                          </Button>
                          {canOpen && r.assetsDir ? (
                            <Button
                              size="small"
                              startIcon={<FolderIcon />}
                              onClick={() => void openFolder(r.assetsDir!)}
                              aria-label={`Open the figures and tables of ${r.file}`}
                            >
                              Assets
                            </Button>
                          ) : null}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </TableContainer>
            )}
          </CardContent>
        </Card>
        {reports.data ? (
          <StudyItemsCard
            studyPath={studyPath}
            kind="report"
            title="Report files"
            names={reports.data.map((r) => r.file)}
            onDeleted={reports.refresh}
          />
        ) : null}
      </Stack>
    </>
  );
}
