/**
 * The MoCo v2 pretrainings of a study as the report shows them: for each pretraining an IWNE-CL run
 * fine-tuned from (its `result.pretraining`), the summary (pretrain/<id>/summary.json, which holds the
 * learning check) and the epochs (pretrain/<id>/log.ndjson). The folder's paths come from the study
 * layout. A summary that cannot be read falls back to the copy in the run's result.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { PretrainEpochLog, PretrainSummary } from '../../src-shared/training';
import type { RunInfo } from '../services/runs/run-info';
import { studyLayout } from '../services/study-folder/layout';

export interface PretrainingInfo {
  id: string;
  summary: PretrainSummary;
  log: PretrainEpochLog[];
  /** The runs fine-tuned from it, by id. */
  runs: string[];
}

async function readSummary(file: string): Promise<PretrainSummary | null> {
  try {
    const parsed = PretrainSummary.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function readLog(file: string): Promise<PretrainEpochLog[]> {
  if (!existsSync(file)) return [];
  const out: PretrainEpochLog[] = [];
  for (const line of (await fsp.readFile(file, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = PretrainEpochLog.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      /* a torn line is skipped */
    }
  }
  return out;
}

/** Every pretraining a finished run of the study fine-tuned from, in order of first use. */
export async function readPretrainings(study: string, runs: readonly RunInfo[]): Promise<PretrainingInfo[]> {
  const byId = new Map<string, { fallback: PretrainSummary; runs: string[] }>();
  for (const run of runs) {
    const p = run.result?.pretraining;
    if (!p) continue;
    const entry = byId.get(p.id) ?? { fallback: p, runs: [] };
    entry.runs.push(run.runId);
    byId.set(p.id, entry);
  }
  const out: PretrainingInfo[] = [];
  for (const [id, { fallback, runs: ids }] of byId) {
    const files = studyLayout(study).pretrain(id);
    out.push({ id, summary: (await readSummary(files.summary)) ?? fallback, log: await readLog(files.log), runs: ids });
  }
  return out;
}
