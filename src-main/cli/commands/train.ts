/**
 * `funduslab train <spec.json> --study <dir> [--run-id <id>] [--json]` — runs one training run
 * (runs/<run-id>/ in the study; running it again resumes from its last checkpoint).
 * `funduslab train --example-spec [--strategy S] [--quick] [--study <dir> [--dataset <id>]]` — prints an example spec on stdout
 * (explained on stderr): the paper's settings for the strategy (default IWNE-FS), or with --quick a small run that finishes in
 * minutes on a CPU; with --study its datasetId (and, for --quick, inputSize) are those of the study's dataset.
 * Progress goes to stderr; the result to stdout (`{"ok": true, "value": TrainingResult}` with --json).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AppError, parseOrThrow } from '../../../src-shared/errors';
import { STRATEGY_ORDER, TrainingSpec, TrainingStrategy, type TrainingResult, type TrainingSpecInput } from '../../../src-shared/training';
import { runTraining } from '../../services/training';
import { parseCommandArgs } from '../args';
import { cliContext } from '../progress';
import { withStudyLock } from '../../services/study-folder/lock';
import { listDatasets } from '../../services/datasets/view';
import { DEMO_MOCO } from '../../services/demo/study-demo';
import type { ReadableDatasetSummary } from '../../../src-shared/contract';

export const TRAIN_USAGE =
  'funduslab train <spec.json> --study <dir> [--run-id <id>] [--json]  |  funduslab train --example-spec [--strategy IWNE-FS|IWNE-CL|IFI-FS|IFI-CL] [--quick] [--study <dir> [--dataset <id>]]';

/** `--quick`: a small run that finishes in minutes on a CPU: reduced ResNet18 at 64 px on a 20% label fraction. */
export const EXAMPLE_SPEC: TrainingSpecInput = {
  strategy: 'IWNE-FS',
  datasetId: 'eyepacs',
  fraction: 0.2,
  seed: 0,
  arch: 'resnet18-w16',
  inputSize: 64,
  epochs: 5,
  lr: 1e-3,
  batchSize: 32,
  referable: [3, 4],
  earlyStoppingPatience: null,
};

/** Where the example puts the weights an IFI strategy starts from (the files users download; see the README). */
const EXAMPLE_WEIGHTS: Partial<Record<TrainingStrategy, string>> = {
  'IFI-FS': 'weights/resnet50-0676ba61.pth',
  'IFI-CL': 'weights/moco_v2_800ep_pretrain.pth.tar',
};

/**
 * The paper's settings for `strategy`: the fields that shape a run, with the values the spec schema resolves when they are left
 * out (so this never disagrees with what a spec without them trains); IFI strategies name the weights file to bring.
 */
export function paperExampleSpec(strategy: TrainingStrategy, datasetId = 'eyepacs'): TrainingSpecInput {
  const weights = EXAMPLE_WEIGHTS[strategy];
  const r = TrainingSpec.parse({ strategy, datasetId, ...(weights ? { pretrainedWeights: weights } : {}) });
  return {
    strategy,
    datasetId,
    ...(weights ? { pretrainedWeights: weights } : {}),
    fraction: r.fraction,
    seed: r.seed,
    arch: r.arch,
    inputSize: r.inputSize,
    epochs: r.epochs,
    lr: r.lr,
    batchSize: r.batchSize,
    referable: r.referable,
    ...(strategy === 'IWNE-CL' ? { moco: { epochs: r.moco.epochs, batchSize: r.moco.batchSize, lr: r.moco.lr } } : {}),
  };
}

function paperExplanation(spec: TrainingSpecInput): string {
  const lines = [
    `The paper's settings for ${spec.strategy}: ${spec.arch} at ${spec.inputSize} px, ${spec.epochs} epochs at lr ${spec.lr}, all labels (fraction ${spec.fraction}).`,
  ];
  if (spec.pretrainedWeights)
    lines.push(
      `"pretrainedWeights" names the file to bring (${spec.pretrainedWeights}, relative to the study folder; see the README, "Real data and weights").`,
    );
  if (spec.strategy === 'IWNE-CL')
    lines.push('"moco": the MoCo v2 pretraining on the study images that comes first (official MoCo v2 settings).');
  lines.push('This is days of training on a GPU; for a run that finishes in minutes on a CPU: funduslab train --example-spec --quick.', '');
  return lines.join('\n');
}

const EXAMPLE_EXPLANATION = [
  "Quick example training spec (stdout): a small model, not the paper's settings (funduslab train --example-spec prints those). Fields:",
  '  strategy      IWNE-FS (random init), IWNE-CL (MoCo v2 pretraining on the study images first; "moco" settings),',
  '                IFI-FS / IFI-CL (need "pretrainedWeights": ImageNet weights / a MoCo v2 ImageNet checkpoint)',
  '  datasetId     a dataset imported into the study (funduslab import … --study <dir> --id eyepacs)',
  '  fraction      label fraction of the training patients (nested, stratified, patient-level)',
  '  seed          seeds initialisation, subset, shuffling and augmentation',
  '  arch          resnet18/34/50/101/152, "-wN" = reduced base width (paper: resnet50)',
  '  inputSize     pixels (paper: 224); the cached inputs are resized when they differ',
  '  epochs, lr    paper: IWNE 500 epochs at 1e-4, IFI 50 at 1e-3 (defaults when omitted)',
  '  referable     grades counted as referable DR for the validation AUC (paper {3,4})',
  'Other fields (optimizer, schedule, warmup, augmentation, normalisation, classWeights, validationFraction, …) take',
  'the paper defaults; every field is documented in docs/reference/training-spec.md.',
  '',
].join('\n');

/** Graded images a training run can use (split train or none), as the dataset list counts them. */
function trainingImages(d: ReadableDatasetSummary): number {
  let n = 0;
  for (const split of ['train', 'none'])
    for (const [grade, count] of Object.entries(d.perSplitGrade[split] ?? {})) if (grade !== 'ungraded') n += count;
  return n;
}

/**
 * The example spec for a study: EXAMPLE_SPEC with the datasetId and inputSize of the study's dataset — the one
 * given, or else the only preprocessed dataset with graded training images (BAD_REQUEST naming the choices otherwise).
 */
export async function exampleSpecForStudy(
  studyPath: string,
  datasetId?: string,
): Promise<{ spec: TrainingSpecInput; dataset: ReadableDatasetSummary }> {
  const all = await listDatasets(studyPath);
  const usable = all.filter((d): d is ReadableDatasetSummary => d.readable && d.preprocessed && trainingImages(d) > 0);
  const names = (list: { id: string }[]) => list.map((d) => d.id).join(', ');
  let dataset: ReadableDatasetSummary | undefined;
  if (datasetId !== undefined) {
    dataset = usable.find((d) => d.id === datasetId);
    if (!dataset) {
      const known = all.some((d) => d.id === datasetId);
      throw new AppError(
        known ? 'BAD_REQUEST' : 'NOT_FOUND',
        known
          ? `Dataset "${datasetId}" of the study ${studyPath} has no preprocessed graded training images; ${usable.length > 0 ? `datasets that have: ${names(usable)}` : 'no dataset of the study has'}.`
          : `The study ${studyPath} has no dataset "${datasetId}"; ${all.length > 0 ? `its datasets: ${names(all)}` : 'it has no dataset yet'}.`,
        [{ path: 'dataset', message: known ? 'no graded training images' : 'no such dataset in the study' }],
      );
    }
  } else if (usable.length === 1) {
    dataset = usable[0]!;
  } else if (usable.length === 0) {
    throw new AppError(
      'BAD_REQUEST',
      `The study ${studyPath} has no dataset with graded training images${all.length > 0 ? ` (its datasets: ${names(all)})` : ''}; import one first (funduslab import eyepacs <folder> --study <dir>).`,
      [{ path: 'study', message: 'no dataset to train on' }],
    );
  } else {
    throw new AppError(
      'BAD_REQUEST',
      `The study ${studyPath} has ${usable.length} datasets with graded training images (${names(usable)}); choose one with --dataset <id>.`,
      [{ path: 'dataset', message: `one of ${names(usable)}` }],
    );
  }
  return { spec: { ...EXAMPLE_SPEC, datasetId: dataset.id, inputSize: dataset.settings.inputSize }, dataset };
}

/** The example spec `--example-spec` prints: the paper's for `strategy`, or the quick one; with a study, its dataset's. */
export async function exampleSpec(opts: {
  strategy: TrainingStrategy;
  quick: boolean;
  study?: string;
  datasetId?: string;
}): Promise<{ spec: TrainingSpecInput; dataset: ReadableDatasetSummary | null }> {
  const fromStudy = opts.study ? await exampleSpecForStudy(opts.study, opts.datasetId) : null;
  if (opts.quick) {
    const spec: TrainingSpecInput = {
      ...(fromStudy?.spec ?? EXAMPLE_SPEC),
      strategy: opts.strategy,
      // The pretraining of the quick IWNE-CL run is as small as the demo study's.
      ...(opts.strategy === 'IWNE-CL' ? { moco: { ...DEMO_MOCO, epochs: 5, batchSize: 32 } } : {}),
    };
    const weights = EXAMPLE_WEIGHTS[opts.strategy];
    return { spec: weights ? { ...spec, pretrainedWeights: weights } : spec, dataset: fromStudy?.dataset ?? null };
  }
  return { spec: paperExampleSpec(opts.strategy, fromStudy?.dataset.id), dataset: fromStudy?.dataset ?? null };
}

export async function runTrain(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    study: { type: 'string' },
    dataset: { type: 'string' },
    'run-id': { type: 'string' },
    'example-spec': { type: 'boolean', default: false },
    strategy: { type: 'string' },
    quick: { type: 'boolean', default: false },
  });
  if (values['example-spec']) {
    if (values.dataset !== undefined && !values.study)
      throw new AppError('BAD_REQUEST', `--dataset needs --study <dir>.\nUsage: ${TRAIN_USAGE}`, [
        { path: 'study', message: 'give --study <dir>' },
      ]);
    const strategy = TrainingStrategy.safeParse(values.strategy ?? 'IWNE-FS');
    if (!strategy.success)
      throw new AppError('BAD_REQUEST', `--strategy must be one of ${STRATEGY_ORDER.join(', ')}, got "${values.strategy}".`, [
        { path: 'strategy', message: `one of ${STRATEGY_ORDER.join(', ')}` },
      ]);
    const { spec, dataset } = await exampleSpec({
      strategy: strategy.data,
      quick: values.quick,
      ...(values.study ? { study: path.resolve(values.study) } : {}),
      ...(values.dataset !== undefined ? { datasetId: values.dataset } : {}),
    });
    process.stdout.write(JSON.stringify(spec, null, 2) + '\n');
    if (!values.json) {
      process.stderr.write(values.quick ? EXAMPLE_EXPLANATION : paperExplanation(spec));
      if (dataset)
        process.stderr.write(
          values.quick
            ? `datasetId and inputSize are those of dataset "${dataset.id}" of the study (preprocessed at ${dataset.settings.inputSize} px).\n`
            : `datasetId is dataset "${dataset.id}" of the study (preprocessed at ${dataset.settings.inputSize} px; training resizes its images to ${spec.inputSize} px).\n`,
        );
    }
    return 0;
  }
  if (values.strategy !== undefined || values.quick)
    throw new AppError('BAD_REQUEST', '--strategy and --quick go with --example-spec; to train, set them in the spec file.', [
      { path: values.quick ? 'quick' : 'strategy', message: 'only with --example-spec' },
    ]);
  if (values.dataset !== undefined)
    throw new AppError('BAD_REQUEST', '--dataset goes with --example-spec; to train, set "datasetId" in the spec file.', [
      { path: 'dataset', message: 'only with --example-spec' },
    ]);
  const [specFile] = positionals;
  if (!specFile || !values.study) {
    throw new AppError('BAD_REQUEST', `Usage: ${TRAIN_USAGE}`, [
      ...(!specFile ? [{ path: 'spec', message: 'give the spec file (funduslab train --example-spec > spec.json)' }] : []),
      ...(!values.study ? [{ path: 'study', message: 'give --study <dir>' }] : []),
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await fsp.readFile(path.resolve(specFile), 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT')
      throw new AppError('NOT_FOUND', `Spec file not found: ${specFile}`, [{ path: 'spec', message: 'no such file' }]);
    throw new AppError('BAD_REQUEST', `The spec file ${specFile} is not valid JSON: ${e.message}`, [{ path: 'spec', message: 'not JSON' }]);
  }
  const spec = parseOrThrow(TrainingSpec, raw, 'training spec');
  const ctx = cliContext('train', values.json);
  const study = path.resolve(values.study);
  const result = await withStudyLock(study, 'funduslab train', () =>
    runTraining(spec, study, ctx, values['run-id'] !== undefined ? { runId: values['run-id'] } : {}),
  ).finally(ctx.end);
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, value: result }, null, 2) + '\n');
  else process.stdout.write(formatTrainingResult(result) + '\n');
  return 0;
}

export function formatTrainingResult(r: TrainingResult): string {
  return [
    `Run ${r.runId}: ${r.finalEpoch} epoch(s)${r.resumedFromEpoch ? ` (resumed after epoch ${r.resumedFromEpoch})` : ''}${r.stoppedEarly ? ', stopped early' : ''}${r.stoppedByRequest ? `, stopped after epoch ${r.stoppedByRequest.afterEpoch} of ${r.stoppedByRequest.of} at the user's request` : ''} in ${r.seconds.toFixed(1)} s on ${r.backend}`,
    r.selection === 'val-auc'
      ? `  kept the model of epoch ${r.bestEpoch ?? '-'}: the highest validation AUC, ${r.bestValAuc === null ? 'n/a' : r.bestValAuc.toFixed(4)}`
      : `  kept the model of the last epoch (${r.bestEpoch ?? '-'}): no epoch had a validation AUC (the validation split holds one class only)`,
    `  ${r.trainImages} training / ${r.validationImages} validation images · ${r.imagesPerSecond.toFixed(1)} images/s · data stall ${(100 * r.stallFraction).toFixed(1)}%`,
    `  best model: ${r.bestModelPath ?? '-'}`,
    `  log:        ${r.logPath}`,
  ].join('\n');
}
