/** Submission planning and the sbatch scripts: golden script text, array specs, quoting, refused options. */
import { describe, expect, test } from 'vitest';
import { ClusterOptions, type Submission } from '../../../src-shared/cluster';
import type { GridCell } from '../../../src-shared/grid';
import { TrainingSpec } from '../../../src-shared/training';
import {
  arraySpec,
  checkOptions,
  newSubmissionId,
  planCells,
  sbatchScript,
  shellQuote,
  taskArgs,
} from '../../../src-main/services/cluster/plan';
import { pretrainId, specHash } from '../../../src-main/services/training/run-id';

const sub: Pick<Submission, 'id' | 'study' | 'appVersion' | 'cli' | 'options'> = {
  id: '20261207-031500-ab12',
  study: '/shared/studies/dr pretrain',
  appVersion: '0.1.0',
  cli: { node: '/opt/node/bin/node', script: '/opt/funduslab/bin/funduslab.js' },
  options: ClusterOptions.parse({
    partition: 'gpu',
    account: 'ophtho',
    gpusPerTask: 1,
    cpusPerTask: 8,
    mem: '32G',
    time: '24:00:00',
    maxParallel: 4,
    sbatchArgs: ['--constraint=a100'],
    setup: ['module load cuda/11.2', 'source ~/venv/bin/activate'],
  }),
};

describe('sbatch scripts', () => {
  test('the train array: resources, requeue, the signal to the batch shell, appended per-task logs, setup lines, the same FundusLab', () => {
    const text = sbatchScript(sub, {
      role: 'train',
      indices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      args: taskArgs('train', sub.study, sub.id),
      dependency: null,
      hold: true,
      comments: ['Task 8 (iwne-cl-…) waits for pretraining task 0 (moco-…): set at submission.'],
    });
    expect(text).toBe(
      [
        '#!/bin/bash',
        '# FundusLab 0.1.0 · submission 20261207-031500-ab12 · train: training cells, one array task each',
        '# Study: /shared/studies/dr pretrain',
        '# Task 8 (iwne-cl-…) waits for pretraining task 0 (moco-…): set at submission.',
        '#SBATCH --job-name=funduslab-train-ab12',
        '#SBATCH --array=0-11%4',
        '#SBATCH --output="/shared/studies/dr pretrain/cluster/20261207-031500-ab12/%A_%a.log"',
        '#SBATCH --open-mode=append',
        '#SBATCH --requeue',
        '#SBATCH --signal=B:USR1@120',
        '#SBATCH --kill-on-invalid-dep=yes',
        '#SBATCH --partition=gpu',
        '#SBATCH --account=ophtho',
        '#SBATCH --gpus-per-task=1',
        '#SBATCH --cpus-per-task=8',
        '#SBATCH --mem=32G',
        '#SBATCH --time=24:00:00',
        '#SBATCH --constraint=a100',
        '',
        'set -eo pipefail',
        '# Environment (--setup / cluster.json)',
        'module load cuda/11.2',
        'source ~/venv/bin/activate',
        '',
        'exec /opt/node/bin/node /opt/funduslab/bin/funduslab.js grid --study \'/shared/studies/dr pretrain\' --submission 20261207-031500-ab12 --cell "$SLURM_ARRAY_TASK_ID"',
        '',
      ].join('\n'),
    );
  });

  test('the finish job: a plain job after the train array, its log per job id; no requeue when switched off', () => {
    const text = sbatchScript(
      { ...sub, options: ClusterOptions.parse({ requeue: false, signal: 'B:TERM@300' }) },
      { role: 'finish', indices: null, args: taskArgs('finish', '/s', sub.id), dependency: 'afterany:4242', hold: false },
    );
    expect(text).toContain('#SBATCH --output="/shared/studies/dr pretrain/cluster/20261207-031500-ab12/%j.log"\n');
    expect(text).toContain('#SBATCH --dependency=afterany:4242\n#SBATCH --kill-on-invalid-dep=yes\n');
    expect(text).toContain('#SBATCH --signal=B:TERM@300\n');
    expect(text).not.toContain('--requeue');
    expect(text).not.toContain('--array');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'exec /opt/node/bin/node /opt/funduslab/bin/funduslab.js cluster finish --study /s --submission 20261207-031500-ab12',
    );
  });

  test('array specs: runs compressed, gaps kept, the parallel limit appended', () => {
    expect(arraySpec([0, 1, 2, 3])).toBe('0-3');
    expect(arraySpec([5, 0, 2, 3, 4, 9], 2)).toBe('0,2-5,9%2');
    expect(arraySpec([7])).toBe('7');
  });

  test('shell quoting survives spaces, quotes and $', () => {
    expect(shellQuote('/a/b-c_d.js')).toBe('/a/b-c_d.js');
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });

  test('submission ids sort by time', () => {
    expect(newSubmissionId(new Date('2026-12-07T03:15:00.123Z'), 'AB12ff')).toBe('20261207-031500-ab12');
  });

  test('options that would break the script or override what FundusLab writes are refused, naming the option', () => {
    expect(() => checkOptions(ClusterOptions.parse({ sbatchArgs: ['constraint=a100'] }))).toThrow(
      /--sbatch-arg "constraint=a100" is not an sbatch option/,
    );
    expect(() => checkOptions(ClusterOptions.parse({ sbatchArgs: ['--output=/tmp/x'] }))).toThrow(/sets what FundusLab writes itself/);
    expect(() => checkOptions(ClusterOptions.parse({ setup: ['a\nb'] }))).toThrow(/one shell line/);
    expect(() => ClusterOptions.parse({ time: '24h' })).toThrow(/Slurm time/);
  });
});

describe('planCells', () => {
  const cell = (strategy: string, fraction: number, seed: number): GridCell => {
    const spec = TrainingSpec.parse({ strategy, fraction, seed, datasetId: 'demo', arch: 'resnet18-w8', inputSize: 64 });
    return {
      runId: `${strategy}-${fraction}-${seed}`.toLowerCase(),
      strategy: spec.strategy,
      fraction,
      seed,
      status: 'pending',
      reason: null,
      spec,
      epochsDone: 0,
      epochs: spec.epochs,
      bestValAuc: null,
    };
  };

  test('one pretraining per distinct MoCo settings (the fractions of a seed share it), CL cells pointing at theirs', () => {
    const cells = [
      cell('IWNE-FS', 0.1, 0),
      cell('IWNE-CL', 0.1, 0),
      cell('IWNE-CL', 0.5, 0),
      cell('IWNE-CL', 0.1, 1),
      cell('IFI-CL', 0.1, 0),
    ];
    const p = planCells(cells);
    expect(p.pretrainings.map((x) => x.cell)).toEqual([1, 3]);
    expect(p.pretrainings[0]!.id).toBe(pretrainId(TrainingSpec.parse(cells[1]!.spec)).id);
    expect(p.cells.map((c) => c.pretraining)).toEqual([null, 0, 0, 1, null]);
    expect(p.cells[2]!.specHash).toBe(specHash(TrainingSpec.parse(cells[2]!.spec)));
  });
});
