/**
 * Zod-free copies of the contract's IPC constants for the preload bundle. The sandboxed preload
 * must stay one small CommonJS file that only requires 'electron'; importing the values from
 * src-shared/contract.ts would pull zod and every schema into it. The copies cannot drift:
 * the type-level checks below fail `tsc` if a channel or event is added, removed or renamed in the
 * contract, and test/unit/electron/preload.test.ts compares them at run time as well.
 */
import type * as Contract from '../../src-shared/contract';

export const IPC_INVOKE = 'funduslab:invoke' satisfies typeof Contract.IPC_INVOKE;
export const IPC_EVENT = 'funduslab:event' satisfies typeof Contract.IPC_EVENT;
export const PRELOAD_GLOBAL = 'funduslab' satisfies typeof Contract.PRELOAD_GLOBAL;

export const PRELOAD_CHANNELS = [
  'app.info',
  'engine.status',
  'engine.doctor',
  'settings.get',
  'settings.update',
  'study.create',
  'study.open',
  'study.recent',
  'dialog.pickFolder',
  'dialog.pickFile',
  'jobs.submit',
  'jobs.list',
  'jobs.get',
  'jobs.cancel',
  'jobs.retry',
  'datasets.list',
  'datasets.get',
  'datasets.items',
  'datasets.image',
  'datasets.csvPreview',
  'weights.inspect',
  'grid.get',
  'grid.save',
  'grid.launch',
  'studyPlan.get',
  'runs.get',
  'runs.stopAfterEpoch',
  'runs.extend',
  'results.get',
  'evaluations.get',
  'results.tableCsv',
  'evaluations.predictionsCsv',
  'spectra.list',
  'robustness.list',
  'robustness.gallery',
  'explanations.list',
  'explanations.heatmap',
  'runs.list',
  'reports.list',
  'reports.file',
  'shell.openPath',
  'trash.delete',
  'trash.list',
  'trash.restore',
  'trash.empty',
  'files.list',
  'models.export',
  'cluster.status',
  'cluster.cancel',
] as const satisfies readonly Contract.Channel[];

export const PRELOAD_EVENT_NAMES = ['jobs.update', 'settings.changed'] as const satisfies readonly Contract.EventName[];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Every contract channel/event is listed (the `satisfies` clauses above check the other direction).
const channelsComplete: Same<(typeof PRELOAD_CHANNELS)[number], Contract.Channel> = true;
const eventsComplete: Same<(typeof PRELOAD_EVENT_NAMES)[number], Contract.EventName> = true;
void channelsComplete;
void eventsComplete;
