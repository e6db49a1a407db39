/**
 * `funduslab` — the headless entry point over the same services as the app. Every subcommand
 * accepts `--json` for machine-readable output on stdout; progress and logs go to stderr.
 */
import { BACKEND_LADDER } from '../../src-shared/engine';
import { APP_VERSION } from '../version';
import { runBrowser } from './commands/browser';
import { BENCH_USAGE, runBench } from './commands/bench';
import { DEMO_DATA_USAGE, runDemoData } from './commands/demo-data';
import { EVALUATE_USAGE, runEvaluate } from './commands/evaluate';
import { GRID_USAGE, runGrid } from './commands/grid';
import { CLUSTER_USAGE, runClusterCommand } from './commands/cluster';
import { RESULTS_USAGE, runResults } from './commands/results';
import { REPORT_USAGE, runReport } from './commands/report';
import { ROBUSTNESS_USAGE, runRobustness } from './commands/robustness';
import { STUDY_USAGE, runStudy } from './commands/study';
import { SPECTRA_USAGE, runSpectraCommand } from './commands/spectra';
import { EXPLAIN_USAGE, runExplain } from './commands/explain';
import { IMPORT_USAGE, runImport } from './commands/import';
import { PREDICT_USAGE, runPredict } from './commands/predict';
import { TRAIN_USAGE, runTrain } from './commands/train';
import { WEIGHTS_USAGE, runWeights } from './commands/weights';
import { runDoctor } from './commands/doctor';
import { runCommand, type Command } from './dispatch';
import { judgeLocksWithSlurm } from '../services/cluster/task';
import { KERNELS_USAGE, runKernels } from './commands/kernels';
import { RM_USAGE, TRASH_USAGE, runRm, runTrash } from './commands/trash';
import { RUNS_USAGE, runRunsCommand } from './commands/runs';

const COMMANDS: Record<string, Command> = {
  doctor: {
    summary: 'Check the compute backend, versions, GPU and run a short training self-test',
    usage: 'funduslab doctor [--json] [--size N] [--batch N] [--steps N]',
    run: runDoctor,
  },
  import: {
    summary: 'Import a dataset (eyepacs, messidor2, idrid-grading, idrid-seg, folder) into a study: validation report + preprocessing',
    usage: IMPORT_USAGE,
    run: runImport,
  },
  train: {
    summary:
      'Run one training run from a spec (IWNE-FS, IWNE-CL, IFI-FS, IFI-CL; resumes from its last checkpoint); --example-spec prints the paper settings (--quick: a small run)',
    usage: TRAIN_USAGE,
    run: runTrain,
  },
  runs: {
    summary:
      "List the study's runs, show one, ask the process training a run to finish it after its current epoch (stop --after-epoch), or extend a run to more epochs (extend --epochs N)",
    usage: RUNS_USAGE,
    run: runRunsCommand,
  },
  grid: {
    summary:
      "Run every pending or unfinished run of the study's training grid (strategies × fractions × seeds; --spec sets the grid), or submit them to Slurm (--executor slurm)",
    usage: GRID_USAGE,
    run: runGrid,
  },
  cluster: {
    summary: "Status of the study's Slurm submissions (squeue/sacct), cancel them; and the commands their sbatch scripts run",
    usage: CLUSTER_USAGE,
    run: runClusterCommand,
  },
  evaluate: {
    summary:
      'Evaluate a trained run on a graded dataset: AUC of P(referable) with DeLong and bootstrap CIs, ROC, operating points; writes evaluations/<run>__<dataset>__<split>/',
    usage: EVALUATE_USAGE,
    run: runEvaluate,
  },
  results: {
    summary:
      'Results table of all evaluations, paired DeLong tests between strategies (CL vs FS, IFI vs IWNE), Fig 2 series; --csv exports the table',
    usage: RESULTS_USAGE,
    run: runResults,
  },
  explain: {
    summary:
      'LRP-α1β0 heatmaps of trained runs on a dataset with lesion masks, with RMA/RRA per lesion against a Gaussian-noise control (paper Fig 5, Table 3)',
    usage: EXPLAIN_USAGE,
    run: runExplain,
  },
  spectra: {
    summary:
      'Representation analysis of a trained run: κ of every Conv/BatchNorm/Linear layer, the first-layer spectrum, its kurtosis and distribution fits (paper Fig 3, Table 2)',
    usage: SPECTRA_USAGE,
    run: runSpectraCommand,
  },
  robustness: {
    summary:
      "Robustness to the 19 image corruptions × 5 severities: each model's mean probability of the true class and AUC, Fig 4 CL − FS differences, a gallery",
    usage: ROBUSTNESS_USAGE,
    run: runRobustness,
  },
  study: {
    summary:
      'Run a whole study: --demo on the embedded synthetic data (data, stand-in weights, four strategies, evaluation, analyses, PDF report), or a study plan file; resumes',
    usage: STUDY_USAGE,
    run: runStudy,
  },
  report: {
    summary: 'Write the study report (PDF) with every figure as SVG/PNG and every table as CSV; image ids pseudonymised',
    usage: REPORT_USAGE,
    run: runReport,
  },
  weights: {
    summary: 'Inspect or convert model weights (torchvision/MoCo .pth, .safetensors, tfjs): what an import loads, skips, re-initialises',
    usage: WEIGHTS_USAGE,
    run: runWeights,
  },
  predict: {
    summary: 'Per-image logits and P(referable) from a weights file',
    usage: PREDICT_USAGE,
    run: runPredict,
  },
  bench: {
    summary: 'Benchmarks: engine (ResNet forward/training per backend), data (preprocessing throughput), metrics (AUC/DeLong speed)',
    usage: BENCH_USAGE,
    run: runBench,
  },
  kernels: {
    summary: 'The kernels a training step uses on the active backend; `check` tests each (forward, gradient) against the cpu backend',
    usage: KERNELS_USAGE,
    run: runKernels,
  },
  'demo-data': {
    summary: 'Generate the embedded synthetic demo data (EyePACS and IDRiD layouts, a texture set), labelled synthetic',
    usage: DEMO_DATA_USAGE,
    run: runDemoData,
  },
  rm: {
    summary: "Move a run, evaluation, analysis, dataset or report into the study's trash (<study>/.trash/, restorable)",
    usage: RM_USAGE,
    run: runRm,
  },
  trash: {
    summary: "List the study's trash, restore an entry, or empty it (one entry or all)",
    usage: TRASH_USAGE,
    run: runTrash,
  },
  browser: {
    summary: 'Serve the app on 127.0.0.1 with the HTTP bridge, to use it in an ordinary browser',
    usage: 'funduslab browser [--port N] [--json]',
    run: runBrowser,
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    `FundusLab ${APP_VERSION} — pretraining strategies for diabetic-retinopathy models, on your own fundus images.`,
    '',
    'Usage: funduslab <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    `Every command accepts --json. FUNDUSLAB_BACKEND=${BACKEND_LADDER.join('|')} forces a compute backend.`,
    'Run `funduslab <command> --help` for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help() + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${APP_VERSION}\n`);
    return 0;
  }
  judgeLocksWithSlurm();
  return runCommand('funduslab', name, COMMANDS[name], rest, help);
}

// `node dist/cli.js …` runs directly; bin/funduslab.js imports this module and calls main().
const isEntry = process.argv[1] !== undefined && /(?:^|[\\/])cli\.js$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`funduslab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
