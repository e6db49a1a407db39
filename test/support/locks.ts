/** Work locks as a cluster task on another host leaves them while it trains (a live holder this process cannot check). */
import { promises as fsp } from 'node:fs';
import type { LockHolder } from '../../src-main/services/study-folder/lock';
import { workLockFile } from '../../src-main/services/study-folder/layout';

/** Writes `<dir>/.lock` held by `funduslab grid` as Slurm job `jobId` on host node07, with a fresh heartbeat. */
export async function writeClusterLock(dir: string, jobId: string): Promise<LockHolder> {
  const now = new Date().toISOString();
  const holder: LockHolder = { pid: 4711, host: 'node07', startedAt: now, heartbeatAt: now, what: 'funduslab grid', token: 't', jobId };
  await fsp.writeFile(workLockFile(dir), JSON.stringify(holder));
  return holder;
}
