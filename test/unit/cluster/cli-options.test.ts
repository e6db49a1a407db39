/** The Slurm options of `funduslab grid|study`: read into ClusterOptions, each bad one named by its option. */
import { describe, expect, test } from 'vitest';
import { clusterOptionsFromArgs, wantsSlurm } from '../../../src-main/cli/commands/cluster';

describe('Slurm options on the command line', () => {
  test('are read into the submission options; absent ones stay absent (cluster.json fills them)', () => {
    expect(
      clusterOptionsFromArgs({
        partition: 'gpu',
        'gpus-per-task': '1',
        'cpus-per-task': '8',
        mem: '32G',
        time: '1-12:00:00',
        'max-parallel': '4',
        'sbatch-arg': ['--constraint=a100'],
        setup: ['module load cuda/11.2'],
        'no-requeue': true,
      }),
    ).toMatchObject({
      partition: 'gpu',
      gpusPerTask: 1,
      cpusPerTask: 8,
      mem: '32G',
      time: '1-12:00:00',
      maxParallel: 4,
      sbatchArgs: ['--constraint=a100'],
      setup: ['module load cuda/11.2'],
      requeue: false,
      account: undefined,
    });
  });

  test('a malformed value names its option', () => {
    expect(() => clusterOptionsFromArgs({ 'max-parallel': 'two' })).toThrow(/--max-parallel must be a whole number ≥ 1 \(got "two"\)/);
    expect(() => clusterOptionsFromArgs({ time: '24h' })).toThrow(/^--time: expected a Slurm time/);
    expect(() => clusterOptionsFromArgs({ mem: 'lots' })).toThrow(/^--mem: expected a size/);
    expect(() => clusterOptionsFromArgs({ 'gpus-per-task': '-1' })).toThrow(/--gpus-per-task must be a whole number ≥ 0/);
  });

  test('--executor is local or slurm, and a Slurm option without --executor slurm is refused', () => {
    expect(wantsSlurm({})).toBe(false);
    expect(wantsSlurm({ executor: 'local', 'no-requeue': false, 'sbatch-arg': [] })).toBe(false);
    expect(wantsSlurm({ executor: 'slurm', partition: 'gpu' })).toBe(true);
    expect(() => wantsSlurm({ executor: 'pbs' })).toThrow(/--executor must be local or slurm \(got "pbs"\)/);
    expect(() => wantsSlurm({ partition: 'gpu' })).toThrow(/--partition is an option of --executor slurm/);
    expect(() => wantsSlurm({ 'retry-failed': true })).toThrow(/--retry-failed is an option of --executor slurm/);
  });
});
