/**
 * `funduslab runs list|show|stop|extend` — the study's runs, and steering a run while it trains
 * (services/runs/steer.ts, docs/design.md "Steering a run"):
 *
 * - `runs stop --study <dir> --run <id> --after-epoch` asks whatever process trains the run (a
 *   `train`/`grid`/`study` command, the app, a cluster task on another host) to finish it after its
 *   current epoch; refused when nothing trains it.
 * - `runs extend --study <dir> --run <id> --epochs N` records the extension in the run's spec.json and
 *   trains the added epochs here, with progress (`--record-only`: only record it; the run then trains
 *   with `funduslab train <study>/runs/<id>/spec.json --study <dir> --run-id <id>`).
 */
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { extensionPhrases, runOutcomeText } from '../../../src-shared/training';
import { readCheckpointState } from '../../services/training/checkpoint';
import { listRuns, readRunInfo, type RunInfo } from '../../services/runs/run-info';
import { extendRun, requestStop, requester } from '../../services/runs/steer';
import { studyLayout } from '../../services/study-folder/layout';
import { activeWorkLockHolder, holderWhere, withStudyLock } from '../../services/study-folder/lock';
import { runTraining } from '../../services/training';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { formatTrainingResult } from './train';

export const RUNS_USAGE = [
  'funduslab runs list --study <dir> [--json]',
  'funduslab runs show --study <dir> --run <id> [--json]',
  'funduslab runs stop --study <dir> --run <id> --after-epoch [--json]',
  'funduslab runs extend --study <dir> --run <id> --epochs N [--record-only] [--json]',
].join('\n       ');

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify({ ok: true, value }, null, 2) + '\n' : text + '\n');
}

function usageError(message: string, field: string): AppError {
  return new AppError('BAD_REQUEST', `${message}\nUsage: ${RUNS_USAGE}`, [{ path: field, message }]);
}

/** A run's state in one phrase: "stopped after epoch 3 of 10 at the user's request", "training (…)", "3 of 10 epochs done". */
export async function runStateText(run: RunInfo): Promise<string> {
  const extended = extensionPhrases(run.spec);
  const suffix = extended.length > 0 ? `; ${extended.join('; ')}` : '';
  if (run.result) return runOutcomeText(run.result, run.spec.epochs) + suffix;
  const holder = await activeWorkLockHolder(run.files.dir);
  const done = (await readCheckpointState(run.files.dir).catch(() => null))?.epoch ?? 0;
  const where = holder ? `, being trained by ${holder.what} (${holderWhere(holder)})` : '';
  return `${done} of ${run.spec.epochs} epochs done${where}` + suffix;
}

export async function runRunsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommandArgs(rest, {
    study: { type: 'string' },
    run: { type: 'string' },
    'after-epoch': { type: 'boolean', default: false },
    epochs: { type: 'string' },
    'record-only': { type: 'boolean', default: false },
  });
  if (!values.study) throw usageError('give --study <dir>', 'study');
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`, 'arguments');
  const study = path.resolve(values.study);
  if (sub === 'list') {
    const runs = await listRuns(study);
    const lines = await Promise.all(runs.map(async (r) => `${r.runId}  ${await runStateText(r)}`));
    print(
      values.json,
      runs.map((r) => ({ runId: r.runId, spec: r.spec, result: r.result })),
      lines.length > 0 ? lines.join('\n') : `No runs in ${study}.`,
    );
    return 0;
  }
  const runId = values.run;
  if (!runId) throw usageError('give --run <id>', 'run');
  if (sub === 'show') {
    const run = await readRunInfo(study, runId, 'run');
    print(
      values.json,
      { runId, spec: run.spec, result: run.result, state: await runStateText(run) },
      `${runId}: ${await runStateText(run)}`,
    );
    return 0;
  }
  if (sub === 'stop') {
    if (!values['after-epoch']) throw usageError('say when to stop: --after-epoch (finish after the current epoch)', 'after-epoch');
    const answer = await requestStop(study, runId, requester('funduslab runs stop'));
    print(
      values.json,
      answer,
      `Asked ${answer.trainer} to finish run ${runId} after its current epoch (${answer.epochsDone} of ${answer.epochs} done so far); it keeps the best model and writes its metrics.`,
    );
    return 0;
  }
  if (sub === 'extend') {
    const epochs = Number(values.epochs);
    if (values.epochs === undefined || !/^\d+$/.test(values.epochs) || epochs <= 0)
      throw usageError(`--epochs must be a positive whole number, got ${values.epochs ?? 'nothing'}`, 'epochs');
    const answer = await extendRun(study, runId, epochs, requester('funduslab runs extend'));
    const e = answer.extension;
    const said = `Run ${runId} ${extensionPhrases({ extensions: [e] })[0]}.`;
    if (values['record-only']) {
      print(
        values.json,
        answer,
        `${said}\nTrain it with: funduslab train ${studyLayout(study).run(runId).spec} --study ${study} --run-id ${runId}`,
      );
      return 0;
    }
    if (!values.json) process.stderr.write(said + '\n');
    const ctx = cliContext('runs extend', values.json);
    const result = await withStudyLock(study, 'funduslab runs extend', () => runTraining(answer.spec, study, ctx, { runId })).finally(
      ctx.end,
    );
    print(values.json, { ...answer, result }, formatTrainingResult(result));
    return 0;
  }
  throw usageError(`unknown subcommand "${sub ?? ''}": list, show, stop or extend`, 'subcommand');
}
