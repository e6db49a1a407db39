import { describe, it, expect } from 'vitest';
import type { StudySummary } from '../../../src-shared/study';
import {
  checkCreateStudy,
  checkOpenStudy,
  examplePath,
  recentRows,
  studySummaryRows,
} from '../../../src-renderer/features/study/study.viewmodel';

describe('study form checks (same schemas as the main side)', () => {
  it('accepts an absolute path and a name', () => {
    expect(checkCreateStudy({ path: '/home/me/studies/dr', name: 'DR pretraining' })).toEqual({});
    expect(checkCreateStudy({ path: 'D:\\Studies\\dr', name: 'x' })).toEqual({});
    expect(checkOpenStudy({ path: ' /data/study ' })).toEqual({});
  });

  it('names the failing fields', () => {
    const errors = checkCreateStudy({ path: 'relative/dir', name: '   ' });
    expect(errors.path).toBe('Must be an absolute path');
    expect(errors.name).toBe('Give the study a name');
    expect(checkOpenStudy({ path: '' }).path).toBe('Enter a folder path');
  });

  it('gives a path example in the platform style', () => {
    expect(examplePath('win32')).toMatch(/^[A-Z]:\\/);
    expect(examplePath('linux')).toMatch(/^\//);
  });
});

describe('study summaries', () => {
  const summary: StudySummary = {
    path: '/home/me/studies/dr',
    study: {
      schemaVersion: 1,
      id: 'st_123',
      name: 'DR pretraining',
      createdAt: '2025-03-12T10:00:00.000Z',
      updatedAt: '2025-03-12T10:00:00.000Z',
      createdWith: { app: 'FundusLab', version: '0.1.0' },
    },
  };

  it('lists folder, created and schema version (the name is the heading)', () => {
    const rows = studySummaryRows(summary, 'en-GB');
    expect(rows.map((r) => r.label)).toEqual(expect.arrayContaining(['Folder', 'Created', 'Schema version', 'Study id']));
    expect(rows.find((r) => r.label === 'Folder')).toMatchObject({ value: '/home/me/studies/dr', mono: true });
    expect(rows.find((r) => r.label === 'Schema version')?.value).toBe('1');
    expect(rows.find((r) => r.label === 'Created')?.value).toMatch(/2025/);
  });

  it('orders recent studies newest first and marks the open one', () => {
    const now = Date.parse('2025-03-12T12:00:00Z');
    const rows = recentRows(
      [
        { path: '/a', name: 'A', openedAt: '2025-03-10T12:00:00Z' },
        { path: '/b', name: 'B', openedAt: '2025-03-12T11:58:00Z' },
      ],
      '/a',
      now,
    );
    expect(rows.map((r) => r.path)).toEqual(['/b', '/a']);
    expect(rows[0]).toMatchObject({ isOpen: false, opened: 'last used 2 min ago' });
    expect(rows[1]).toMatchObject({ isOpen: true, opened: 'last used 2 days ago' });
  });
});
