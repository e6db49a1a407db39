/** The one rule for paths a client sends, against hand-written expectations. */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { fieldIssues } from '../../../src-shared/errors';
import { GridSpec } from '../../../src-shared/grid';
import { AbsolutePath } from '../../../src-shared/study';
import { StudyPlan } from '../../../src-shared/study-plan';
import { TrainingSpec } from '../../../src-shared/training';
import { normaliseUserPath, studyRelativePath, userPath, userPathProblem } from '../../../src-shared/user-path';

describe('user paths', () => {
  it('normalises repeated separators, "." segments and a trailing separator, keeping the root', () => {
    const cases: [string, string][] = [
      ['/home/me//study/./', '/home/me/study'],
      ['/', '/'],
      ['//', '/'],
      ['C:\\Users\\me\\\\study\\.\\', 'C:\\Users\\me\\study'],
      ['C:/Users/me/study', 'C:\\Users\\me\\study'],
      ['\\\\server\\share\\studies\\a', '\\\\server\\share\\studies\\a'],
    ];
    for (const [input, expected] of cases) expect([input, normaliseUserPath(input)]).toEqual([input, expected]);
    expect(userPath('the study folder').parse('/tmp//s/')).toBe('/tmp/s');
  });

  it('refuses relative paths, "..", NUL and the system folders, with a message naming what was expected', () => {
    const what = 'the study folder';
    expect(userPathProblem('study', what)).toBe('Must be an absolute path to the study folder, got "study"');
    expect(userPathProblem('./study', what)).toBe('Must be an absolute path to the study folder, got "./study"');
    expect(userPathProblem('/tmp/a/../b', what)).toBe('Must be an absolute path to the study folder without "..", got "/tmp/a/../b"');
    expect(userPathProblem('C:\\a\\..\\b', what)).toMatch(/without "\.\."/);
    expect(userPathProblem('/tmp/a\u0000b', what)).toBe('Must be a path to the study folder without NUL characters');
    expect(userPathProblem('', what)).toBe('Enter the path of the study folder');
    expect(userPathProblem('/' + 'a'.repeat(5000), what)).toBe('Must be a path of at most 4096 characters to the study folder');
    for (const p of ['/proc', '/proc/self/cwd/x', '/sys/kernel', '/dev/shm/s', '//proc//self', '/./dev/x'])
      expect([p, userPathProblem(p, what)]).toEqual([
        p,
        expect.stringMatching(/^Must be a path to the study folder outside \/(proc|sys|dev): /),
      ]);
    for (const p of ['/process', '/system/x', '/devices', '/home/proc', '/tmp/..hidden', 'D:\\proc'])
      expect([p, userPathProblem(p, what)]).toEqual([p, null]);
    // The app's forms keep their general messages.
    expect(fieldIssues(AbsolutePath.safeParse('rel').error!)).toEqual([{ path: '(root)', message: 'Must be an absolute path' }]);
    expect(fieldIssues(AbsolutePath.safeParse('').error!)).toEqual([{ path: '(root)', message: 'Enter a folder path' }]);
    expect(AbsolutePath.safeParse(42).success).toBe(false);
    expect(userPath('x', { allowEmpty: true }).parse('')).toBe('');
  });
});

describe('paths relative to the study folder (plans, grids, training specs)', () => {
  it('keeps relative paths as written, refuses ".." and NUL, and applies the user path rule to absolute ones', () => {
    const schema = studyRelativePath('the weights file');
    for (const p of ['.', 'weights/r50.pth', 'report.pdf', '/w/resnet50.pth', '/tmp//x.pth']) expect([p, schema.parse(p)]).toEqual([p, p]);
    const problems = (p: string) => fieldIssues(schema.safeParse(p).error!).map((i) => i.message);
    expect(problems('../weights/r50.pth')).toEqual([
      'Must be a path to the weights file without "..": a relative path stays inside the folder it is read from, got "../weights/r50.pth"',
    ]);
    expect(problems('')).toEqual(['Enter the path of the weights file']);
    expect(problems('a\u0000b')).toEqual(['Must be a path to the weights file without NUL characters']);
    expect(problems('/proc/self/environ')).toEqual([
      'Must be a path to the weights file outside /proc: FundusLab never reads or writes the system folders /proc, /sys, /dev',
    ]);
  });

  it('is the rule of the weights in grids and training specs, and of the study folder and report file in a plan', () => {
    const at = (r: { error?: z.ZodError }) => fieldIssues(r.error!).map((i) => i.path);
    expect(at(GridSpec.safeParse({ imagenetWeights: '/proc/self/environ', mocoWeights: '../m.pth.tar' }))).toEqual([
      'imagenetWeights',
      'mocoWeights',
    ]);
    expect(at(TrainingSpec.safeParse({ datasetId: 'd', strategy: 'IFI-FS', pretrainedWeights: '/sys/x.pth' }))).toContain(
      'pretrainedWeights',
    );
    expect(at(StudyPlan.safeParse({ study: '/proc/self/cwd/s', report: { out: '../../x.pdf' } }))).toEqual(
      expect.arrayContaining(['study', 'report.out']),
    );
  });
});
