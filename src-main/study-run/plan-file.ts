/**
 * The study plan a study was last run with, kept in the study as `study-plan.json`: written when a
 * plan starts (`funduslab study`, the study.run job), read by the app's study wizard to show the
 * test sets and analyses chosen before. Paths are stored absolute and the study as ".", so the file
 * describes the study it sits in.
 */
import path from 'node:path';
import { StudyPlan } from '../../src-shared/study-plan';
import { readStudyJson } from '../fs/atomic';
import { saveRevisioned } from '../services/study-folder/revision';
import { requireStudyFolder } from '../services/study-folder/study-service';
import { studyLayout } from '../services/study-folder/layout';

/** The plan with its dataset folders and weight files resolved against `baseDir` (the folder the plan was read from). */
export function resolvePlanPaths(plan: StudyPlan, baseDir: string): StudyPlan {
  const abs = (p: string) => path.resolve(baseDir, p);
  const { imagenetWeights, mocoWeights } = plan.grid;
  return {
    ...plan,
    datasets: plan.datasets.map((d) => ({ ...d, path: abs(d.path) })),
    grid: {
      ...plan.grid,
      ...(imagenetWeights ? { imagenetWeights: abs(imagenetWeights) } : {}),
      ...(mocoWeights ? { mocoWeights: abs(mocoWeights) } : {}),
    },
  };
}

/**
 * Stores a plan whose paths are resolved (resolvePlanPaths) in its study, as the study ".", as the
 * file's next revision. The plan's `revision` is the one it was edited from: when the stored plan is at
 * another revision (saved elsewhere since) it is refused with CONFLICT ("changed elsewhere — reload");
 * a plan without one replaces the stored plan. Returns the revision stored.
 */
export async function writeStudyPlan(study: string, resolved: StudyPlan): Promise<number> {
  const { revision: baseRevision, ...plan } = resolved;
  return saveRevisioned(studyLayout(study).planFile, { ...plan, study: '.' }, baseRevision, 'The study plan');
}

/** The stored plan with its revision (0 for a file from before revisions), or null when the study has none. */
export async function readStudyPlan(studyPath: string): Promise<StudyPlan | null> {
  const plan = await readStudyJson(studyLayout(requireStudyFolder(studyPath)).planFile, StudyPlan);
  return plan ? { ...plan, revision: plan.revision ?? 0 } : null;
}
