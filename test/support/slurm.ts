/**
 * The Slurm cluster the cluster tests submit to: the one SLURM_CONF names (CI starts a one-node
 * cluster with scripts/slurm-test-cluster.sh). Outside CI, without one, the tests are skipped with a
 * message saying how to start it; in CI a missing or broken cluster fails them.
 */
import { execFileSync } from 'node:child_process';

const HOW =
  'start one with `bash scripts/slurm-test-cluster.sh start /tmp/funduslab-slurm` (Debian: apt-get install slurm-wlm munge; as root) and export SLURM_CONF=/tmp/funduslab-slurm/slurm.conf';

/** True when a Slurm cluster answers with an idle or mixed node; false (outside CI) when there is none. */
export function slurmAvailable(): boolean {
  let problem: string | null = null;
  if (!process.env.SLURM_CONF) problem = 'SLURM_CONF is not set';
  else {
    try {
      const states = execFileSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 20_000 });
      if (!/\b(idle|mixed|allocated)\b/.test(states)) problem = `sinfo shows no usable node (${states.trim() || 'nothing'})`;
    } catch (err) {
      problem = `sinfo failed: ${(err as Error).message}`;
    }
  }
  if (problem === null) return true;
  if (process.env.CI) throw new Error(`The Slurm tests need a cluster in CI: ${problem}; ${HOW}.`);
  console.warn(`Skipping the Slurm tests: ${problem}; ${HOW}.`);
  return false;
}
