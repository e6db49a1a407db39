/**
 * The study plan a study was last run with, kept in the study as `study-plan.json`: written when a
 * plan starts (`funduslab study`, the study.run job), read by the app's study wizard to show the
 * test sets and analyses chosen before. Paths are stored absolute and the study as ".", so the file
 * describes the study it sits in.
 */
import path from 'node:path';
import { StudyPlan } from '../../../src-shared/study-plan';
import { readStudyJson, writeJsonAtomic } from '../fs/atomic';
import { requireStudyFolder } from '../study/study-service';

export const STUDY_PLAN_FILE = 'study-plan.json';

/** Stores the plan in the study (paths resolved against `baseDir`, the folder the plan was read from). */
export async function writeStudyPlan(study: string, plan: StudyPlan, baseDir: string): Promise<void> {
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(baseDir, p));
  const stored: StudyPlan = {
    ...plan,
    study: '.',
    datasets: plan.datasets.map((d) => ({ ...d, path: abs(d.path)! })),
    grid: { ...plan.grid, ...(plan.grid.imagenetWeights ? { imagenetWeights: abs(plan.grid.imagenetWeights) } : {}), ...(plan.grid.mocoWeights ? { mocoWeights: abs(plan.grid.mocoWeights) } : {}) },
  };
  await writeJsonAtomic(path.join(study, STUDY_PLAN_FILE), stored);
}

/** The stored plan, or null when the study has none. */
export async function readStudyPlan(studyPath: string): Promise<StudyPlan | null> {
  return readStudyJson(path.join(requireStudyFolder(studyPath), STUDY_PLAN_FILE), StudyPlan);
}
