/**
 * What depends on a dataset of the study: the runs trained on it, the MoCo pretrainings made from it,
 * and the evaluations and analyses computed on it (the same list a deletion asks about), each as
 * `<kind> <name>`. A re-import that would change such a dataset needs `replace`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { dependentLines } from '../../../../src-shared/trash';
import { pretrainFiles, studyLayout } from '../../study-folder/layout';
import { datasetDependents } from '../../study-folder/trash';

/** Every dependent of dataset `datasetId` as `run <id>`, `pretraining <id>`, `evaluation <name>`, … (empty when none). */
export async function datasetDependentLines(studyPath: string, datasetId: string): Promise<string[]> {
  const lines = dependentLines(await datasetDependents(studyPath, datasetId));
  const pretrainings = await pretrainingsOf(studyPath, datasetId);
  return [
    ...lines.filter((l) => l.startsWith('run ')),
    ...pretrainings.map((id) => `pretraining ${id}`),
    ...lines.filter((l) => !l.startsWith('run ')),
  ];
}

/** The pretrainings under pretrain/ whose settings.json names the dataset. */
async function pretrainingsOf(studyPath: string, datasetId: string): Promise<string[]> {
  const root = studyLayout(studyPath).folder('pretrain');
  const names = await fsp.readdir(root, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of names) {
    if (!entry.isDirectory()) continue;
    try {
      const settings = JSON.parse(await fsp.readFile(pretrainFiles(path.join(root, entry.name)).settings, 'utf8')) as {
        datasetId?: unknown;
      };
      if (settings.datasetId === datasetId) out.push(entry.name);
    } catch {
      // a pretraining folder without readable settings names no dataset
    }
  }
  return out.sort();
}
