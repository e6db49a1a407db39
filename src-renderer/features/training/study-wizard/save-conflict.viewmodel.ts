/**
 * Saves from the study wizard never overwrite what another window or process saved: the wizard keeps
 * the revisions of grid.json and study-plan.json it loaded and sends them with its save; a save based
 * on an older revision is refused ("… changed elsewhere — reload"). This module is that part, as pure
 * functions: the revisions an edit starts from, and the refusal shown with a Reload action.
 */
import { errorCode, errorMessage } from '../../../shared/errors.viewmodel';
import type { GridView } from '../../../../src-shared/grid';
import type { StudyPlan } from '../../../../src-shared/study-plan';

/** The revisions the wizard's edit started from (0 when the file was missing or from before revisions). */
export interface EditBase {
  grid: number;
  plan: number;
}

export function editBase(view: Pick<GridView, 'revision'> | null, plan: Pick<StudyPlan, 'revision'> | null): EditBase {
  return { grid: view?.revision ?? 0, plan: plan?.revision ?? 0 };
}

/** A refused save: what the user reads, and the action that loads what was saved elsewhere. */
export interface SaveConflict {
  message: string;
  action: 'Reload';
}

const AFTER = 'Your answers here were not saved: Reload loads what was saved, then make your change again.';

/** The refusal of a save based on an older revision, or null for any other error (shown as usual). */
export function saveConflict(error: unknown): SaveConflict | null {
  const message = errorMessage(error);
  if (errorCode(error) !== 'CONFLICT' || !message.includes('changed elsewhere')) return null;
  return { message: `${message} ${AFTER}`, action: 'Reload' };
}

/**
 * Before a whole study is launched: the stored plan (read again just now) must still be at the
 * revision the wizard loaded; otherwise the launch is refused like the job itself would refuse it.
 */
export function planConflict(base: number, latest: Pick<StudyPlan, 'revision'> | null): SaveConflict | null {
  const current = latest?.revision ?? 0;
  if (current === base) return null;
  return {
    message: `The study plan changed elsewhere — reload (it is at revision ${current}; this save was based on revision ${base}). ${AFTER}`,
    action: 'Reload',
  };
}
