/**
 * The composition root shared by every host (Electron main, the HTTP bridge, tests): builds the
 * services from host-provided adapters and returns the dispatcher all transports call.
 */
import path from 'node:path';
import type { BackendPreference, EngineStatus } from '../../src-shared/engine';
import { DoctorReport, EngineStatus as EngineStatusSchema } from '../../src-shared/engine';
import { AppError } from '../../src-shared/errors';
import { WeightsInspection } from '../../src-shared/weights';
import { TrainingSpec } from '../../src-shared/training';
import { evaluationPredictionsCsv, readEvaluation, resultsTableCsv, studyResults } from '../services/evaluation/results';
import { gridView, runDetail, runnableCells, saveGrid } from '../services/training/grid';
import { readStudyPlan } from '../study-run/plan-file';
import { specHash } from '../services/training/run-id';
import { csvPreview, datasetImage, getDataset, listDatasets, listItems } from '../services/datasets/view/index';
import { explanationHeatmap, listExplanations } from '../analysis/lrp/results';
import { listRobustness, robustnessGallery } from '../analysis/robustness/results';
import { listSpectra } from '../analysis/spectra/results';
import { checkOpenablePath, listReports, reportFile } from '../report/files';
import { assertReportOutFree } from '../report/out-file';
import { runSummaries } from '../services/runs/run-info';
import { runFolderFor } from '../services/runs/identity';
import { extendRun, requestStop, requester } from '../services/runs/steer';
import { createDispatcher, type Dispatch, type Handlers } from '../rpc/dispatch';
import { EventBus } from '../services/events';
import { JobService } from '../services/jobs/job-service';
import type { WorkerLauncher } from '../services/jobs/launcher';
import { runWorkerTask } from '../services/jobs/worker-task';
import type { Logger } from '../services/log';
import { SettingsService, type SettingsStore } from '../services/settings/store';
import { StudyService } from '../services/study-folder/study-service';
import { STUDY_FOLDERS, studyLayout } from '../services/study-folder/layout';
import { refuseSystemLocation, withFsDeadline } from '../fs/user-fs';
import { trashDelete, trashEmpty, trashList, trashRestore } from '../services/study-folder/trash';
import { listFiles } from '../services/files/list-files';
import { ModelExportResult } from '../../src-shared/contract';
import { cancelSubmissions, clusterStatus } from '../services/cluster/status';

/** Native dialogs; null where the host has none (browser mode). */
export interface Dialogs {
  pickFolder(title: string): Promise<string | null>;
  /** An existing file; `filters` narrow what the dialog lists (extensions without the dot). */
  pickFile(title: string, filters?: { name: string; extensions: string[] }[]): Promise<string | null>;
}

/** Opening files with the operating system; null where the host cannot (browser mode). */
export interface ShellAdapter {
  /** Electron's shell.openPath: resolves to an error message, or '' when the file was opened. */
  openPath(path: string): Promise<string>;
}

export interface HostOptions {
  host: 'electron' | 'browser';
  appVersion: string;
  electronVersion: string | null;
  /** Where the app keeps app-level state (app-level jobs, logs). */
  dataDir: string;
  settings: SettingsStore;
  launcher: WorkerLauncher;
  dialogs: Dialogs | null;
  /** Absent or null: `shell.openPath` answers UNSUPPORTED. */
  shell?: ShellAdapter | null;
  log: Logger;
}

export interface ComposedApp {
  dispatch: Dispatch;
  bus: EventBus;
  handlers: Handlers;
  jobs: JobService;
  /** Stops workers; running jobs are left `interrupted` so they can be retried. */
  shutdown(): Promise<void>;
}

/** A file-name stem from any text: characters other than letters, digits, '.', '_' and '-' become '-'. */
function fileStem(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'study';
}

/** evaluations/<name>/predictions.csv as written by the evaluation, with a file name for the download. */
async function predictionsCsv(studyPath: string, name: string): Promise<{ csv: string; fileName: string }> {
  return { csv: await evaluationPredictionsCsv(studyPath, name), fileName: `${fileStem(name)}-predictions.csv` };
}

export function composeApp(options: HostOptions): ComposedApp {
  const { log, launcher } = options;
  const bus = new EventBus();
  const settings = new SettingsService(options.settings, (next) => bus.emit('settings.changed', next));
  const studies = new StudyService({ appVersion: options.appVersion });
  const preference = (): BackendPreference => settings.get().preferredBackend;
  const jobs = new JobService({
    appJobsDir: path.join(options.dataDir, STUDY_FOLDERS.jobs), // the app's own jobs, kept like a study's
    launcher,
    preference,
    onUpdate: (state) => bus.emit('jobs.update', state),
    log,
  });

  // Probing the engine loads tfjs in a worker (a second or two); remember the answer per preference.
  const engineProbes = new Map<BackendPreference, Promise<EngineStatus>>();
  const engineStatus = (): Promise<EngineStatus> => {
    const pref = preference();
    let probe = engineProbes.get(pref);
    if (!probe) {
      probe = runWorkerTask(launcher, 'engine.status', {}, pref).then((value) => EngineStatusSchema.parse(value));
      probe.catch(() => engineProbes.delete(pref));
      engineProbes.set(pref, probe);
    }
    return probe;
  };

  const rememberStudy = async (summary: { path: string; study: { name: string } }) => {
    settings.rememberStudy({ path: summary.path, name: summary.study.name, openedAt: new Date().toISOString() });
    jobs.attachStudy(summary.path);
  };

  /** Deleting or restoring while a job of the study runs could take files from under it: refused until the job has ended. */
  const refuseWhileStudyBusy = (studyPath: string, what: string) => {
    const busy = jobs.list().find((j) => j.studyPath === path.resolve(studyPath) && (j.status === 'queued' || j.status === 'running'));
    if (busy)
      throw new AppError(
        'CONFLICT',
        `Cannot ${what} while "${busy.title}" is ${busy.status} in this study; wait until it has finished or cancel it.`,
        [{ path: 'studyPath', message: 'a job of the study is in progress' }],
      );
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      name: 'FundusLab',
      version: options.appVersion,
      host: options.host,
      platform: process.platform,
      capabilities: { folderDialog: options.dialogs !== null, fileDialog: options.dialogs !== null, openPath: Boolean(options.shell) },
      dataDir: options.dataDir,
    }),
    'engine.status': () => engineStatus(),
    'engine.doctor': async () => DoctorReport.parse(await runWorkerTask(launcher, 'engine.doctor', {}, preference())),
    'settings.get': async () => settings.get(),
    'settings.update': async (patch) => settings.update(patch),
    'study.create': async ({ path: folder, name }) => {
      await refuseSystemLocation(folder);
      const summary = await withFsDeadline(studies.create(folder, name), 'Creating the study', folder);
      await rememberStudy(summary);
      return summary;
    },
    'study.open': async ({ path: folder }) => {
      await refuseSystemLocation(folder);
      const summary = await withFsDeadline(studies.open(folder), 'Opening the study', folder);
      await rememberStudy(summary);
      return summary;
    },
    'study.recent': async () => settings.get().recentStudies,
    'dialog.pickFolder': async ({ title }) => {
      if (!options.dialogs) throw new AppError('UNSUPPORTED', 'There is no folder dialog in browser mode; type the folder path instead.');
      return { path: await options.dialogs.pickFolder(title) };
    },
    'dialog.pickFile': async ({ title, filters }) => {
      if (!options.dialogs) throw new AppError('UNSUPPORTED', 'There is no file dialog in browser mode; type the file path instead.');
      return { path: await options.dialogs.pickFile(title, filters) };
    },
    'jobs.submit': async (request) => {
      // Refused now rather than when the job runs: a study folder that leads into the system folders, a report onto an existing file.
      if (request.studyPath) await refuseSystemLocation(request.studyPath, 'studyPath');
      if (request.kind === 'dataset.import') {
        await refuseSystemLocation(request.params.path, 'params.path');
        if ('csv' in request.params && request.params.csv) await refuseSystemLocation(request.params.csv, 'params.csv');
      }
      if (request.kind === 'report.build' && request.params.out) await assertReportOutFree(request.params.out, request.params.overwrite);
      return jobs.submit(request);
    },
    'jobs.list': async () => jobs.list(),
    'jobs.get': async ({ id }) => jobs.get(id),
    'jobs.cancel': ({ id }) => jobs.cancel(id),
    'jobs.retry': ({ id }) => jobs.retry(id),
    'datasets.list': ({ studyPath }) => listDatasets(studyPath),
    'datasets.get': ({ studyPath, datasetId }) => getDataset(studyPath, datasetId),
    'datasets.items': ({ studyPath, datasetId, offset, limit, filter }) => listItems(studyPath, datasetId, offset, limit, filter),
    'datasets.image': (input) => datasetImage(input),
    'datasets.csvPreview': async ({ path: file }) => {
      await refuseSystemLocation(file);
      return withFsDeadline(csvPreview(file), 'Reading the CSV file', file);
    },
    // Reading a checkpoint (up to a few hundred MB, parsed in JS) would stall the event loop: a worker does it.
    'weights.inspect': async (request) => {
      await refuseSystemLocation(request.path);
      return WeightsInspection.parse(await runWorkerTask(launcher, 'weights.inspect', request, preference()));
    },
    'grid.get': ({ studyPath }) => gridView(studyPath),
    'grid.save': ({ studyPath, spec, baseRevision }) => saveGrid(studyPath, spec, baseRevision),
    'studyPlan.get': ({ studyPath }) => readStudyPlan(studyPath),
    'grid.launch': async ({ studyPath }) => {
      const active = new Set(
        jobs
          .list()
          .filter(
            (j) => j.kind === 'train.run' && (j.status === 'queued' || j.status === 'running') && j.studyPath === path.resolve(studyPath),
          )
          .map((j) => specHash(TrainingSpec.parse(j.params))),
      );
      const submitted = [];
      const skipped: { runId: string; reason: string }[] = [];
      for (const { cell, spec } of await runnableCells(studyPath)) {
        // By settings, not folder name: a cell whose default folder holds other settings trains in <id>-v2.
        if (active.has(specHash(spec))) skipped.push({ runId: cell.runId, reason: 'already queued or running' });
        else submitted.push(await jobs.submit({ kind: 'train.run', params: spec, studyPath: path.resolve(studyPath) }));
      }
      return { submitted, skipped };
    },
    'runs.get': ({ studyPath, runId }) => runDetail(studyPath, runId),
    'runs.stopAfterEpoch': ({ studyPath, runId }) => requestStop(studyPath, runId, requester('the FundusLab app')),
    'runs.extend': async ({ studyPath, runId, epochs }) => {
      const study = path.resolve(studyPath);
      const answer = await extendRun(study, runId, epochs, requester('the FundusLab app'));
      // A train.run job trains the folder its settings find (runFolderFor): queued only when that is this run.
      const placed = await runFolderFor(study, answer.spec);
      if (placed.runId !== runId)
        return {
          runId,
          extension: answer.extension,
          previousResult: answer.previousResult,
          job: null,
          note: `Run ${runId} is not in the folder its settings are trained in (${placed.runId}); train it with: funduslab train ${studyLayout(study).run(runId).spec} --study ${study} --run-id ${runId}`,
        };
      const job = await jobs.submit({ kind: 'train.run', params: answer.spec, studyPath: study });
      return { runId, extension: answer.extension, previousResult: answer.previousResult, job, note: null };
    },
    'results.get': ({ studyPath, includeOutdated }) => studyResults(studyPath, { includeOutdated }),
    'evaluations.get': ({ studyPath, name }) => readEvaluation(studyPath, name),
    'results.tableCsv': async ({ studyPath, includeOutdated }) => ({
      csv: resultsTableCsv(await studyResults(studyPath, { includeOutdated })),
      fileName: `${fileStem(path.basename(path.resolve(studyPath)))}-results.csv`,
    }),
    'evaluations.predictionsCsv': ({ studyPath, name }) => predictionsCsv(studyPath, name),
    'spectra.list': ({ studyPath }) => listSpectra(studyPath),
    'robustness.list': ({ studyPath }) => listRobustness(studyPath),
    'robustness.gallery': ({ studyPath, name, file }) => robustnessGallery(studyPath, name, file),
    'explanations.list': ({ studyPath }) => listExplanations(studyPath),
    'explanations.heatmap': ({ studyPath, name, imageId, masks }) => explanationHeatmap(studyPath, name, imageId, masks ?? false),
    'runs.list': ({ studyPath }) => runSummaries(studyPath),
    'reports.list': ({ studyPath }) => listReports(studyPath),
    'reports.file': ({ studyPath, file }) => reportFile(studyPath, file),
    'shell.openPath': async ({ path: target }) => {
      const shell = options.shell;
      if (!shell)
        throw new AppError(
          'UNSUPPORTED',
          'Opening files with the operating system works in the desktop app only; in browser mode, download the report instead.',
        );
      const file = await checkOpenablePath(target);
      const problem = await shell.openPath(file);
      if (problem) throw new AppError('INTERNAL', `The operating system could not open ${file}: ${problem}`);
      return { opened: file };
    },
    // ---- The study's trash
    'trash.delete': async ({ studyPath, kind, name, confirm }) => {
      refuseWhileStudyBusy(studyPath, 'delete');
      return trashDelete(studyPath, kind, name, { confirm: confirm ?? false });
    },
    'trash.list': ({ studyPath }) => trashList(studyPath),
    'trash.restore': async ({ studyPath, entry }) => {
      refuseWhileStudyBusy(studyPath, 'restore');
      return trashRestore(studyPath, entry);
    },
    'trash.empty': ({ studyPath, entry }) => trashEmpty(studyPath, entry),
    // ---- Server-side file browser ----
    'files.list': ({ path: folder, hidden }) => listFiles(folder, { hidden }),
    // ---- Trained models: loading a ResNet and writing its weights is engine work, so a worker does it ----
    'models.export': async (request) => {
      await refuseSystemLocation(request.out, 'out');
      return ModelExportResult.parse(await runWorkerTask(launcher, 'models.export', request, preference()));
    },
    // ---- Slurm cluster submissions of the study ----
    'cluster.status': ({ studyPath }) => clusterStatus(studyPath),
    'cluster.cancel': ({ studyPath, submission }) => cancelSubmissions(studyPath, submission),
  };

  let shutdownPromise: Promise<void> | null = null;
  return {
    dispatch: createDispatcher(handlers, log),
    bus,
    handlers,
    jobs,
    shutdown: () => (shutdownPromise ??= jobs.shutdown()),
  };
}
