/** The study wizard's revisions and the "changed elsewhere — reload" refusal (save-conflict.viewmodel.ts). */
import { describe, expect, it } from 'vitest';
import { RpcError } from '../../../src-shared/client';
import { editBase, planConflict, saveConflict } from '../../../src-renderer/features/training/study-wizard/save-conflict.viewmodel';

const AFTER = 'Your answers here were not saved: Reload loads what was saved, then make your change again.';

describe('study wizard save conflicts', () => {
  it('starts the edit from the revisions it loaded (0 for missing files and files from before revisions)', () => {
    expect(editBase({ revision: 4 }, { revision: 2 })).toEqual({ grid: 4, plan: 2 });
    expect(editBase(null, null)).toEqual({ grid: 0, plan: 0 });
    expect(editBase({}, {})).toEqual({ grid: 0, plan: 0 });
  });

  it('shows a refused grid save with the server message and the Reload action', () => {
    const error = new RpcError({
      code: 'CONFLICT',
      message: 'The training grid changed elsewhere — reload (it is at revision 3; this save was based on revision 2).',
      issues: [{ path: 'baseRevision', message: 'changed elsewhere: now revision 3' }],
    });
    expect(saveConflict(error)).toEqual({
      message: `The training grid changed elsewhere — reload (it is at revision 3; this save was based on revision 2). ${AFTER}`,
      action: 'Reload',
    });
  });

  it('leaves other errors to the usual message (another CONFLICT, BUSY, a field issue)', () => {
    expect(saveConflict(new RpcError({ code: 'CONFLICT', message: 'The folder already holds a study' }))).toBeNull();
    expect(saveConflict(new RpcError({ code: 'BUSY', message: 'The study is busy: Training run (app job) since …' }))).toBeNull();
    expect(saveConflict(new RpcError({ code: 'BAD_REQUEST', message: 'changed elsewhere' }))).toBeNull();
    expect(saveConflict('changed elsewhere')).toBeNull();
  });

  it('refuses to launch a whole study when the stored plan moved on since the wizard loaded it', () => {
    expect(planConflict(2, { revision: 2 })).toBeNull();
    expect(planConflict(0, null)).toBeNull();
    expect(planConflict(0, {})).toBeNull();
    expect(planConflict(2, { revision: 3 })).toEqual({
      message: `The study plan changed elsewhere — reload (it is at revision 3; this save was based on revision 2). ${AFTER}`,
      action: 'Reload',
    });
    expect(planConflict(1, null)?.message).toMatch(/^The study plan changed elsewhere — reload \(it is at revision 0;/);
  });
});
